// Helpers for the scripts tests: a temporary folder of scripts and a typical ticket.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "scripts/runtime.h"

namespace deskhook::scripts::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "deskhook-scripts-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    const auto p = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Ticket TypicalTicket(const std::string& subject = "Cannot log in") {
  Ticket t;
  t.instance = "zendesk-eu";
  t.platform = "zendesk";
  t.id = "4242";
  t.subject = subject;
  t.requester = {"77", "Ada Lovelace", "ada@example.com"};
  t.tags = {"web", "login"};
  t.priority = "normal";
  t.status = "new";
  t.channel = "email";
  t.messages.push_back({"m1", AuthorRole::kCustomer, "77", "I cannot log in since this morning.", 1000, true});
  t.messages.push_back({"m2", AuthorRole::kAgent, "5", "Could you try resetting your password?", 2000, true});
  t.messages.push_back({"m3", AuthorRole::kCustomer, "77", "This is the third time. Useless!", 3000, true});
  return t;
}

inline EventContext Event(const Ticket& t, EventKind kind = EventKind::kTicketCreated) {
  EventContext e;
  e.kind = kind;
  e.ticket = &t;
  e.now_ms = 1'700'000'000'000;
  e.sentiment.compound = -0.6;
  e.sentiment.frustration = 0.8;
  e.trend.messages = 2;
  e.trend.escalating = true;
  return e;
}

inline bool HasTag(const DecisionSet& d, const std::string& tag) {
  for (const auto& t : d.add_tags) {
    if (t == tag) return true;
  }
  return false;
}

}  // namespace deskhook::scripts::testing
