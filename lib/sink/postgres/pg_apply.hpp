#pragma once
// Applying one batch's row changes to one destination table, inside the
// caller's transaction.
//
// Keyed tables: the changes are first collapsed per key in source order (the
// last operation per key wins; an update that changes the key deletes the
// old key and upserts the new one), so every key appears once; then deletes
// and upserts are applied set-wise, by one of two strategies:
//  - kStaging: COPY the rows into session-lived temporary tables (ON COMMIT
//    DELETE ROWS), then DELETE ... USING and INSERT ... SELECT ... ON CONFLICT
//    (key) DO UPDATE. Faster on PostgreSQL (numbers in pg_sink_test).
//    Sets of up to 5,000 keys (and 4 MiB) go instead as one array parameter per column:
//    DELETE ... USING unnest($1::bigint[], ...) and INSERT ... SELECT FROM
//    unnest(...) ON CONFLICT, two statements whatever the size (tables of
//    mode: new; a user's table keeps untyped parameters), each left running
//    while the next statement's arrays are encoded.
//  - kMultiRowInsert: multi-row INSERT ... VALUES ... ON CONFLICT and
//    DELETE ... WHERE (key) IN (VALUES ...) with bound parameters. Hologres
//    has no temporary tables, so it always uses this one.
// What a key already at the destination gets is the table's on_conflict
// (config::ConflictPolicy): replace also resets the destination's columns the
// task does not write to their defaults; ignore leaves the row as it is when
// the key's only change in the batch is an insert. A key the batch deletes
// and writes again is replaced whatever the policy, as the delete then the
// insert would have done.
// Keyless tables: row by row in order. An insert inserts; a delete removes
// exactly ONE row whose every column IS NOT DISTINCT FROM the before image
// (duplicates stay duplicates); an update is that delete plus an insert.

#include <libpq-fe.h>

#include <set>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "sink/postgres/pg_exec.hpp"
#include "sink/postgres/pg_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::postgres {

enum class ApplyStrategy { kStaging, kMultiRowInsert };

// A destination table with its mapped columns.
struct ApplyTarget {
  const sink::TableBinding* binding = nullptr;
  std::vector<PgColumn> columns;
  std::vector<size_t> key;  // indexes into columns
  std::string qualified;    // "schema"."table"
  config::ConflictPolicy on_conflict = config::ConflictPolicy::kReplace;
  std::vector<std::string> unmapped;  // destination columns the task does not write (reset by kReplace)
  int partition = -1;                 // tables[].partition's column in columns, if the table is partitioned
};

Result<ApplyTarget> MakeApplyTarget(const sink::TableBinding& binding, std::vector<PgColumn> columns);

// The text form of `row`'s partition value (`target` is partitioned), as
// PartitionChildren keys its children; kInvalidArgument for NULL.
Result<std::string> PartitionValueOf(ValueEncoder& encoder, const ApplyTarget& target, const std::vector<Value>& row);

class BatchApplier {
 public:
  // `staged` remembers the temporary tables created on this connection.
  // `deferred` is the connection's statement in flight: the last merge of a
  // staged apply is left running there while the caller goes on (the caller
  // settles it before anything else uses the connection).
  BatchApplier(PGconn* conn, ValueEncoder& encoder, ApplyStrategy strategy, std::set<std::string>& staged,
               DeferredStatement& deferred)
      : conn_(conn), encoder_(encoder), strategy_(strategy), staged_(staged), deferred_(deferred) {}

  // Creates the staging tables `target` needs (kStaging, keyed tables), once
  // per session; Apply calls it when a table's changes first take that way.
  // Made inside a transaction that rolls back, they are gone again: the
  // owner then clears `staged`.
  Status PrepareStaging(const ApplyTarget& target);
  // Applies `rows` (in source order) inside the open transaction.
  Status Apply(const ApplyTarget& target, const std::vector<const sink::RowChange*>& rows);
  ValueEncoder& encoder() { return encoder_; }
  // Waits for the merge left running, so the rows handed to Apply may go.
  Status Settle() { return deferred_.Settle(); }
  // After the transaction failed: nothing in flight matters, and staging
  // tables it created are gone with it.
  void Abandon() {
    deferred_.Forget();
    staged_.clear();
  }

