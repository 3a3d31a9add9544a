#pragma once
// The MySQL/MariaDB binlog as a source-neutral change stream
// (change/change_event.hpp): BinlogSource's committed transactions with their
// row events turned into change::RowsEvent and their QUERY events into
// change::StatementEvent, the tables a DDL names parsed here, where the SQL
// dialect is known.

#include <memory>

#include "change/change_event.hpp"
#include "source/mysql/binlog_source.hpp"

namespace dbsync::mysql {

struct ChangeStreamOptions {
  uint32_t server_id = 0;
  // Transactions with more row changes arrive in pieces (0: never split).
  size_t max_transaction_rows = 0;
  std::function<void(const std::string&)> on_reconnect;
  // MariaDB and MySQL < 8 write no column names, signedness or charsets in
  // the binlog: rows of the tables it resolves decode with these definitions.
  change::SchemaResolver schemas;
};

class BinlogChangeStream : public change::ChangeStream {
 public:
  static Result<std::unique_ptr<BinlogChangeStream>> Open(const Endpoint& endpoint, ChangeStreamOptions options,
                                                          const BinlogPosition& from);
  Result<std::optional<change::Transaction>> Next(std::chrono::milliseconds wait) override;

 private:
  explicit BinlogChangeStream(std::unique_ptr<BinlogSource> source) : source_(std::move(source)) {}
  std::unique_ptr<BinlogSource> source_;
};

// One assembled binlog transaction as a change transaction (moves the rows).
change::Transaction ToChangeTransaction(SourceTransaction&& txn);

}  // namespace dbsync::mysql
