// Helpers for the store tests: a temporary directory per test and event builders.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/store.h"

namespace deskhook::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

int64_t NowMs();

// Default options for a database at `path`.
StoreOptions Options(const std::string& path, int64_t dedupe_window_s = 86400);

NewEvent MakeEvent(const std::string& instance, const std::string& key,
                   const std::string& ticket = "T1", const std::string& body = "{\"a\":1}");

// Opens a store or fails the current test (returns null then).
std::unique_ptr<Store> OpenOrFail(const StoreOptions& options);

// Runs PRAGMA integrity_check through Store::Read; "ok" when the database is sound.
std::string IntegrityCheck(Store& store);

// Every dedupe_key in the events table (through Store::Read).
std::vector<std::string> AllDedupeKeys(Store& store);

// SELECT COUNT(*) FROM `table` (through Store::Read); -1 on error (and the test fails).
int64_t CountRows(Store& store, const std::string& table);

// Turn a closed database at `path` back into schema 4, 3 (sentiment in its own table as well)
// or 2 (bodies inside `events` too), as a deskhook from before migration 5, 4 or 3 left it.
// REQUIRES: no Store has the database open.
void DowngradeToSchema4(const std::string& path);  // outbox keys unique across the outbox
void DowngradeToSchema3(const std::string& path);
void DowngradeToSchema2(const std::string& path);

}  // namespace deskhook::testing
