// Status and Result<T>: the error values returned across module boundaries.
// Modelled on leveldb::Status; exceptions stay inside parsers and are caught at the edge.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace deskhook {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // malformed input: bad JSON, unknown event shape, bad config field
  kNotFound,            // unknown instance, event, outbox entry
  kUnauthenticated,     // bad or missing signature, stale timestamp, bad admin token
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kUnavailable,         // store cannot accept right now; caller may retry
  kLimitExceeded,       // a script hit a sandbox limit
  kAlreadyExists,       // duplicate delivery
  kInternal,
};

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Unauthenticated(std::string m) { return Status(Code::kUnauthenticated, std::move(m)); }
  static Status PayloadTooLarge(std::string m) { return Status(Code::kPayloadTooLarge, std::move(m)); }
  static Status UnsupportedMediaType(std::string m) { return Status(Code::kUnsupportedMediaType, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status LimitExceeded(std::string m) { return Status(Code::kLimitExceeded, std::move(m)); }
  static Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;  // "invalid_argument: <message>" or "ok"

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Code c);  // "ok", "invalid_argument", ...

// Either a value or a non-OK Status. REQUIRES: value() only when ok().
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}     // NOLINT: REQUIRES !status.ok()
  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace deskhook
