// Store: the outbox (calls decided for an event, delivered in order, retried, dead-lettered)
// and the values captured from earlier calls' answers (outbox_vars).
#include <boost/json.hpp>

#include "host/store_impl.h"

namespace deskhook {

using store_internal::Conn;
using store_internal::Cursor;

namespace {

constexpr const char* kOutboxColumns =
    "SELECT id, event_id, seq, instance, ticket_id, idem_key, kind, method, path, headers_json, "
    "body, capture_pointer, capture_as, state, attempts, next_attempt_ms, last_status, "
    "last_error, created_ms, updated_ms, rate_limited FROM outbox ";

// Headers as a JSON array of [name, value] pairs: keeps order and repeated names.
std::string HeadersToJson(const std::vector<std::pair<std::string, std::string>>& headers) {
  boost::json::array arr;
  for (const auto& [name, value] : headers) arr.push_back(boost::json::array{name, value});
  return boost::json::serialize(arr);
}

std::vector<std::pair<std::string, std::string>> HeadersFromJson(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;  // written by us; unreadable only if hand-edited
  for (const auto& pair : v.as_array()) {
    const auto* a = pair.if_array();
    if (a == nullptr || a->size() != 2 || !(*a)[0].is_string() || !(*a)[1].is_string()) continue;
    out.emplace_back(std::string((*a)[0].as_string()), std::string((*a)[1].as_string()));
  }
  return out;
}

OutboxItem ReadItem(const Cursor& c) {
  OutboxItem it;
  it.id = c.Int(0);
  it.event_id = c.Int(1);
  it.seq = static_cast<int>(c.Int(2));
  it.instance = c.Text(3);
  it.ticket_id = c.Text(4);
  it.call.idempotency_key = c.Text(5);
  it.call.kind = c.Text(6);
  it.call.method = c.Text(7);
  it.call.path = c.Text(8);
  it.call.headers = HeadersFromJson(c.Text(9));
  it.call.body = c.Text(10);
  it.call.capture_pointer = c.Text(11);
  it.call.capture_as = c.Text(12);
  it.state = static_cast<OutboxState>(c.Int(13));
  it.attempts = static_cast<int>(c.Int(14));
  it.next_attempt_ms = c.Int(15);
  it.last_status = static_cast<int>(c.Int(16));
  it.last_error = c.Text(17);
  it.created_ms = c.Int(18);
  it.updated_ms = c.Int(19);
  it.rate_limited = static_cast<int>(c.Int(20));
  return it;
}

template <typename Bind>
Result<std::vector<OutboxItem>> QueryOutbox(store_internal::ReaderPool& readers, const char* sql, Bind bind) {
  return store_internal::QueryRows<OutboxItem>(readers, sql, bind, ReadItem, "read outbox");
}

}  // namespace

namespace store_internal {

Status InsertOutboxCall(Conn& conn, int64_t event_id, int seq, const std::string& instance,
                        const std::string& ticket_id, const ApiCall& call, int64_t now_ms) {
  auto ins = conn.Prepare(
      "INSERT INTO outbox(event_id, seq, instance, ticket_id, idem_key, kind, method, path, "
      "headers_json, body, capture_pointer, capture_as, next_attempt_ms, created_ms, "
      "updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?13) "
      "ON CONFLICT(event_id, idem_key) DO NOTHING");
  if (!ins.ok()) return ins.status();
  const std::string headers = HeadersToJson(call.headers);
  Cursor c(*ins);
  c.Bind(1, event_id).Bind(2, int64_t{seq}).Bind(3, instance).Bind(4, ticket_id);
  if (call.idempotency_key.empty()) {
    c.BindNull(5);
  } else {
    c.Bind(5, call.idempotency_key);
  }
  c.Bind(6, call.kind).Bind(7, call.method).Bind(8, call.path).Bind(9, headers);
  c.BindBlob(10, call.body).Bind(11, call.capture_pointer).Bind(12, call.capture_as);
  c.Bind(13, now_ms);
  return c.Run("insert outbox");
}

}  // namespace store_internal

Result<std::vector<OutboxItem>> Store::DueOutbox(int64_t now_ms, int limit) {
  static const std::string sql = std::string(kOutboxColumns) +
                                 "WHERE state = 0 AND next_attempt_ms <= ?1 ORDER BY id LIMIT ?2";
  return QueryOutbox(impl_->readers, sql.c_str(),
                     [&](Cursor& c) { c.Bind(1, now_ms).Bind(2, int64_t{limit}); });
}

Result<std::vector<OutboxItem>> Store::ListOutbox(std::optional<OutboxState> state, int limit) {
  static const std::string by_state =
      std::string(kOutboxColumns) + "WHERE state = ?1 ORDER BY id LIMIT ?2";
  static const std::string all = std::string(kOutboxColumns) + "ORDER BY id LIMIT ?2";
  return QueryOutbox(impl_->readers, state ? by_state.c_str() : all.c_str(), [&](Cursor& c) {
    if (state) c.Bind(1, static_cast<int64_t>(*state));
    c.Bind(2, int64_t{limit});
  });
}

Result<std::vector<OutboxItem>> Store::OutboxForEvent(int64_t event_id) {
  static const std::string sql = std::string(kOutboxColumns) + "WHERE event_id = ?1 ORDER BY seq";
  return QueryOutbox(impl_->readers, sql.c_str(), [&](Cursor& c) { c.Bind(1, event_id); });
}

Result<OutboxItem> Store::GetOutbox(int64_t id) {
  static const std::string sql = std::string(kOutboxColumns) + "WHERE id = ?1";
  auto rows = QueryOutbox(impl_->readers, sql.c_str(), [&](Cursor& c) { c.Bind(1, id); });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("no outbox item " + std::to_string(id));
  return std::move(rows->front());
}

namespace {

// Returns NotFound when no row has item.id.
Status UpdateOutboxRow(Conn& conn, const OutboxItem& item, int64_t updated_ms) {
  auto upd = conn.Prepare(
      "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_ms = ?4, last_status = ?5, "
      "last_error = ?6, updated_ms = ?7, rate_limited = ?8 WHERE id = ?1");
  if (!upd.ok()) return upd.status();
  Cursor c(*upd);
  c.Bind(1, item.id).Bind(2, static_cast<int64_t>(item.state)).Bind(3, int64_t{item.attempts});
  c.Bind(4, item.next_attempt_ms).Bind(5, int64_t{item.last_status}).Bind(6, item.last_error);
  c.Bind(7, updated_ms).Bind(8, int64_t{item.rate_limited});
  Status st = c.Run("update outbox");
  if (!st.ok()) return st;
  if (sqlite3_changes(conn.db()) == 0) return Status::NotFound("no outbox item " + std::to_string(item.id));
  return Status::Ok();
}

}  // namespace

Status Store::UpdateOutbox(const OutboxItem& item) {
  const int64_t updated_ms = item.updated_ms != 0 ? item.updated_ms : impl_->Now();
  return impl_->Submit([&](Conn& conn) { return UpdateOutboxRow(conn, item, updated_ms); });
}

Status Store::SaveOutboxResults(const std::vector<OutboxItem>& items, const std::vector<LogEntry>& log) {
  if (items.empty() && log.empty()) return Status::Ok();
  const int64_t now = impl_->Now();
  return impl_->Submit([&](Conn& conn) -> Status {
    for (const OutboxItem& item : items) {
      Status st = UpdateOutboxRow(conn, item, item.updated_ms != 0 ? item.updated_ms : now);
      if (!st.ok() && st.code() != Code::kNotFound) return st;
    }
    return log.empty() ? Status::Ok() : store_internal::InsertLog(conn, log);
  });
}

Status Store::SetOutboxVar(int64_t event_id, const std::string& name, const std::string& value) {
  if (name.empty()) return Status::InvalidArgument("outbox variable has no name");
  return impl_->Submit([&](Conn& conn) -> Status {
    auto ins = conn.Prepare(
        "INSERT OR REPLACE INTO outbox_vars(event_id, name, value) VALUES(?1, ?2, ?3)");
    if (!ins.ok()) return ins.status();
    Cursor c(*ins);
    c.Bind(1, event_id).Bind(2, name).Bind(3, value);
    return c.Run("set outbox var");
  });
}

Result<std::vector<std::pair<std::string, std::string>>> Store::OutboxVars(int64_t event_id) {
  std::vector<std::pair<std::string, std::string>> out;
  Status st = impl_->WithReader([&](Conn& conn) {
    auto stmt = conn.Prepare(
        "SELECT name, value FROM outbox_vars WHERE event_id = ?1 ORDER BY name");
    if (!stmt.ok()) return stmt.status();
    Cursor c(*stmt);
    c.Bind(1, event_id);
    int rc;
    while ((rc = c.Step()) == SQLITE_ROW) out.emplace_back(c.Text(0), c.Text(1));
    return store_internal::SqlStatus(conn.db(), rc, "read outbox vars");
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace deskhook
