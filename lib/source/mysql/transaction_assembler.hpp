#pragma once
// Groups decoded binlog events into committed source transactions, each with
// the position right after its commit: the unit the pipeline applies and
// checkpoints. Pure: the same code serves a live stream and a binlog file.
//
// Boundaries: a transaction starts at GTID / MariaDB GTID / BEGIN and ends at
// XID, COMMIT, or (DDL) the statement itself. XA transactions are held from
// XA PREPARE until their XA COMMIT (emitted then) or XA ROLLBACK (dropped).
// TRANSACTION_PAYLOAD (MySQL compressed transactions) is unpacked in place.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "core/status.hpp"
#include "source/mysql/binlog/binlog_event.hpp"
#include "source/mysql/gtid_state.hpp"

namespace dbsync::mysql {

struct SourceTransaction {
  // Row events and QUERY events (DDL, or statements of non-transactional
  // engines), in binlog order. TABLE_MAPs are already resolved into the rows.
  std::vector<binlog::BinlogEvent> events;
  BinlogPosition commit_position;  // file:offset after the commit, and the GTID set including it
  std::string gtid;                // this transaction's GTID, empty if none
  uint32_t timestamp = 0;          // commit time on the source (UTC epoch seconds)
  bool is_ddl = false;             // a single DDL statement
  // A piece of a transaction too large to hold in memory, or the DDL
  // statement that opens a transaction (CREATE TABLE ... SELECT): more pieces follow,
  // and the last one (partial == false) carries the commit position. The
  // consumer must apply the pieces in one destination transaction. A piece's
  // commit_position is where it ends in the binlog, never a resume point.
  bool partial = false;
};

class TransactionAssembler {
 public:
  TransactionAssembler(BinlogPosition start, GtidState gtids)
      : position_(std::move(start)), gtids_(std::move(gtids)) {}

  // Feeds one event; returns a transaction when this event commits one, or a
  // partial piece once an open transaction holds `max_rows` row changes or
  // `max_bytes` of decoded rows (Value::MemoryBytes): a piece holds at most
  // max_bytes plus one rows event.
  std::optional<SourceTransaction> Add(binlog::BinlogEvent event);
  void set_max_rows(size_t rows) { max_rows_ = rows; }
  void set_max_bytes(size_t bytes) { max_bytes_ = bytes; }
  // The position after the last committed transaction (where to resume).
  const BinlogPosition& committed() const { return committed_; }
  // The file and offset of the last event seen (for lag and heartbeats).
  const BinlogPosition& current() const { return position_; }
  // Drops a transaction in progress, e.g. when the connection is lost.
  void Reset() { open_.reset(); }

 private:
  std::optional<SourceTransaction> Commit(const binlog::EventHeader& header);
  void Begin(const binlog::EventHeader& header);

  BinlogPosition position_;
  BinlogPosition committed_;
  GtidState gtids_;
  std::optional<SourceTransaction> open_;
  std::string pending_gtid_;  // announced by the GTID event, applied to the set at commit
  std::optional<std::pair<uint32_t, std::pair<uint32_t, uint64_t>>> pending_mariadb_gtid_;
  std::optional<std::pair<std::string, int64_t>> pending_mysql_gtid_;
  // Inside BEGIN ... COMMIT (or a MariaDB GTID group): a statement does not
  // end the transaction; outside, a statement (DDL) is a transaction of its own.
  bool in_group_ = false;
  std::map<std::string, SourceTransaction> prepared_xa_;  // by XID text
  size_t max_rows_ = 0;   // 0: never split
  size_t open_rows_ = 0;  // row changes held in open_
  size_t max_bytes_ = 0;  // 0: never split by size
  size_t open_bytes_ = 0;  // their decoded size
};

// "XA COMMIT 'a','b',1" and friends: the XID text, used as a key.
std::string NormalizeXid(const std::string& text);

}  // namespace dbsync::mysql
