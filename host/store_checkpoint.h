// Internal to the store: WAL checkpoints on their own thread and connection, so the writer
// never stalls on copying pages into the database file (SQLite's autocheckpoint would run
// inside the writer's COMMIT).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "host/store_conn.h"

namespace deskhook::store_internal {

class Checkpointer {
 public:
  // Opens its own connection to `path`. Installs a WAL hook on `writer_db` that wakes the
  // thread once the WAL holds `threshold_frames` frames. REQUIRES: called before the writer
  // thread starts using `writer_db`.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path, sqlite3* writer_db,
                                                     int threshold_frames, int busy_timeout_ms);
  ~Checkpointer();  // Stop()
  void Stop();      // joins the thread; the WAL hook stays installed but becomes a no-op
  // Closes the connection. REQUIRES: Stop() has returned.
  void CloseConnection() { conn_.reset(); }
  int64_t checkpoints() const;

 private:
  Checkpointer(std::unique_ptr<Conn> conn, int threshold);
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);
  void Run();

  std::unique_ptr<Conn> conn_;
  const int threshold_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;   // guarded by mu_
  bool stopping_ = false; // guarded by mu_
  int64_t checkpoints_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace deskhook::store_internal
