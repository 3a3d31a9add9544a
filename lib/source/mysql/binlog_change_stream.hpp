#pragma once
// The MySQL/MariaDB binlog as a source-neutral change stream
// (change/change_event.hpp): BinlogSource's committed transactions with their
// row events turned into change::RowsEvent and their QUERY events into
// change::StatementEvent, the tables a DDL names parsed here, where the SQL
// dialect is known.

#include <memory>

#include "change/change_event.hpp"
#include "source/mysql/binlog_source.hpp"
#include "source/source.hpp"

namespace dbsync::mysql {


class BinlogChangeStream : public change::ChangeStream {
 public:
  // `server_id` names the replica connection (unique among the server's replicas).
  static Result<std::unique_ptr<BinlogChangeStream>> Open(const Endpoint& endpoint, uint32_t server_id,
                                                          source::ChangeStreamOptions options,
                                                          const BinlogPosition& from);
  Result<std::optional<change::Transaction>> Next(std::chrono::milliseconds wait) override;

 private:
  explicit BinlogChangeStream(std::unique_ptr<BinlogSource> source) : source_(std::move(source)) {}
  std::unique_ptr<BinlogSource> source_;
};

// One assembled binlog transaction as a change transaction (moves the rows).
change::Transaction ToChangeTransaction(SourceTransaction&& txn);

}  // namespace dbsync::mysql
