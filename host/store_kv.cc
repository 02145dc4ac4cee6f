// Store: the scripts' key-value store (ctx.kv) and per-ticket sentiment history.
#include <charconv>
#include <cmath>
#include <string_view>

#include "host/store_impl.h"

namespace deskhook {

using store_internal::Conn;
using store_internal::Cursor;

Result<std::optional<std::string>> Store::KvGet(const std::string& script, const std::string& key,
                                                int64_t now_ms) {
  std::optional<std::string> out;
  Status st = impl_->WithReader([&](Conn& conn) {
    auto stmt = conn.Prepare(
        "SELECT value FROM kv WHERE script = ?1 AND key = ?2 "
        "AND (expires_ms = 0 OR expires_ms > ?3)");
    if (!stmt.ok()) return stmt.status();
    Cursor c(*stmt);
    c.Bind(1, script).Bind(2, key).Bind(3, now_ms);
    int rc = c.Step();
    if (rc == SQLITE_ROW) out = c.Text(0);
    return store_internal::SqlStatus(conn.db(), rc, "kv get");
  });
  if (!st.ok()) return st;
  return out;
}

namespace store_internal {

Status KvSetRow(Conn& conn, const std::string& script, const std::string& key, const std::string& value,
                int64_t expires_ms) {
  auto ins = conn.Prepare(
      "INSERT OR REPLACE INTO kv(script, key, value, expires_ms) VALUES(?1, ?2, ?3, ?4)");
  if (!ins.ok()) return ins.status();
  Cursor c(*ins);
  c.Bind(1, script).Bind(2, key).BindBlob(3, value).Bind(4, expires_ms < 0 ? 0 : expires_ms);
  return c.Run("kv set");
}

Result<int64_t> KvIncrRow(Conn& conn, const std::string& script, const std::string& key, int64_t by,
                          int64_t expires_ms_if_new, int64_t now_ms) {
  int64_t current = 0;
  int64_t expires = expires_ms_if_new < 0 ? 0 : expires_ms_if_new;
  {
    auto get = conn.Prepare(
        "SELECT value, expires_ms FROM kv WHERE script = ?1 AND key = ?2 "
        "AND (expires_ms = 0 OR expires_ms > ?3)");
    if (!get.ok()) return get.status();
    Cursor c(*get);
    c.Bind(1, script).Bind(2, key).Bind(3, now_ms);
    int rc = c.Step();
    if (rc == SQLITE_ROW) {
      const std::string text = c.Text(0);
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), current);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return Status::InvalidArgument("kv value of '" + key + "' is not an integer");
      }
      expires = c.Int(1);
    } else if (rc != SQLITE_DONE) {
      return SqlStatus(conn.db(), rc, "kv incr");
    }
  }
  int64_t result = 0;
  if (__builtin_add_overflow(current, by, &result)) {
    return Status::InvalidArgument("kv increment of '" + key + "' overflows");
  }
  Status st = KvSetRow(conn, script, key, std::to_string(result), expires);
  if (!st.ok()) return st;
  return result;
}

Status ApplyKvWrites(Conn& conn, const std::vector<KvWrite>& writes, int64_t now_ms) {
  for (const KvWrite& w : writes) {
    if (w.incr) {
      auto r = KvIncrRow(conn, w.script, w.key, w.by, w.expires_ms, now_ms);
      // A value that is not an integer (or would overflow) was refused to the script too.
      if (!r.ok() && r.status().code() != Code::kInvalidArgument) return r.status();
    } else {
      Status st = KvSetRow(conn, w.script, w.key, w.value, w.expires_ms);
      if (!st.ok()) return st;
    }
  }
  return Status::Ok();
}

}  // namespace store_internal

Status Store::KvSet(const std::string& script, const std::string& key, const std::string& value,
                    int64_t expires_ms) {
  return impl_->Submit([&](Conn& conn) { return store_internal::KvSetRow(conn, script, key, value, expires_ms); });
}

