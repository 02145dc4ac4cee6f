// OneShot<T>: a value handed once from one thread to another that waits for it. Lets a
// blocking call sit on top of an asynchronous one (Writer::Submit on SubmitAsync, Ingest::Handle
// on HandleAsync) without a heap allocation: it lives on the waiter's stack.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

namespace deskhook {

template <typename T>
class OneShot {
 public:
  // REQUIRES: called at most once. Any thread, including the waiter's (before Wait).
  void Set(T value) {
    std::lock_guard<std::mutex> lock(mu_);
    value_.emplace(std::move(value));
    // Notified under the lock: the waiter cannot return (and destroy *this) before we are done
    // with cv_, because it has to reacquire mu_ first.
    cv_.notify_one();
  }

  // Blocks until Set; returns the value. REQUIRES: called at most once, by one thread.
  T Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return value_.has_value(); });
    return std::move(*value_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;  // guarded by mu_
};

}  // namespace deskhook
