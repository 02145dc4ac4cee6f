// One pipeline worker's cache of its tickets' sentiment histories (compounds of the customer's
// messages, oldest first), so that an event does not read its whole conversation's history from
// the store: that read grows with the conversation and, after every commit, finds the reader's
// page cache dropped (SQLite resets it when the WAL changed).
//
// Why a plain per-worker cache is coherent: a ticket's events always go to the same worker, in
// id order, one at a time; the history of a ticket changes only when that worker commits one of
// its events. So an entry filled from the store while none of the ticket's events is in flight,
// and extended only after a commit succeeded, equals what the store would return.
//
// Bounded: at most `max_tickets` entries (least recently used go first) and no history longer
// than `max_compounds` (such a ticket is read from the store each time). Not thread-safe: REQUIRES
// one owner thread, the worker's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

namespace deskhook {

class SentimentHistoryCache {
 public:
  SentimentHistoryCache(size_t max_tickets, size_t max_compounds);

  // The cached history of (instance, ticket_id), or nullptr. The pointer is valid until the next
  // call that changes the cache.
  const std::vector<double>* Find(const std::string& instance, const std::string& ticket_id);

  // Remembers `history` as read from the store. REQUIRES: none of the ticket's events was in
  // flight (processed but not committed) when it was read.
  void Fill(const std::string& instance, const std::string& ticket_id, std::vector<double> history);

  // Event `event_id` of the ticket was committed with `fresh` as its sentiment: extends the
  // entry. An event that is not newer than the last one seen drops the entry instead (the next
  // read goes to the store).
  void Committed(const std::string& instance, const std::string& ticket_id, int64_t event_id,
                 const std::vector<double>& fresh);

  // The ticket's commit failed or its state is unknown: forget it.
  void Forget(const std::string& instance, const std::string& ticket_id);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<double> history;
    int64_t last_event_id = 0;  // 0: as read from the store
    std::list<std::string>::iterator lru;
  };
  static std::string Key(const std::string& instance, const std::string& ticket_id);
  void Touch(Entry& e);

  const size_t max_tickets_;
  const size_t max_compounds_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recently used first
};

}  // namespace deskhook