Result<int64_t> Store::KvIncr(const std::string& script, const std::string& key, int64_t by,
                              int64_t expires_ms_if_new) {
  int64_t result = 0;
  Status st = impl_->Submit([&](Conn& conn) -> Status {
    auto r = store_internal::KvIncrRow(conn, script, key, by, expires_ms_if_new, impl_->Now());
    if (!r.ok()) return r.status();
    result = *r;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return result;
}

namespace {

Status ReadSentiment(Conn& conn, const std::string& instance, const std::string& ticket_id, std::vector<double>* out) {
  auto stmt = conn.Prepare(
      "SELECT id, sentiment FROM events WHERE instance = ?1 AND ticket_id = ?2 "
      "AND sentiment IS NOT NULL ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  Cursor c(*stmt);
  c.Bind(1, instance).Bind(2, ticket_id);
  int rc;
  while ((rc = c.Step()) == SQLITE_ROW) {
    if (!store_internal::ParseCompounds(c.Text(1), out)) {
      return Status::Internal("event " + std::to_string(c.Int(0)) + " has a malformed sentiment");
    }
  }
  return store_internal::SqlStatus(conn.db(), rc, "read sentiment");
}

}  // namespace

Result<std::vector<double>> Store::SentimentHistory(const std::string& instance,
                                                    const std::string& ticket_id) {
  std::vector<double> out;
  Status st = impl_->WithReader([&](Conn& conn) { return ReadSentiment(conn, instance, ticket_id, &out); });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<std::vector<double>>> Store::SentimentHistories(
    const std::vector<std::pair<std::string, std::string>>& tickets) {
  std::vector<std::vector<double>> out(tickets.size());
  if (tickets.empty()) return out;
  Status st = impl_->WithReader([&](Conn& conn) {
    // One read transaction for all: a reader's page cache is dropped whenever the writer has
    // committed since its last read, so separate reads would each fetch the same pages again.
    if (Status s = conn.ExecCached("BEGIN"); !s.ok()) return s;
    for (size_t i = 0; i < tickets.size(); ++i) {
      if (Status s = ReadSentiment(conn, tickets[i].first, tickets[i].second, &out[i]); !s.ok()) return s;
    }
    return conn.ExecCached("COMMIT");
  });
  if (!st.ok()) return st;
  return out;
}

Status Store::AppendSentiment(int64_t event_id, const std::vector<double>& compounds) {
  if (compounds.empty()) return Status::Ok();
  const std::string text = store_internal::CompoundsText(compounds);
  return impl_->Submit([&](Conn& conn) -> Status {
    auto upd = conn.Prepare(
        "UPDATE events SET sentiment = COALESCE(sentiment, ?2) WHERE id = ?1 RETURNING id");
    if (!upd.ok()) return upd.status();
    Cursor c(*upd);
    c.Bind(1, event_id).Bind(2, text);
    int rc = c.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no event " + std::to_string(event_id));
    if (rc != SQLITE_ROW) return store_internal::SqlStatus(conn.db(), rc, "append sentiment");
    return store_internal::SqlStatus(conn.db(), c.Step(), "append sentiment");
  });
}

namespace store_internal {

std::string CompoundsText(const std::vector<double>& compounds) {
  std::string out = "[";
  char buf[32];
  for (size_t i = 0; i < compounds.size(); ++i) {
    if (i > 0) out += ',';
    // Shortest form that reads back as the same double; scores are finite (0 otherwise).
    const double v = std::isfinite(compounds[i]) ? compounds[i] : 0.0;
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
  }
  out += ']';
  return out;
}

bool ParseCompounds(std::string_view text, std::vector<double>* out) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  const char* p = text.data() + 1;
  const char* end = text.data() + text.size() - 1;
  while (p < end) {
    double v = 0;
    auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc()) return false;
    out->push_back(v);
    p = r.ptr;
    if (p < end && (*p++ != ',' || p == end)) return false;
  }
  return true;
}

}  // namespace store_internal

}  // namespace deskhook