  struct FinalOp {
    // Bits, for a set of kinds. kInsert: the key's only change in the batch
    // is an insert; kReinsert: the batch deleted the key, then wrote it again.
    enum Kind : unsigned { kDelete = 1, kUpsert = 2, kInsert = 4, kReinsert = 8 };
    Kind kind = kUpsert;
    const std::vector<Value>* row = nullptr;
  };
  // What ON CONFLICT does for rows of one kind under the table's policy.
  enum class ConflictAction { kNone, kReplace, kUpdate, kNothing };
  static ConflictAction ActionFor(const ApplyTarget& t, FinalOp::Kind kind);
  // Insert-like kinds written by one statement per action: {kinds, action}.
  static std::vector<std::pair<unsigned, ConflictAction>> WriteGroups(const ApplyTarget& t);

 private:
  Result<std::vector<FinalOp>> Collapse(const ApplyTarget& t, const std::vector<const sink::RowChange*>& rows);
  Result<std::string> KeyText(const ApplyTarget& t, const std::vector<Value>& row);
  Status ApplyStaged(const ApplyTarget& t, const std::vector<FinalOp>& ops);
  Status ApplyMultiRow(const ApplyTarget& t, const std::vector<FinalOp>& ops);
  // Deletes and upserts as one statement each, the rows as one array per column.
  Status ApplyArrays(const ApplyTarget& t, const std::vector<FinalOp>& ops);
  // Sends a statement of ApplyArrays, left running (deferred_).
  Status SendArrays(const std::string& sql, std::string what, const Params& params);
  static bool ArraysFit(const ApplyTarget& t);
  static size_t RowBytes(const std::vector<FinalOp>& ops);
  // Whether any op's kind is in `kinds`.
  static bool HasKind(const std::vector<FinalOp>& ops, unsigned kinds);
  Status AppendArrayElement(const ApplyTarget& t, size_t column, const std::vector<Value>& row, std::string* out);
  // One array literal per column of `cols`, of the ops whose kind is in `kinds`.
  Result<Params> ArrayParams(const ApplyTarget& t, const std::vector<size_t>& cols, const std::vector<FinalOp>& ops,
                             unsigned kinds);
  static std::string UnnestFrom(const ApplyTarget& t, const std::vector<size_t>& cols);
  Status ApplyKeyless(const ApplyTarget& t, const std::vector<const sink::RowChange*>& rows);
  Status InsertRows(const ApplyTarget& t, const std::vector<const std::vector<Value>*>& rows, ConflictAction action);
  Status DeleteOne(const ApplyTarget& t, const std::vector<Value>& before);
  Status CopyRows(const std::string& stage, const ApplyTarget& t, const std::vector<size_t>& cols,
                  const std::vector<FinalOp>& ops, unsigned kinds);
  Status Check(const ApplyTarget& t, const std::vector<Value>& row, const char* image);
  // Rows of `ops` whose kind is in `kinds`, as COPY text, from *next on, until `limit` bytes.
  Status Encode(const ApplyTarget& t, const std::vector<size_t>& cols, const std::vector<FinalOp>& ops,
                unsigned kinds, size_t* next, size_t limit, std::string* out);
  // ExecParams once the statement in flight is done.
  Status Exec(const std::string& sql, const Params& params = {});

  PGconn* conn_;
  ValueEncoder& encoder_;
  ApplyStrategy strategy_;
  std::set<std::string>& staged_;
  DeferredStatement& deferred_;
  std::set<std::string> used_;  // staging tables already filled in this batch
};

// Name of the staging table of `target` (deletes or upserts).
std::string StageName(const ApplyTarget& target, bool deletes);

}  // namespace dbsync::postgres
