// `deskhook serve`: wires config, store, connectors, scorer, pipeline, outbox and HTTP server
// together, and handles signals: SIGTERM/SIGINT drain (stop accepting, finish what was
// acknowledged, close the store); SIGHUP reloads what is safe to reload (scripts, log level).
#pragma once

#include <memory>
#include <string>

#include "connectors/model/status.h"
#include "host/config.h"

namespace deskhook {

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> Create(Config config);
  ~Daemon();

  // Binds the port and starts every component. Port 0 picks a free one (see port()).
  Status Start();
  int port() const;
  // Blocks until SIGTERM/SIGINT, handling SIGHUP meanwhile; then drains. REQUIRES: Start().
  // The calling thread must have SIGTERM, SIGINT and SIGHUP blocked (BlockSignals()).
  void RunUntilSignal();
  // Drains and stops everything; idempotent.
  void Shutdown();
  // Re-reads the config file: scripts and log level change; other fields need a restart.
  Status Reload();

  // Blocks the signals in the calling thread; call first thing in main so all threads inherit it.
  static void BlockSignals();

 private:
  class Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace deskhook
