#include "source/mysql/binlog_source.hpp"

#include <thread>

#include "core/text_util.hpp"

namespace dbsync::mysql {

Result<std::shared_ptr<const binlog::TableMap>> EnrichTableMap(const binlog::TableMap& table,
                                                               const TableSchema& schema) {
  if (table.columns.size() != schema.columns.size())
    return Status::FailedPrecondition(
        "binlog row event for " + schema.FullName() + " has " + std::to_string(table.columns.size()) +
        " columns but the tracked definition has " + std::to_string(schema.columns.size()) +
        "; the table changed in a way the DDL tracking missed. Re-run the task's full initialization for this table");
  auto out = std::make_shared<binlog::TableMap>(table);
  for (size_t i = 0; i < out->columns.size(); ++i) {
    auto& col = out->columns[i];
    const ColumnSchema& s = schema.columns[i];
    if (col.name.empty()) col.name = s.name;
    if (!col.is_unsigned) col.is_unsigned = s.is_unsigned;
    if (col.collation == 0) col.collation = s.collation;
    if (s.data_type == "enum" && col.enum_values.empty()) col.enum_values = s.enum_values;
    if (s.data_type == "set" && col.set_values.empty()) col.set_values = s.enum_values;
  }
  if (out->primary_key.empty())
    for (const auto& k : schema.primary_key) out->primary_key.push_back(uint32_t(schema.ColumnIndex(k)));
  return std::shared_ptr<const binlog::TableMap>(std::move(out));
}

binlog::BinlogDecoder BinlogSource::DecoderFor(const BinlogStream& stream) {
  binlog::DecoderOptions opts;
  opts.initial_checksum = stream.checksum_crc32() ? binlog::ChecksumAlgorithm::kCrc32 : binlog::ChecksumAlgorithm::kOff;
  return binlog::BinlogDecoder(opts);
}

namespace {

// MySQL has no BINLOG_GTID_POS to check a file position with. With
// gtid_mode=ON it positions a replica by GTID instead (auto-positioning, as
// SOURCE_AUTO_POSITION=1 does): COM_BINLOG_DUMP_GTID sends the checkpoint's
// set and the server skips every transaction in it, whichever file holds it,
// so a primary replaced by a replica with the same history is followed; a set
// the server purged is refused with error 1236 (never skipped).
Result<bool> MysqlAutoPosition(Connection& conn) {
  SYNC_ASSIGN_OR_RETURN(auto mode, conn.Query("SELECT @@global.gtid_mode"));
  return ToLower(mode.Scalar()) == "on";
}

}  // namespace

Result<bool> BinlogSource::ResumeByGtid(const Endpoint& endpoint, const BinlogPosition& start, std::string* why) {
  if (start.gtid_set.empty() || start.file.empty()) return false;
  SYNC_ASSIGN_OR_RETURN(Connection conn, Connection::Connect(endpoint));
  if (!conn.IsMariaDB()) return MysqlAutoPosition(conn);
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT BINLOG_GTID_POS(" + QuoteString(start.file) + ", " +
                                           std::to_string(start.offset) + ")"));
  const bool known = !r.rows.empty() && r.rows[0][0].has_value();
  SYNC_ASSIGN_OR_RETURN(GtidState want, GtidState::Parse(start.gtid_set, true));
  if (known) {
    SYNC_ASSIGN_OR_RETURN(GtidState here, GtidState::Parse(*r.rows[0][0], true));
    if (here.ToString() == want.ToString()) return false;
  } else {
    // The file is gone. From this server's own binlog (a GTID of the set was
    // written by it) that is a purge, which must stay an error: only another
    // server's binlog is resumed by GTID.
    SYNC_ASSIGN_OR_RETURN(auto id, conn.Query("SELECT @@server_id"));
    const std::string server = id.rows.empty() ? "" : id.rows[0][0].value_or("");
    for (const auto& gtid : Split(start.gtid_set, ','))
      if (auto parts = Split(Trim(gtid), '-'); parts.size() == 3 && parts[1] == server) return false;
  }
  *why = "the source's binlog at " + start.ToString() + " is " +
         (known ? "at GTID " + *r.rows[0][0] : std::string("not on this server")) + ", not at GTID " + start.gtid_set +
         " (another server took over, or its binlogs were reset): resuming by GTID " + start.gtid_set;
  return true;
}

Result<BinlogStream> BinlogSource::OpenStream(const Endpoint& endpoint, const SourceOptions& options,
                                              const BinlogPosition& start, bool use_gtid) {
  std::string why;
  if (!use_gtid) {
    SYNC_ASSIGN_OR_RETURN(use_gtid, ResumeByGtid(endpoint, start, &why));
    if (use_gtid && !why.empty() && options.on_history_switch) options.on_history_switch(why);
  }
  return BinlogStream::Open(endpoint, options.stream, start, use_gtid);
}

