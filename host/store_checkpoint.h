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
  // thread once `threshold_frames` frames have been written since the last checkpoint copied
  // the WAL (a WAL that was not restarted still holds the frames already copied: counting
  // those woke the thread after every commit). REQUIRES: called before the writer thread starts
  // using `writer_db`.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path, sqlite3* writer_db,
                                                     int threshold_frames, int busy_timeout_ms);
  ~Checkpointer();  // Stop()
  void Stop();      // joins the thread; the WAL hook stays installed but becomes a no-op
  // Closes the connection. REQUIRES: Stop() has returned.
  void CloseConnection() { conn_.reset(); }
  int64_t checkpoints() const;
  int64_t restarts() const;  // times the writer started the WAL over (seen at the next commit)

 private:
  Checkpointer(std::unique_ptr<Conn> conn, int threshold, int writer_busy_timeout_ms);
  // Whether a commit that left `frames` in the WAL should wake the thread. REQUIRES: mu_ held.
  bool WakeWanted(int frames) const;
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int frames);
  void Run();

  std::unique_ptr<Conn> conn_;
  const int threshold_;
  const int writer_busy_timeout_ms_;  // restored on the writer's connection after a finish
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;   // guarded by mu_
  bool running_ = false;  // guarded by mu_: a cycle of passes is under way
  int copied_through_ = 0;   // guarded by mu_: WAL frames the last copy reached (0 after a restart)
  int last_frames_ = 0;      // guarded by mu_: the WAL's size at the last commit
  int finish_tries_ = 0;     // guarded by mu_: commits left on which the writer finishes the copy
  int64_t restarts_ = 0;     // guarded by mu_
  bool stopping_ = false; // guarded by mu_
  int64_t checkpoints_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace deskhook::store_internal
