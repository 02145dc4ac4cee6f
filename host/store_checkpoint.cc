#include "host/store_checkpoint.h"

#include <pthread.h>

namespace deskhook::store_internal {

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path,
                                                          sqlite3* writer_db,
                                                          int threshold_frames,
                                                          int busy_timeout_ms) {
  auto conn = Conn::Open(path, /*writer=*/true, busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  Status st = (*conn)->Exec("PRAGMA cache_size = -256;");  // copies pages; needs no cache
  if (!st.ok()) return st;
  std::unique_ptr<Checkpointer> cp(new Checkpointer(std::move(conn).value(), threshold_frames));
  // Replaces SQLite's autocheckpoint on the writer connection.
  sqlite3_wal_hook(writer_db, &Checkpointer::OnWalCommit, cp.get());
  cp->thread_ = std::thread([raw = cp.get()] { raw->Run(); });
  return cp;
}

Checkpointer::Checkpointer(std::unique_ptr<Conn> conn, int threshold)
    : conn_(std::move(conn)), threshold_(threshold < 1 ? 1 : threshold) {}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int64_t Checkpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

// Runs on the writer thread after each commit.
int Checkpointer::OnWalCommit(void* self, sqlite3*, const char*, int frames) {
  auto* cp = static_cast<Checkpointer*>(self);
  if (frames < cp->threshold_) return SQLITE_OK;
  {
    std::lock_guard<std::mutex> lock(cp->mu_);
    if (cp->stopping_ || cp->wanted_) return SQLITE_OK;
    cp->wanted_ = true;
  }
  cp->cv_.notify_one();
  return SQLITE_OK;
}

void Checkpointer::Run() {
  pthread_setname_np(pthread_self(), "store-ckpt");
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    // PASSIVE: copies what no reader still needs; never blocks the writer. The writer restarts
    // the WAL from its beginning once everything is copied.
    sqlite3_wal_checkpoint_v2(conn_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard<std::mutex> lock(mu_);
    checkpoints_++;
  }
}

}  // namespace deskhook::store_internal
