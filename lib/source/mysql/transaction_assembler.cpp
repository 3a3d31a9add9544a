#include "source/mysql/transaction_assembler.hpp"

#include <cctype>
#include <utility>

#include "core/text_util.hpp"
#include "source/mysql/ddl_parser.hpp"

namespace dbsync::mysql {
namespace {

using binlog::BinlogEvent;
using binlog::EventType;

std::string UpperTrimmed(const std::string& q) {
  size_t a = 0, b = q.size();
  while (a < b && std::isspace(static_cast<unsigned char>(q[a]))) ++a;
  while (b > a && (std::isspace(static_cast<unsigned char>(q[b - 1])) || q[b - 1] == ';')) --b;
  std::string out = q.substr(a, b - a);
  for (auto& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::string NormalizeXid(const std::string& text) {
  std::string out;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// The form servers write in XA COMMIT statements: X'gtrid',X'bqual',formatID.
std::string XidText(const binlog::XaId& xid) {
  static const char kHex[] = "0123456789ABCDEF";
  auto hex = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    return out;
  };
  return "X'" + hex(xid.gtrid) + "',X'" + hex(xid.bqual) + "'," + std::to_string(xid.format_id);
}

}  // namespace

void TransactionAssembler::Begin(const binlog::EventHeader& header) {
  open_ = SourceTransaction{};
  open_->timestamp = header.timestamp;
  open_rows_ = 0;
  open_bytes_ = 0;
  in_group_ = false;
}

std::optional<SourceTransaction> TransactionAssembler::Commit(const binlog::EventHeader& header) {
  if (pending_mysql_gtid_) gtids_.AddMysql(pending_mysql_gtid_->first, pending_mysql_gtid_->second);
  if (pending_mariadb_gtid_)
    gtids_.SetMariadb(pending_mariadb_gtid_->first, pending_mariadb_gtid_->second.first,
                      pending_mariadb_gtid_->second.second);
  committed_ = position_;
  committed_.gtid_set = gtids_.ToString();
  std::optional<SourceTransaction> done = std::move(open_);
  open_.reset();
  if (!done) done = SourceTransaction{};
  done->commit_position = committed_;
  done->gtid = pending_gtid_;
  if (header.timestamp) done->timestamp = header.timestamp;
  pending_gtid_.clear();
  pending_mysql_gtid_.reset();
  pending_mariadb_gtid_.reset();
  in_group_ = false;
  return done;
}

std::optional<SourceTransaction> TransactionAssembler::Add(BinlogEvent event) {
  const auto& h = event.header;
  // Events the server makes up for the stream (the first ROTATE, a replayed
  // FORMAT_DESCRIPTION) carry no position of their own.
  if (h.next_position != 0) position_.offset = h.next_position;

  if (auto* rotate = event.get_if<binlog::RotateEvent>()) {
    position_.file = rotate->next_file;
    position_.offset = rotate->position;
    if (committed_.file.empty() || !open_) {
      committed_.file = position_.file;
      committed_.offset = position_.offset;
      committed_.gtid_set = gtids_.ToString();
    }
    return std::nullopt;
  }
  if (auto* payload = std::get_if<binlog::TransactionPayloadEvent>(&event.body)) {
    std::optional<SourceTransaction> out;
    // Already whole in memory (decompressed), so splitting would save nothing;
    // and one call can hand out only one transaction.
    size_t max_rows = std::exchange(max_rows_, 0), max_bytes = std::exchange(max_bytes_, 0);
    for (auto& inner : payload->events) {
      inner.header.next_position = 0;  // inner events have no file offset: commit at the payload's end
      auto t = Add(std::move(inner));
      if (t) out = std::move(t);
    }
    max_rows_ = max_rows;
    max_bytes_ = max_bytes;
    if (out) {
      out->commit_position.offset = position_.offset;
      committed_.offset = position_.offset;
    }
    return out;
  }
  if (auto* g = event.get_if<binlog::GtidEvent>()) {
    Begin(h);
    if (!g->anonymous) {
      pending_gtid_ = g->ToString();
      std::string sid = binlog::UuidToString(g->sid) + (g->tag.empty() ? "" : ":" + g->tag);
      pending_mysql_gtid_ = {sid, g->gno};
    }
    return std::nullopt;
  }
  if (auto* g = event.get_if<binlog::MariadbGtidEvent>()) {
    Begin(h);
    pending_gtid_ = g->gtid.ToString();
    pending_mariadb_gtid_ = {g->gtid.domain_id, {g->gtid.server_id, g->gtid.sequence}};
    // Without the standalone flag MariaDB's GTID event stands for BEGIN.
    in_group_ = !g->standalone();
    return std::nullopt;
  }
  if (event.get_if<binlog::XidEvent>()) return Commit(h);
  if (auto* xa = event.get_if<binlog::XaPrepareEvent>()) {
    // The transaction's changes become visible only at XA COMMIT.
    if (open_) prepared_xa_[NormalizeXid(XidText(xa->xid))] = std::move(*open_);
    open_.reset();
    auto t = Commit(h);  // the position and GTID advance now; the data waits
    t->events.clear();
    return t;
  }
  if (auto* q = event.get_if<binlog::QueryEvent>()) {
    std::string upper = UpperTrimmed(q->query);
    if (upper == "BEGIN" || StartsWith(upper, "XA START") || StartsWith(upper, "XA BEGIN")) {
      if (!open_) Begin(h);
      in_group_ = true;
      return std::nullopt;
    }
    if (upper == "COMMIT") return Commit(h);
    if (upper == "ROLLBACK") {  // a non-transactional mix rolled back: nothing to apply
      open_.reset();
      return Commit(h);
    }
    if (StartsWith(upper, "XA END")) return std::nullopt;
    if (StartsWith(upper, "XA PREPARE")) {
      std::string id = NormalizeXid(q->query.substr(upper.find("PREPARE") + 7));
      if (open_) prepared_xa_[id] = std::move(*open_);
      open_.reset();
      auto t = Commit(h);
      t->events.clear();
      return t;
    }
    if (StartsWith(upper, "XA COMMIT") || StartsWith(upper, "XA ROLLBACK")) {
      bool commit = StartsWith(upper, "XA COMMIT");
      std::string rest = q->query.substr(upper.find(' ', 3) + 1);
      if (rest.size() > 9 && UpperTrimmed(rest.substr(rest.size() - 9)) == "ONE PHASE") rest.resize(rest.size() - 9);
      std::string id = NormalizeXid(rest);
      auto held = prepared_xa_.find(id);
      SourceTransaction body;
      if (held != prepared_xa_.end()) {
        if (commit) body = std::move(held->second);
        prepared_xa_.erase(held);
      } else if (commit && open_) {
        body = std::move(*open_);  // XA COMMIT ... ONE PHASE
      }
      open_ = std::move(body);
      return Commit(h);
    }
    // Any other statement: DDL, or DML of a non-transactional engine in a group.
    bool in_group = open_.has_value() && in_group_;
    if (in_group && open_->events.empty() && IsDdlStatement(q->query)) {
      // DDL that opens a transaction (CREATE TABLE ... SELECT in row format:
      // the CREATE, then its rows): handed over on its own, before the rows
      // that follow are decoded, so they decode with the table it creates.
      SourceTransaction piece;
      piece.events.push_back(std::move(event));
      piece.timestamp = open_->timestamp;
      piece.partial = true;
      piece.commit_position = position_;  // where the statement ends: orders it, never a resume point
      return piece;
    }
    if (!open_) Begin(h);
    open_->events.push_back(std::move(event));
    if (!in_group) {
      open_->is_ddl = true;
      return Commit(h);
    }
    return std::nullopt;
  }
  if (auto* rows = event.get_if<binlog::RowsEvent>()) {
    if (!open_) Begin(h);
    open_rows_ += rows->rows.size();
    if (max_bytes_)
      for (const auto& row : rows->rows) open_bytes_ += MemoryBytes(row.before) + MemoryBytes(row.after);
    open_->events.push_back(std::move(event));
    // XA transactions are held until their commit decides, so they are never split.
    if (((max_rows_ && open_rows_ >= max_rows_) || (max_bytes_ && open_bytes_ >= max_bytes_)) && in_group_) {
      SourceTransaction piece;
      piece.events = std::move(open_->events);
      piece.timestamp = open_->timestamp;
      piece.partial = true;
      // Not a commit position: where the piece ends. A transaction is written
      // whole at its commit, so this orders the piece like its commit would.
      piece.commit_position = position_;
      open_->events.clear();
      open_rows_ = 0;
      open_bytes_ = 0;
      return piece;
    }
    return std::nullopt;
  }
  return std::nullopt;  // table maps (already resolved), heartbeats, checkpoints, ...
}

}  // namespace dbsync::mysql
