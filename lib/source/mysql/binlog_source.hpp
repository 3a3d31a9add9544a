#pragma once
// The live half of the source: a replication stream decoded into committed
// transactions, resilient to connection loss. On a dropped connection, a
// server restart or a silent network, it reconnects with exponential backoff
// and resumes at the last committed transaction, so a transaction is never
// delivered half, and never twice.
//
// Not thread-safe; one source per worker.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "core/table_schema.hpp"
#include "source/mysql/binlog/binlog_decoder.hpp"
#include "source/mysql/binlog_stream.hpp"
#include "source/mysql/transaction_assembler.hpp"

namespace dbsync::mysql {

struct SourceOptions {
  StreamOptions stream;
  // Give up (return kUnavailable) after failing to reconnect for this long.
  int max_reconnect_seconds = 300;
  // Told about each reconnect, for the worker's log, and each failed attempt
  // (attempt 0: the connection was lost, before the first attempt).
  std::function<void(const std::string&)> on_reconnect;
  std::function<void(int attempt, const std::string& error)> on_reconnect_failed;
  // Raised: Reconnect returns kCancelled within about 50 ms of its waits.
  const std::atomic<bool>* stop = nullptr;
  // A reconnect attempt waits at most this long for the TCP connection (a
  // host that drops packets would otherwise hold it for connect_timeout).
  int reconnect_connect_timeout_seconds = 2;
  // Told when a (re)connect resumes by GTID on another server's binlog.
  std::function<void(const std::string& why)> on_history_switch;
};

// Supplies what a TABLE_MAP lacks (names, signedness, ENUM labels, charsets)
// from the tracked schema; returns nullptr for tables the task does not read
// (their rows decode with the binlog's own metadata). `at` is where the
// TABLE_MAP event begins: before the commit of the transaction it is in.
// An error stops the stream: never decode with a schema that does not fit.
using TableMapEnricher = std::function<Result<std::shared_ptr<const binlog::TableMap>>(const binlog::TableMap& table,
                                                                                      const BinlogPosition& at)>;

class BinlogSource {
 public:
  // `start` is the position after the last transaction already applied:
  // file+offset, with gtid_set when `use_gtid`.
  static Result<std::unique_ptr<BinlogSource>> Open(const Endpoint& endpoint, SourceOptions options,
                                                    const BinlogPosition& start, bool use_gtid);

  void SetTableMapEnricher(TableMapEnricher enricher) { enricher_ = std::move(enricher); }
  // The next committed transaction, or nullopt when nothing committed within
  // `timeout` (the caller can then check for shutdown). kFailedPrecondition
  // for a purged or invalid start, kCorruption for a bad event: both final.
  Result<std::optional<SourceTransaction>> Next(std::chrono::milliseconds timeout);
  const BinlogPosition& committed() const { return assembler_.committed(); }
  // The source's current position as of the latest event or heartbeat.
  const BinlogPosition& current() const { return assembler_.current(); }
  int reconnects() const { return reconnects_; }
  // Split transactions larger than this many row changes (0: never).
  void set_max_transaction_rows(size_t rows) { assembler_.set_max_rows(rows); }
  // Split transactions whose decoded rows hold more than this many bytes (0: never).
  void set_max_transaction_bytes(size_t bytes) { assembler_.set_max_bytes(bytes); }

 private:
  BinlogSource(Endpoint endpoint, SourceOptions options, bool use_gtid, BinlogStream stream, TransactionAssembler a)
      : endpoint_(std::move(endpoint)), options_(std::move(options)), use_gtid_(use_gtid),
        stream_(std::move(stream)), assembler_(std::move(a)), decoder_(DecoderFor(stream_)) {}
  static binlog::BinlogDecoder DecoderFor(const BinlogStream& stream);
  // Whether `start`'s file:offset is not where its GTID set says on this
  // server (MariaDB: BINLOG_GTID_POS), so that it must be resumed by GTID:
  // a replica promoted in the source's place names its binlogs alike, and
  // reading one by another server's offset would skip or repeat changes.
  // MySQL with gtid_mode=ON: always by GTID (auto-positioning), `why` left empty.
  static Result<bool> ResumeByGtid(const Endpoint& endpoint, const BinlogPosition& start, std::string* why);
  // BinlogStream::Open, by GTID when ResumeByGtid says so (a history switch told to on_history_switch).
  static Result<BinlogStream> OpenStream(const Endpoint& endpoint, const SourceOptions& options,
                                         const BinlogPosition& start, bool use_gtid);
  Status Reconnect(const Status& cause);

  Endpoint endpoint_;
  SourceOptions options_;
  bool use_gtid_;
  BinlogStream stream_;
  TransactionAssembler assembler_;
  binlog::BinlogDecoder decoder_;
  TableMapEnricher enricher_;
  int reconnects_ = 0;
  bool piece_open_ = false;  // a partial piece was handed out; the rest has not come yet
};

// The TABLE_MAP completed from `schema`: column names, signedness, ENUM/SET
// members and collations. kFailedPrecondition when the column count differs
// (the tracked schema is out of step with the binlog).
Result<std::shared_ptr<const binlog::TableMap>> EnrichTableMap(const binlog::TableMap& table, const TableSchema& schema);

}  // namespace dbsync::mysql
