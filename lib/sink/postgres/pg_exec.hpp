#pragma once
// libpq pieces the sink needs beyond Connection::Query: statements with NULL
// parameters, COPY FROM STDIN, and a transaction guard.

#include <libpq-fe.h>

#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "sink/postgres/pg_connection.hpp"

namespace dbsync::postgres {

using Params = std::vector<std::optional<std::string>>;  // text parameters; nullopt = NULL

// Runs one statement with text parameters ($1..). Returns the affected row
// count (0 for statements without one). Errors carry the server's message;
// kUnavailable when the connection is gone (retryable).
Result<long> ExecParams(PGconn* conn, const std::string& sql, const Params& params = {});

// COPY ... FROM STDIN in progress on `conn`: Put() buffers of whole rows,
// then End(). Destroying an unfinished copy aborts it (the surrounding
// transaction is then failed and must be rolled back).
class CopyIn {
 public:
  static Result<CopyIn> Start(PGconn* conn, const std::string& copy_sql);
  CopyIn(CopyIn&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  CopyIn& operator=(CopyIn&&) = delete;
  ~CopyIn();

  Status Put(const std::string& data);
  // Finishes the copy; returns the number of rows the server stored.
  Result<long> End();

 private:
  explicit CopyIn(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;  // null once finished
};

// A statement sent without waiting for its result, so that the client
// prepares the next rows while the server runs it. Only one at a time; every
// other use of the connection must Settle() first (libpq would otherwise drop
// its result, and its error with it).
class DeferredStatement {
 public:
  // Sends `sql` with its text parameters, which libpq copies at once (they
  // may go when this returns); settles an earlier one first.
  Status Send(PGconn* conn, const std::string& sql, std::string what, const Params& params = {});
  // Waits for the outstanding statement, if any; its error, with `what`.
  Status Settle();
  // After a failure: the result no longer matters (the transaction is rolled back).
  void Forget() { conn_ = nullptr; }

 private:
  PGconn* conn_ = nullptr;  // non-null while a statement is outstanding
  std::string what_;
};

// BEGIN on construction (check status()); ROLLBACK on destruction unless
// Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(PGconn* conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& status() const { return begin_status_; }
  Status Commit();

 private:
  PGconn* conn_;
  Status begin_status_;
  bool done_ = false;
};

}  // namespace dbsync::postgres
