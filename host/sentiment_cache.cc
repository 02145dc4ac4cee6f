#include "host/sentiment_cache.h"

#include <utility>

namespace deskhook {

SentimentHistoryCache::SentimentHistoryCache(size_t max_tickets, size_t max_compounds)
    : max_tickets_(max_tickets), max_compounds_(max_compounds) {}

std::string SentimentHistoryCache::Key(const std::string& instance, const std::string& ticket_id) {
  std::string key;
  key.reserve(instance.size() + 1 + ticket_id.size());
  key.append(instance).push_back('\x1f');  // not allowed in an instance name
  key.append(ticket_id);
  return key;
}

void SentimentHistoryCache::Touch(Entry& e) { lru_.splice(lru_.begin(), lru_, e.lru); }

const std::vector<double>* SentimentHistoryCache::Find(const std::string& instance, const std::string& ticket_id) {
  auto it = entries_.find(Key(instance, ticket_id));
  if (it == entries_.end()) return nullptr;
  Touch(it->second);
  return &it->second.history;
}

void SentimentHistoryCache::Fill(const std::string& instance, const std::string& ticket_id,
                                 std::vector<double> history) {
  if (max_tickets_ == 0 || history.size() > max_compounds_) return;
  std::string key = Key(instance, ticket_id);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.history = std::move(history);
    it->second.last_event_id = 0;
    Touch(it->second);
    return;
  }
  if (entries_.size() >= max_tickets_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  Entry e;
  e.history = std::move(history);
  e.lru = lru_.begin();
  entries_.emplace(std::move(key), std::move(e));
}

void SentimentHistoryCache::Committed(const std::string& instance, const std::string& ticket_id,
                                      int64_t event_id, const std::vector<double>& fresh) {
  auto it = entries_.find(Key(instance, ticket_id));
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (event_id <= e.last_event_id || e.history.size() + fresh.size() > max_compounds_) {
    lru_.erase(e.lru);
    entries_.erase(it);
    return;
  }
  e.history.insert(e.history.end(), fresh.begin(), fresh.end());
  e.last_event_id = event_id;
}

void SentimentHistoryCache::Forget(const std::string& instance, const std::string& ticket_id) {
  auto it = entries_.find(Key(instance, ticket_id));
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace deskhook