Result<std::unique_ptr<BinlogSource>> BinlogSource::Open(const Endpoint& endpoint, SourceOptions options,
                                                         const BinlogPosition& start, bool use_gtid) {
  SYNC_ASSIGN_OR_RETURN(BinlogStream stream, OpenStream(endpoint, options, start, use_gtid));
  SYNC_ASSIGN_OR_RETURN(GtidState gtids, GtidState::Parse(start.gtid_set, stream.is_mariadb()));
  TransactionAssembler assembler(start, std::move(gtids));
  return std::unique_ptr<BinlogSource>(
      new BinlogSource(endpoint, std::move(options), use_gtid, std::move(stream), std::move(assembler)));
}

Status BinlogSource::Reconnect(const Status& cause) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options_.max_reconnect_seconds);
  auto backoff = std::chrono::milliseconds(200);
  Status last = cause;
  Endpoint endpoint = endpoint_;
  endpoint.connect_timeout_seconds =
      std::max(1, std::min(endpoint.connect_timeout_seconds, options_.reconnect_connect_timeout_seconds));
  auto stopped = [&] { return options_.stop && options_.stop->load(); };
  if (options_.on_reconnect_failed) options_.on_reconnect_failed(0, cause.message());  // 0: the loss itself
  for (int attempt = 1; std::chrono::steady_clock::now() < deadline; ++attempt) {
    for (auto slept = std::chrono::milliseconds(0); slept < backoff; slept += std::chrono::milliseconds(50)) {
      if (stopped()) return Status(StatusCode::kCancelled, "stopped while reconnecting to the source (" + last.message() + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
    BinlogPosition resume = assembler_.committed();
    auto stream = OpenStream(endpoint, options_, resume, use_gtid_);
    if (stream.ok()) {
      stream_ = std::move(stream).value();
      assembler_.Reset();
      decoder_ = DecoderFor(stream_);
      ++reconnects_;
      if (options_.on_reconnect)
        options_.on_reconnect("binlog stream reconnected at " + resume.ToString() + " after: " + cause.message());
      return Status::Ok();
    }
    last = stream.status();
    if (options_.on_reconnect_failed) options_.on_reconnect_failed(attempt, last.message());
    if (!last.IsRetryable() && last.code() != StatusCode::kUnauthenticated) return last;
  }
  return Status::Unavailable("lost the binlog stream and could not reconnect for " +
                             std::to_string(options_.max_reconnect_seconds) + " s: " + last.message());
}

Result<std::optional<SourceTransaction>> BinlogSource::Next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // Returns on time when the source is quiet, instead of blocking in
    // NextEvent until its next heartbeat.
    Result<bool> ready = stream_.WaitForData(std::max(left, std::chrono::milliseconds(0)));
    if (ready.ok() && !*ready) break;  // quiet until the deadline
    auto raw = ready.ok() ? stream_.NextEvent() : Result<std::vector<uint8_t>>(ready.status());
    if (!raw.ok()) {
      if (!raw.status().IsRetryable()) return raw.status();
      // The consumer has applied pieces of the open transaction; resuming
      // would send them again. Fail, so the consumer rolls them back.
      if (piece_open_)
        return Status::Unavailable("lost the binlog stream inside a large transaction: " + raw.status().message());
      SYNC_RETURN_IF_ERROR(Reconnect(raw.status()));
      continue;
    }
    // Live events do not know their own start offset; the header's next
    // position minus the length gives it (0 for artificial events).
    const auto& bytes = *raw;
    uint64_t next = bytes.size() >= 17 ? uint64_t(bytes[13]) | uint64_t(bytes[14]) << 8 |
                                             uint64_t(bytes[15]) << 16 | uint64_t(bytes[16]) << 24
                                       : 0;
    uint64_t position = next >= bytes.size() ? next - bytes.size() : 0;
    decoder_.set_source_name(assembler_.current().file);
    SYNC_ASSIGN_OR_RETURN(binlog::BinlogEvent event, decoder_.Decode(bytes, position));
    if (auto* tm = event.get_if<binlog::TableMapEvent>(); tm && enricher_) {
      SYNC_ASSIGN_OR_RETURN(auto enriched, enricher_(*tm->table, BinlogPosition{assembler_.current().file, position, ""}));
      if (enriched) decoder_.PutTableMap(std::move(enriched));
    }
    if (auto txn = assembler_.Add(std::move(event))) {
      piece_open_ = txn->partial;
      return std::optional<SourceTransaction>(std::move(*txn));
    }
  }
  return std::optional<SourceTransaction>();
}

}  // namespace dbsync::mysql
