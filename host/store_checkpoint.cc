#include "host/store_checkpoint.h"

#include <pthread.h>

namespace deskhook::store_internal {
namespace {
constexpr int kMaxPasses = 8;
constexpr int kFinishTries = 8;   // commits on which the writer tries to finish a checkpoint
constexpr int kFinishWaitMs = 5;  // how long the writer waits for readers to leave the WAL
constexpr int kFinishMaxFrames = 1024;  // at most this much left for the writer to copy
}  // namespace

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path,
                                                          sqlite3* writer_db,
                                                          int threshold_frames,
                                                          int busy_timeout_ms) {
  auto conn = Conn::Open(path, /*writer=*/true, busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  Status st = (*conn)->Exec("PRAGMA cache_size = -256;");  // copies pages; needs no cache
  if (!st.ok()) return st;
  std::unique_ptr<Checkpointer> cp(new Checkpointer(std::move(conn).value(), threshold_frames, busy_timeout_ms));
  // Replaces SQLite's autocheckpoint on the writer connection.
  sqlite3_wal_hook(writer_db, &Checkpointer::OnWalCommit, cp.get());
  cp->thread_ = std::thread([raw = cp.get()] { raw->Run(); });
  return cp;
}

Checkpointer::Checkpointer(std::unique_ptr<Conn> conn, int threshold, int writer_busy_timeout_ms)
    : conn_(std::move(conn)),
      threshold_(threshold < 1 ? 1 : threshold),
      writer_busy_timeout_ms_(writer_busy_timeout_ms) {}

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

int64_t Checkpointer::restarts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return restarts_;
}

bool Checkpointer::WakeWanted(int frames) const {
  // While a cycle runs, copied_through_ is not yet updated: waking another would run it right
  // after, and make the writer's finish find the checkpoint lock taken.
  return frames - copied_through_ >= threshold_ && !stopping_ && !wanted_ && !running_;
}

// Runs on the writer thread after each commit, with the write lock released (SQLite allows a
// checkpoint here: its own autocheckpoint runs from this hook).
int Checkpointer::OnWalCommit(void* self, sqlite3* db, const char*, int frames) {
  auto* cp = static_cast<Checkpointer*>(self);
  bool finish = false;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(cp->mu_);
    if (frames < cp->last_frames_) {  // the writer restarted the WAL
      cp->copied_through_ = 0;
      cp->finish_tries_ = 0;
      cp->restarts_++;
    }
    cp->last_frames_ = frames;
    if (cp->finish_tries_ > 0 && !cp->wanted_ && !cp->running_ && !cp->stopping_) {
      cp->finish_tries_--;
      finish = true;
    } else {
      wake = cp->WakeWanted(frames);
      cp->wanted_ = cp->wanted_ || wake;
    }
  }
  if (finish) {
    // The checkpointer has copied all but what was committed during its last pass. That rest
    // is copied here, between two of the writer's transactions (so no writer can add to it),
    // and RESTART waits up to kFinishWaitMs for readers still reading the WAL, so that the next
    // transaction starts it over (a reader that stays longer: another try at the next commit).
    // The copy is a few hundred frames, yet takes ~5-10 ms on a VM disk (scattered page writes
    // into the database and two fsyncs; the wait for readers after it is microseconds): that
    // is the writer's cost per cycle. A PASSIVE copy here cost the same and left the WAL
    // growing under a busy reader.
    sqlite3_busy_timeout(db, kFinishWaitMs);
    int log_frames = 0, copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, &log_frames, &copied);
    sqlite3_busy_timeout(db, cp->writer_busy_timeout_ms_);
    std::lock_guard<std::mutex> lock(cp->mu_);
    if (rc == SQLITE_OK) cp->finish_tries_ = 0;
    if (copied >= 0 && copied <= log_frames) cp->copied_through_ = copied;
    wake = cp->WakeWanted(frames);
    cp->wanted_ = cp->wanted_ || wake;
  }
  if (wake) cp->cv_.notify_one();
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
      running_ = true;
    }
    // PASSIVE: copies what no reader still needs; never blocks the writer. The frames committed
    // during a pass are copied by the next (each pass is shorter), until the copy has caught up
    // or stops gaining; the writer copies the last few (OnWalCommit).
    int log_frames = -1, copied = -1, copied_before = -1;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      int log_now = 0, copied_now = 0;
      if (sqlite3_wal_checkpoint_v2(conn_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_now, &copied_now) !=
          SQLITE_OK) {
        break;  // another checkpoint (a CLI's, say) or an I/O error: the next cycle tries again
      }
      log_frames = log_now;
      copied = copied_now;
      if (copied >= log_frames || copied <= copied_before) break;
      copied_before = copied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (copied >= 0) {
      // A restart meanwhile makes `copied` refer to the old WAL: then count from 0.
      copied_through_ = copied <= last_frames_ ? copied : 0;
    }
    // The writer finishes only a copy that has (nearly) caught up: one a reader held back
    // could leave it thousands of frames to copy while webhooks wait.
    finish_tries_ = copied >= 0 && log_frames - copied <= kFinishMaxFrames ? kFinishTries : 0;
    running_ = false;
    checkpoints_++;
  }
}

}  // namespace deskhook::store_internal
