#include "sink/postgres/pg_apply.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <unordered_map>

#include "core/text_util.hpp"
#include "sink/postgres/pg_ddl.hpp"
#include "sink/postgres/pg_exec.hpp"

namespace dbsync::postgres {
namespace {

constexpr size_t kMaxParams = 65535;  // the protocol's limit per statement
constexpr size_t kMaxRowsPerStatement = 1000;
// A table's changes in a batch up to this many go by multi-row statements
// (one or two round trips) rather than through its staging table (TRUNCATE,
// COPY, merge, and a temporary table per table and session): a batch spread
// over many tables is mostly small sets (bench/scale_bench). Both ways give
// the same result; the stage wins on large sets, where COPY's encoding beats
// bound parameters.
constexpr size_t kDirectOpsMax = 64;
// Up to this many, a table's changes go as arrays (one parameter per column:
// one DELETE and one INSERT per batch, whatever the count) rather than
// through the staging table's six round trips; under a loaded machine each
// round trip waits for two wake-ups (bench/realtime_bench). pg_sink_test's
// SYNC_BENCH: 500 updates 7 ms as arrays against 13 ms staged, 5,000 about
// even, 20,000 a third slower.
constexpr size_t kArrayOpsMax = 5000;
// And up to this many bytes of rows: arrays are built whole (and copied
// again into libpq's buffer), where COPY streams large values.
constexpr size_t kArrayBytesMax = 4 << 20;
constexpr size_t kCopyFlushBytes = 1 << 20;
// COPY text prepared while the server still merges the previous rows: enough
// to cover that merge, bounded so that wide rows cannot multiply memory.
constexpr size_t kEncodeAheadBytes = 32 << 20;

std::string ColumnList(const ApplyTarget& t, const std::vector<size_t>& cols, const std::string& prefix = "") {
  std::vector<std::string> out;
  for (size_t i : cols) out.push_back(prefix + QuoteIdentifier(t.columns[i].name));
  return Join(out, ", ");
}

std::vector<size_t> AllColumns(const ApplyTarget& t) {
  std::vector<size_t> all(t.columns.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

bool IsKey(const ApplyTarget& t, size_t column) {
  return std::find(t.key.begin(), t.key.end(), column) != t.key.end();
}

}  // namespace

Result<ApplyTarget> MakeApplyTarget(const sink::TableBinding& binding, std::vector<PgColumn> columns) {
  ApplyTarget t;
  t.binding = &binding;
  t.columns = std::move(columns);
  t.qualified = QualifiedName(binding.dest_schema, binding.dest_table);
  if (binding.settings) t.on_conflict = binding.settings->on_conflict;
  for (const auto& k : binding.key) {
    auto it = std::find_if(t.columns.begin(), t.columns.end(), [&](const PgColumn& c) { return c.name == k; });
    if (it == t.columns.end())
      return Status::InvalidArgument("the key column '" + k + "' is not a column of " + binding.SourceName());
    t.key.push_back(size_t(it - t.columns.begin()));
  }
  if (binding.settings && binding.settings->partition) {
    const std::string& field = binding.settings->partition->field;
    auto it = std::find_if(t.columns.begin(), t.columns.end(), [&](const PgColumn& c) { return c.name == field; });
    if (it == t.columns.end())
      return Status::InvalidArgument("the partition column '" + field + "' is not a column of " +
                                     binding.SourceName());
    t.partition = int(it - t.columns.begin());
  }
  return t;
}

Result<std::string> PartitionValueOf(ValueEncoder& encoder, const ApplyTarget& target, const std::vector<Value>& row) {
  const PgColumn& column = target.columns[size_t(target.partition)];
  auto text = encoder.ParameterText(row[size_t(target.partition)], column);
  if (!text.ok()) return text.status().WithContext("the partition column " + column.name);
  if (!*text) return Status::InvalidArgument("the partition column " + column.name + " is NULL in a row");
  return std::move(**text);
}

BatchApplier::ConflictAction BatchApplier::ActionFor(const ApplyTarget& t, FinalOp::Kind kind) {
  if (kind == FinalOp::kReinsert) return ConflictAction::kReplace;
  switch (t.on_conflict) {
    case config::ConflictPolicy::kReplace: return ConflictAction::kReplace;
    case config::ConflictPolicy::kUpdate: return ConflictAction::kUpdate;
    case config::ConflictPolicy::kIgnore: return kind == FinalOp::kInsert ? ConflictAction::kNothing : ConflictAction::kUpdate;
  }
  return ConflictAction::kReplace;
}

std::vector<std::pair<unsigned, BatchApplier::ConflictAction>> BatchApplier::WriteGroups(const ApplyTarget& t) {
  std::vector<std::pair<unsigned, ConflictAction>> groups;
  for (FinalOp::Kind kind : {FinalOp::kUpsert, FinalOp::kInsert, FinalOp::kReinsert}) {
    ConflictAction action = ActionFor(t, kind);
    auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.second == action; });
    if (same == groups.end()) groups.emplace_back(kind, action);
    else same->first |= kind;
  }
  return groups;
}

namespace {

// " ON CONFLICT (k) DO UPDATE SET c = EXCLUDED.c, ..." (DO NOTHING when nothing is left to set). EXCLUDED
// holds the defaults of the columns the INSERT does not name, so kReplace resets them.
std::string OnConflict(const ApplyTarget& t, BatchApplier::ConflictAction action) {
  using Action = BatchApplier::ConflictAction;
  if (action == Action::kNone) return "";
  std::vector<std::string> sets;
  auto set = [&](const std::string& name) {
    std::string c = QuoteIdentifier(name);
    sets.push_back(c + " = EXCLUDED." + c);
  };
  if (action != Action::kNothing) {
    for (size_t i = 0; i < t.columns.size(); ++i)
      if (!IsKey(t, i)) set(t.columns[i].name);
  }
  if (action == Action::kReplace)
    for (const auto& name : t.unmapped) set(name);
  std::string conflict = " ON CONFLICT (" + ColumnList(t, t.key) + ") DO ";
  return conflict + (sets.empty() ? "NOTHING" : "UPDATE SET " + Join(sets, ", "));
}

}  // namespace

std::string StageName(const ApplyTarget& t, bool deletes) {
  // FNV-1a over the table, its column types and its key: a schema change
  // (ApplySchemaChanges) gets a fresh stage, never one of the old shape.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  mix(t.qualified);
  for (const auto& c : t.columns) mix(c.name + " " + c.type);
  for (size_t k : t.key) mix("key " + t.columns[k].name);
  char buf[40];
  std::snprintf(buf, sizeof buf, "sync_stage_%016llx_%c", static_cast<unsigned long long>(h), deletes ? 'd' : 'u');
  return buf;
}

Status BatchApplier::PrepareStaging(const ApplyTarget& t) {
  if (strategy_ != ApplyStrategy::kStaging || t.key.empty()) return Status::Ok();
  for (bool deletes : {true, false}) {
    std::string name = StageName(t, deletes);
    if (staged_.count(name)) continue;
    // CREATE TABLE AS copies no constraints: NOT NULL is checked when rows reach the real table.
    std::string cols = deletes ? ColumnList(t, t.key) : ColumnList(t, AllColumns(t));
    SYNC_RETURN_IF_ERROR(deferred_.Settle());
    auto r = ExecParams(conn_, "CREATE TEMPORARY TABLE IF NOT EXISTS " + QuoteIdentifier(name) +
                                   " ON COMMIT DELETE ROWS AS SELECT " + cols + " FROM " + t.qualified +
                                   " WITH NO DATA");
    if (!r.ok()) return r.status().WithContext("creating the staging table for " + t.qualified);
    staged_.insert(name);
  }
  return Status::Ok();
}

Status BatchApplier::Check(const ApplyTarget& t, const std::vector<Value>& row, const char* image) {
  if (row.size() == t.columns.size()) return Status::Ok();
  return Status::FailedPrecondition(std::string("a ") + image + " image of " + t.binding->SourceName() + " has " +
                                    std::to_string(row.size()) + " columns but the table has " +
                                    std::to_string(t.columns.size()) +
                                    "; the source schema changed without sync noticing: restart the task");
}

Result<std::string> BatchApplier::KeyText(const ApplyTarget& t, const std::vector<Value>& row) {
  std::string key;
  for (size_t i : t.key) {
    if (row[i].is_null()) {
      key += '\x1e';
    } else {
      Status s = encoder_.AppendText(row[i], t.columns[i], &key);
      if (!s.ok()) return s.WithContext("column " + t.columns[i].name);
    }
    key += '\x1f';
  }
  return key;
}

Result<std::vector<BatchApplier::FinalOp>> BatchApplier::Collapse(const ApplyTarget& t,
                                                                  const std::vector<const sink::RowChange*>& rows) {
  std::vector<FinalOp> ops;
  std::unordered_map<std::string, size_t> where;
  auto set = [&](std::string key, FinalOp op) {
    auto [it, inserted] = where.emplace(std::move(key), ops.size());
    if (inserted) {
      ops.push_back(op);
      return;
    }
    FinalOp& last = ops[it->second];
    if (op.kind != FinalOp::kDelete) {
      bool deleted = last.kind == FinalOp::kDelete || last.kind == FinalOp::kReinsert;
      if (deleted) op.kind = FinalOp::kReinsert;
      else if (op.kind == FinalOp::kInsert) op.kind = FinalOp::kUpsert;
    }
    last = op;
  };
  for (const sink::RowChange* c : rows) {
    if (c->op != sink::RowChange::Op::kInsert) SYNC_RETURN_IF_ERROR(Check(t, c->before, "before"));
    if (c->op != sink::RowChange::Op::kDelete) SYNC_RETURN_IF_ERROR(Check(t, c->after, "after"));
    if (c->op == sink::RowChange::Op::kInsert) {
      SYNC_ASSIGN_OR_RETURN(std::string k, KeyText(t, c->after));
      set(std::move(k), {FinalOp::kInsert, &c->after});
    } else if (c->op == sink::RowChange::Op::kDelete) {
      SYNC_ASSIGN_OR_RETURN(std::string k, KeyText(t, c->before));
      set(std::move(k), {FinalOp::kDelete, &c->before});
    } else {
      SYNC_ASSIGN_OR_RETURN(std::string old_key, KeyText(t, c->before));
      SYNC_ASSIGN_OR_RETURN(std::string new_key, KeyText(t, c->after));
      if (old_key != new_key) set(std::move(old_key), {FinalOp::kDelete, &c->before});
      set(std::move(new_key), {FinalOp::kUpsert, &c->after});
    }
  }
  return ops;
}

Status BatchApplier::Apply(const ApplyTarget& t, const std::vector<const sink::RowChange*>& rows) {
  Status s;
  if (t.key.empty()) {
    s = ApplyKeyless(t, rows);
  } else {
    auto ops = Collapse(t, rows);
    if (!ops.ok()) s = ops.status();
    else if (strategy_ == ApplyStrategy::kStaging && ArraysFit(t) && ops->size() <= kArrayOpsMax &&
             RowBytes(*ops) <= kArrayBytesMax)
      s = ApplyArrays(t, *ops);
    else if (strategy_ != ApplyStrategy::kStaging || ops->size() <= kDirectOpsMax) s = ApplyMultiRow(t, *ops);
    else s = ApplyStaged(t, *ops);
  }
  return s.ok() ? s : s.WithContext(t.binding->SourceName() + " -> " + t.qualified);
}

Status BatchApplier::Exec(const std::string& sql, const Params& params) {
  SYNC_RETURN_IF_ERROR(deferred_.Settle());
  return ExecParams(conn_, sql, params).status();
}

Status BatchApplier::Encode(const ApplyTarget& t, const std::vector<size_t>& cols, const std::vector<FinalOp>& ops,
                            unsigned kinds, size_t* next, size_t limit, std::string* out) {
  for (; *next < ops.size() && out->size() < limit; ++*next) {
    const FinalOp& op = ops[*next];
    if (!(op.kind & kinds)) continue;
    for (size_t n = 0; n < cols.size(); ++n) {
      if (n) *out += '\t';
      Status s = encoder_.AppendCopyField((*op.row)[cols[n]], t.columns[cols[n]], out);
      if (!s.ok()) return s.WithContext("column " + t.columns[cols[n]].name);
    }
    *out += '\n';
  }
  return Status::Ok();
}

Status BatchApplier::CopyRows(const std::string& stage, const ApplyTarget& t, const std::vector<size_t>& cols,
                              const std::vector<FinalOp>& ops, unsigned kinds) {
  // Encoded while the statement in flight (the previous merge) still runs.
  std::string buf;
  size_t next = 0;
  SYNC_RETURN_IF_ERROR(Encode(t, cols, ops, kinds, &next, kEncodeAheadBytes, &buf));
  // Always emptied first: within one destination transaction (pieces of a
  // large source transaction) ON COMMIT DELETE ROWS has not cleared it yet.
  SYNC_RETURN_IF_ERROR(Exec("TRUNCATE " + QuoteIdentifier(stage)));
  used_.insert(stage);
  SYNC_ASSIGN_OR_RETURN(CopyIn copy, CopyIn::Start(conn_, "COPY " + QuoteIdentifier(stage) + " (" +
                                                              ColumnList(t, cols) + ") FROM STDIN"));
  SYNC_RETURN_IF_ERROR(copy.Put(buf));
  while (next < ops.size()) {
    buf.clear();
    SYNC_RETURN_IF_ERROR(Encode(t, cols, ops, kinds, &next, kCopyFlushBytes, &buf));
    SYNC_RETURN_IF_ERROR(copy.Put(buf));
  }
  return copy.End().status();
}

Status BatchApplier::ApplyStaged(const ApplyTarget& t, const std::vector<FinalOp>& ops) {
  SYNC_RETURN_IF_ERROR(PrepareStaging(t));  // once per table and session
  auto any = [&](unsigned kinds) { return HasKind(ops, kinds); };
  if (any(FinalOp::kDelete)) {
    std::string stage = QuoteIdentifier(StageName(t, true));
    SYNC_RETURN_IF_ERROR(CopyRows(StageName(t, true), t, t.key, ops, FinalOp::kDelete));
    std::vector<std::string> match;
    for (size_t i : t.key) {
      std::string c = QuoteIdentifier(t.columns[i].name);
      match.push_back("t." + c + " = s." + c);
    }
    SYNC_RETURN_IF_ERROR(Exec("DELETE FROM " + t.qualified + " t USING " + stage + " s WHERE " + Join(match, " AND ")));
  }
  std::vector<size_t> all = AllColumns(t);
  std::string cols = ColumnList(t, all);
  for (const auto& [kinds, action] : WriteGroups(t)) {
    if (!any(kinds)) continue;
    // Refilling the stage settles the merge still running from it.
    SYNC_RETURN_IF_ERROR(CopyRows(StageName(t, false), t, all, ops, kinds));
    // Left running: the caller encodes the next rows meanwhile.
    SYNC_RETURN_IF_ERROR(deferred_.Send(conn_,
                                        "INSERT INTO " + t.qualified + " (" + cols + ") SELECT " + cols + " FROM " +
                                            QuoteIdentifier(StageName(t, false)) + OnConflict(t, action),
                                        t.binding->SourceName() + " -> " + t.qualified));
  }
  return Status::Ok();
}

bool BatchApplier::HasKind(const std::vector<FinalOp>& ops, unsigned kinds) {
  return std::any_of(ops.begin(), ops.end(), [&](const FinalOp& o) { return (o.kind & kinds) != 0; });
}

size_t BatchApplier::RowBytes(const std::vector<FinalOp>& ops) {
  size_t bytes = 0;
  for (const auto& op : ops) bytes += MemoryBytes(*op.row);
  return bytes;
}

bool BatchApplier::ArraysFit(const ApplyTarget& t) {
  // A table of the user's (mode: existing) may have column types the source
  // mapping's base types do not assign to (uuid from text): those keep
  // statements with untyped parameters.
  return !t.binding->existing();
}

Status BatchApplier::AppendArrayElement(const ApplyTarget& t, size_t column, const std::vector<Value>& row,
                                        std::string* out) {
  auto text = encoder_.ParameterText(row[column], t.columns[column]);
  if (!text.ok()) return text.status().WithContext("column " + t.columns[column].name);
  if (!*text) {
    *out += "NULL";
    return Status::Ok();
  }
  // Always quoted: an element "NULL" or with a comma, brace or space is then data.
  *out += '"';
  for (char c : **text) {
    if (c == '"' || c == '\\') *out += '\\';
    *out += c;
  }
  *out += '"';
  return Status::Ok();
}

Result<Params> BatchApplier::ArrayParams(const ApplyTarget& t, const std::vector<size_t>& cols,
                                         const std::vector<FinalOp>& ops, unsigned kinds) {
  Params params;
  for (size_t c : cols) {
    std::string array = "{";
    bool first = true;
    for (const auto& op : ops) {
      if (!(op.kind & kinds)) continue;
      if (!first) array += ',';
      first = false;
      SYNC_RETURN_IF_ERROR(AppendArrayElement(t, c, *op.row, &array));
    }
    params.push_back(array + "}");
  }
  return params;
}

// "unnest($1::bigint[], $2::text[]) AS s(id, v)": one row per op, each
// column in its base type; the INSERT's assignment to the column checks
// lengths and ranges as a COPY would (a cast to varchar(n) would truncate).
std::string BatchApplier::UnnestFrom(const ApplyTarget& t, const std::vector<size_t>& cols) {
  std::vector<std::string> arrays, names;
  for (size_t n = 0; n < cols.size(); ++n) {
    arrays.push_back("$" + std::to_string(n + 1) + "::" + t.columns[cols[n]].base_type + "[]");
    names.push_back(QuoteIdentifier(t.columns[cols[n]].name));
  }
  return "unnest(" + Join(arrays, ", ") + ") AS s(" + Join(names, ", ") + ")";
}

Status BatchApplier::SendArrays(const std::string& sql, std::string what, const Params& params) {
  // SYNC_PG_APPLY_WAIT=1: each statement waited for, as before (bench/README.md measures both).
  static const bool wait = std::getenv("SYNC_PG_APPLY_WAIT") != nullptr;
  if (wait) return Exec(sql, params).WithContext(what);
  return deferred_.Send(conn_, sql, std::move(what), params);
}

Status BatchApplier::ApplyArrays(const ApplyTarget& t, const std::vector<FinalOp>& ops) {
  auto any = [&](unsigned kinds) { return HasKind(ops, kinds); };
  if (any(FinalOp::kDelete)) {
    SYNC_ASSIGN_OR_RETURN(Params keys, ArrayParams(t, t.key, ops, FinalOp::kDelete));
    std::vector<std::string> match;
    for (size_t i : t.key) {
      std::string c = QuoteIdentifier(t.columns[i].name);
      match.push_back("t." + c + " = s." + c);
    }
    // Each statement is left running while the next one's arrays (or the
    // next table's) are encoded; the next statement settles it.
    SYNC_RETURN_IF_ERROR(SendArrays(
        "DELETE FROM " + t.qualified + " t USING " + UnnestFrom(t, t.key) + " WHERE " + Join(match, " AND "),
        t.binding->SourceName() + " -> " + t.qualified, keys));
  }
  std::vector<size_t> all = AllColumns(t);
  const std::string cols = ColumnList(t, all);
  for (const auto& [kinds, action] : WriteGroups(t)) {
    if (!any(kinds)) continue;
    SYNC_ASSIGN_OR_RETURN(Params rows, ArrayParams(t, all, ops, kinds));
    SYNC_RETURN_IF_ERROR(SendArrays("INSERT INTO " + t.qualified + " (" + cols + ") SELECT " + ColumnList(t, all, "s.") +
                                        " FROM " + UnnestFrom(t, all) + OnConflict(t, action),
                                    t.binding->SourceName() + " -> " + t.qualified, rows));
  }
  return Status::Ok();
}

Status BatchApplier::ApplyMultiRow(const ApplyTarget& t, const std::vector<FinalOp>& ops) {
  std::vector<const std::vector<Value>*> deletes;
  for (const auto& op : ops)
    if (op.kind == FinalOp::kDelete) deletes.push_back(op.row);
  size_t per = std::max<size_t>(1, std::min(kMaxRowsPerStatement, kMaxParams / t.key.size()));
  for (size_t start = 0; start < deletes.size(); start += per) {
    size_t end = std::min(deletes.size(), start + per);
    std::string sql = "DELETE FROM " + t.qualified + " WHERE (" + ColumnList(t, t.key) + ") IN (VALUES ";
    Params params;
    for (size_t r = start; r < end; ++r) {
      sql += r == start ? "(" : ", (";
      for (size_t n = 0; n < t.key.size(); ++n) {
        const PgColumn& col = t.columns[t.key[n]];
        auto text = encoder_.ParameterText((*deletes[r])[t.key[n]], col);
        if (!text.ok()) return text.status().WithContext("column " + col.name);
        params.push_back(std::move(text).value());
        sql += (n ? ", $" : "$") + std::to_string(params.size()) + "::" + col.base_type;
      }
      sql += ")";
    }
    SYNC_RETURN_IF_ERROR(Exec(sql + ")", params));
  }
  for (const auto& [kinds, action] : WriteGroups(t)) {
    std::vector<const std::vector<Value>*> rows;
    for (const auto& op : ops)
      if (op.kind & kinds) rows.push_back(op.row);
    SYNC_RETURN_IF_ERROR(InsertRows(t, rows, action));
  }
  return Status::Ok();
}

Status BatchApplier::InsertRows(const ApplyTarget& t, const std::vector<const std::vector<Value>*>& rows,
                                ConflictAction action) {
  std::vector<size_t> all = AllColumns(t);
  size_t per = std::max<size_t>(1, std::min(kMaxRowsPerStatement, kMaxParams / std::max<size_t>(1, all.size())));
  for (size_t start = 0; start < rows.size(); start += per) {
    size_t end = std::min(rows.size(), start + per);
    std::string sql = "INSERT INTO " + t.qualified + " (" + ColumnList(t, all) + ") VALUES ";
    Params params;
    for (size_t r = start; r < end; ++r) {
      sql += r == start ? "(" : ", (";
      for (size_t n = 0; n < all.size(); ++n) {
        auto text = encoder_.ParameterText((*rows[r])[n], t.columns[n]);
        if (!text.ok()) return text.status().WithContext("column " + t.columns[n].name);
        params.push_back(std::move(text).value());
        // No cast: assignment to the column rejects (never truncates) a too-long value.
        sql += (n ? ", $" : "$") + std::to_string(params.size());
      }
      sql += ")";
    }
    sql += OnConflict(t, action);
    SYNC_RETURN_IF_ERROR(Exec(sql, params));
  }
  return Status::Ok();
}

Status BatchApplier::DeleteOne(const ApplyTarget& t, const std::vector<Value>& before) {
  std::vector<std::string> match;
  Params params;
  for (size_t n = 0; n < t.columns.size(); ++n) {
    auto text = encoder_.ParameterText(before[n], t.columns[n]);
    if (!text.ok()) return text.status().WithContext("column " + t.columns[n].name);
    params.push_back(std::move(text).value());
    match.push_back(QuoteIdentifier(t.columns[n].name) + " IS NOT DISTINCT FROM $" + std::to_string(n + 1) +
                    "::" + t.columns[n].base_type);
  }
  // ctid picks one physical row, so of N identical rows exactly one goes.
  std::string sql = "DELETE FROM " + t.qualified + " WHERE ctid = (SELECT ctid FROM " + t.qualified + " WHERE " +
                    Join(match, " AND ") + " LIMIT 1)";
  return Exec(sql, params);
}

Status BatchApplier::ApplyKeyless(const ApplyTarget& t, const std::vector<const sink::RowChange*>& rows) {
  std::vector<const std::vector<Value>*> pending;  // consecutive inserts, sent together
  for (const sink::RowChange* c : rows) {
    if (c->op != sink::RowChange::Op::kInsert) SYNC_RETURN_IF_ERROR(Check(t, c->before, "before"));
    if (c->op != sink::RowChange::Op::kDelete) SYNC_RETURN_IF_ERROR(Check(t, c->after, "after"));
    if (c->op != sink::RowChange::Op::kInsert) {
      SYNC_RETURN_IF_ERROR(InsertRows(t, pending, ConflictAction::kNone));
      pending.clear();
      SYNC_RETURN_IF_ERROR(DeleteOne(t, c->before));
    }
    if (c->op != sink::RowChange::Op::kDelete) pending.push_back(&c->after);
  }
  return InsertRows(t, pending, ConflictAction::kNone);
}

}  // namespace dbsync::postgres
