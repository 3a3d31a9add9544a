#include "source/mysql/schema_tracker.hpp"

#include <algorithm>

#include "core/text_util.hpp"
#include "source/mysql/ddl_parser.hpp"
#include "source/mysql/schema_reader.hpp"

namespace dbsync::mysql {
namespace {

// Column names are case-insensitive in MySQL and MariaDB.
int FindColumn(const TableSchema& t, const std::string& name) {
  std::string lower = ToLower(name);
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (ToLower(t.columns[i].name) == lower) return int(i);
  return -1;
}

}  // namespace

// The effect of one statement, staged on copies of the tables it touches and
// committed only when the whole statement applied, so a failing statement
// leaves the tracker as it was.
class SchemaTracker::Edit {
 public:
  Edit(SchemaTracker& tracker, const std::string& sql) : tr_(tracker), sql_(sql) {}

  Status Apply(const DdlStatement& st);
  // Gives the changes from `first` on the definitions they left behind.
  void Stamp(size_t first) {
    for (size_t i = first; i < changes_.size(); ++i) {
      SchemaChange& c = changes_[i];
      if (c.schema || c.schema_unknown || c.kind == SchemaChangeKind::kTableDropped) continue;
      if (const Tracked* t = Get(tr_.MakeKey(c.db, c.table))) c.schema = t->schema;
    }
  }
  std::vector<SchemaChange> Commit() {
    for (auto& [key, t] : overlay_) {
      if (t) {
        tr_.tables_[key] = std::move(*t);
      } else {
        tr_.tables_.erase(key);
      }
    }
    for (auto& [db, d] : db_overlay_) {
      if (d) {
        tr_.databases_[db] = *d;
      } else {
        tr_.databases_.erase(db);
      }
    }
    return std::move(changes_);
  }

 private:
  const Tracked* Get(const Key& k) const {
    auto o = overlay_.find(k);
    if (o != overlay_.end()) return o->second ? &*o->second : nullptr;
    auto it = tr_.tables_.find(k);
    return it == tr_.tables_.end() ? nullptr : &it->second;
  }
  CharsetPair DatabaseDefault(const std::string& db) const {
    auto o = db_overlay_.find(db);
    if (o != db_overlay_.end() && o->second) return *o->second;
    return tr_.DatabaseDefault(db);
  }
  Status OutOfSync(const std::string& what) const {
    return Status::FailedPrecondition("the tracked table definitions disagree with DDL statement `" +
                                      sql_.substr(0, 300) + "`: " + what +
                                      "; the binlog cannot be decoded safely past it (re-run the initial load)");
  }
  Status Invalid(const Status& s) const {
    return Status::InvalidArgument("cannot apply DDL statement `" + sql_.substr(0, 300) + "`: " + s.message());
  }
  void Change(SchemaChange c) { changes_.push_back(std::move(c)); }
  SchemaChange TableChange(SchemaChangeKind kind, const TableSchema& t) {
    SchemaChange c;
    c.kind = kind;
    c.db = t.db;
    c.table = t.table;
    return c;
  }

  Status CreateTable(const DdlStatement& st);
  Status CreateTableLike(const DdlStatement& st);
  Status AlterTable(const DdlStatement& st);
  Status AlterOp(Tracked& t, const mysql::AlterOp& op);
  Status AddOrReplaceColumn(Tracked& t, const mysql::AlterOp& op);
  Status RenameTable(const DdlTableName& from, const DdlTableName& to);
  void SetPrimaryKey(TableSchema& t, std::vector<std::string> key);
  Status Database(const DdlStatement& st);

  SchemaTracker& tr_;
  std::string sql_;
  std::map<Key, std::optional<Tracked>> overlay_;
  std::map<std::string, std::optional<CharsetPair>> db_overlay_;
  std::vector<SchemaChange> changes_;
};

Status SchemaTracker::Edit::Apply(const DdlStatement& st) {
  switch (st.kind) {
    case DdlKind::kNone:
      return Status::Ok();
    case DdlKind::kCreateTable:
      return CreateTable(st);
    case DdlKind::kCreateTableLike:
      return CreateTableLike(st);
    case DdlKind::kAlterTable:
      return AlterTable(st);
    case DdlKind::kRenameTable:
      for (const auto& [from, to] : st.renames) {
        size_t first = changes_.size();
        SYNC_RETURN_IF_ERROR(RenameTable(from, to));
        Stamp(first);  // before the next pair may reuse the name
      }
      return Status::Ok();
    case DdlKind::kDropTable:
      for (const auto& name : st.tables) {
        Key k = tr_.MakeKey(name.db, name.table);
        if (const Tracked* t = Get(k)) {
          Change(TableChange(SchemaChangeKind::kTableDropped, t->schema));
          overlay_[k] = std::nullopt;
        }
      }
      return Status::Ok();
    case DdlKind::kTruncateTable:
      if (const Tracked* t = Get(tr_.MakeKey(st.table.db, st.table.table)))
        Change(TableChange(SchemaChangeKind::kTableTruncated, t->schema));
      return Status::Ok();
    case DdlKind::kCreateDatabase:
    case DdlKind::kAlterDatabase:
    case DdlKind::kDropDatabase:
      return Database(st);
  }
  return Status::Ok();
}

void SchemaTracker::Edit::SetPrimaryKey(TableSchema& t, std::vector<std::string> key) {
  for (auto& name : key) {
    int i = FindColumn(t, name);
    if (i < 0) continue;
    name = t.columns[size_t(i)].name;
    t.columns[size_t(i)].nullable = false;  // primary key columns are always NOT NULL
  }
  t.primary_key = std::move(key);
}

Status SchemaTracker::Edit::CreateTable(const DdlStatement& st) {
  Key key = tr_.MakeKey(st.table.db, st.table.table);
  const Tracked* existing = Get(key);
  if (existing && st.if_not_exists) return Status::Ok();
  if (existing && !st.or_replace) return OutOfSync("table " + st.table.db + "." + st.table.table + " already exists");
  if (existing) {
    Change(TableChange(SchemaChangeKind::kTableDropped, existing->schema));
    overlay_[key] = std::nullopt;
  }
  if (!tr_.Wanted(st.table.db, st.table.table)) return Status::Ok();
  if (st.as_select) {
    SchemaChange c;
    c.kind = SchemaChangeKind::kTableCreated;
    c.db = st.table.db;
    c.table = st.table.table;
    c.schema_unknown = true;
    Change(std::move(c));
    return Status::Ok();
  }
  Tracked t;
  t.schema.db = st.table.db;
  t.schema.table = st.table.table;
  auto defaults = ResolveCharset(st.charset, st.collation, DatabaseDefault(st.table.db), tr_.catalog_);
  if (!defaults.ok()) return Invalid(defaults.status());
  t.defaults = *defaults;
  for (const auto& def : st.columns) {
    if (FindColumn(t.schema, def.name) >= 0) return Invalid(Status::InvalidArgument("duplicate column " + def.name));
    auto col = ResolveColumn(def, t.defaults, tr_.catalog_, tr_.dialect_);
    if (!col.ok()) return Invalid(col.status());
    t.schema.columns.push_back(std::move(col).value());
  }
  for (const auto& k : st.primary_key)
    if (FindColumn(t.schema, k) < 0) return Invalid(Status::InvalidArgument("primary key column " + k + " is not defined"));
  SetPrimaryKey(t.schema, st.primary_key);
  Change(TableChange(SchemaChangeKind::kTableCreated, t.schema));
  overlay_[key] = std::move(t);
  return Status::Ok();
}

Status SchemaTracker::Edit::CreateTableLike(const DdlStatement& st) {
  Key key = tr_.MakeKey(st.table.db, st.table.table);
  if (Get(key)) {
    if (st.if_not_exists) return Status::Ok();
    if (!st.or_replace) return OutOfSync("table " + st.table.db + "." + st.table.table + " already exists");
    Change(TableChange(SchemaChangeKind::kTableDropped, Get(key)->schema));
    overlay_[key] = std::nullopt;
  }
  if (!tr_.Wanted(st.table.db, st.table.table)) return Status::Ok();
  const Tracked* source = Get(tr_.MakeKey(st.like.db, st.like.table));
  if (!source) {
    SchemaChange c;
    c.kind = SchemaChangeKind::kTableCreated;
    c.db = st.table.db;
    c.table = st.table.table;
    c.schema_unknown = true;
    Change(std::move(c));
    return Status::Ok();
  }
  Tracked t = *source;
  t.schema.db = st.table.db;
  t.schema.table = st.table.table;
  Change(TableChange(SchemaChangeKind::kTableCreated, t.schema));
  overlay_[key] = std::move(t);
  return Status::Ok();
}

Status SchemaTracker::Edit::RenameTable(const DdlTableName& from, const DdlTableName& to) {
  Key from_key = tr_.MakeKey(from.db, from.table), to_key = tr_.MakeKey(to.db, to.table);
  if (from_key == to_key) return Status::Ok();
  const Tracked* source = Get(from_key);
  if (Get(to_key)) return OutOfSync("table " + to.db + "." + to.table + " already exists");
  SchemaChange c;
  c.kind = SchemaChangeKind::kTableRenamed;
  c.old_db = from.db;
  c.old_table = from.table;
  c.db = to.db;
  c.table = to.table;
  if (!source) {
    if (!tr_.Wanted(to.db, to.table)) return Status::Ok();
    c.schema_unknown = true;  // an untracked table moves into the selection
    Change(std::move(c));
    return Status::Ok();
  }
  Tracked t = *source;
  c.old_table = t.schema.table;
  t.schema.db = to.db;
  t.schema.table = to.table;
  overlay_[from_key] = std::nullopt;
  overlay_[to_key] = std::move(t);
  Change(std::move(c));
  return Status::Ok();
}

Status SchemaTracker::Edit::AlterTable(const DdlStatement& st) {
  Key key = tr_.MakeKey(st.table.db, st.table.table);
  const Tracked* current = Get(key);
  const mysql::AlterOp* rename = nullptr;
  for (const auto& op : st.ops)
    if (op.kind == AlterOpKind::kRenameTable) rename = &op;
  if (!current) {  // not ours; but a rename may bring it into the selection
    if (rename) return RenameTable(st.table, rename->new_table);
    return Status::Ok();
  }
  Tracked t = *current;
  // The server's order, whatever the statement's: the primary key is dropped,
  // then columns change (in statement order), then the new key is added
  // (`DROP PRIMARY KEY, ADD PRIMARY KEY (c2), CHANGE c1 c2 INT` names the
  // column by its new name), and the table is renamed last.
  auto phase = [](AlterOpKind kind) {
    return kind == AlterOpKind::kDropPrimaryKey ? 0 : kind == AlterOpKind::kAddPrimaryKey ? 2 : 1;
  };
  for (int p = 0; p < 3; ++p)
    for (const auto& op : st.ops)
      if (op.kind != AlterOpKind::kRenameTable && phase(op.kind) == p) SYNC_RETURN_IF_ERROR(AlterOp(t, op));
  overlay_[key] = std::move(t);
  Stamp(0);  // the column changes, under the name they were made under
  if (rename) return RenameTable(st.table, rename->new_table);
  return Status::Ok();
}

Status SchemaTracker::Edit::AddOrReplaceColumn(Tracked& t, const mysql::AlterOp& op) {
  TableSchema& s = t.schema;
  bool add = op.kind == AlterOpKind::kAddColumn;
  int old_index = add ? -1 : FindColumn(s, op.name);
  if (add && FindColumn(s, op.column.name) >= 0) {
    if (op.if_not_exists) return Status::Ok();
    return OutOfSync("column " + op.column.name + " already exists in " + s.FullName());
  }
  if (!add && old_index < 0) {
    if (op.if_exists) return Status::Ok();
    return OutOfSync("column " + op.name + " does not exist in " + s.FullName());
  }
  auto resolved = ResolveColumn(op.column, t.defaults, tr_.catalog_, tr_.dialect_);
  if (!resolved.ok()) return Invalid(resolved.status());
  ColumnSchema col = std::move(resolved).value();
  std::optional<ColumnSchema> before;
  if (!add) {
    before = s.columns[size_t(old_index)];
    s.columns.erase(s.columns.begin() + old_index);
    if (FindColumn(s, col.name) >= 0) return OutOfSync("column " + col.name + " already exists in " + s.FullName());
  }
  int index = add ? int(s.columns.size()) : old_index;
  if (op.position == DdlColumnPosition::kFirst) index = 0;
  if (op.position == DdlColumnPosition::kAfter) {
    int after = FindColumn(s, op.after);
    if (after < 0) return OutOfSync("column " + op.after + " (AFTER) does not exist in " + s.FullName());
    index = after + 1;
  }
  s.columns.insert(s.columns.begin() + index, col);
  std::vector<std::string> old_key = s.primary_key, key = s.primary_key;
  if (before)
    for (auto& k : key)
      if (ToLower(k) == ToLower(before->name)) k = col.name;
  std::vector<std::string> renamed_key = key;
  if (op.column.primary_key) key = {col.name};
  SetPrimaryKey(s, key);
  const ColumnSchema& now = s.columns[size_t(index)];
  SchemaChange c = TableChange(add ? SchemaChangeKind::kColumnAdded : SchemaChangeKind::kColumnModified, s);
  c.column = now.name;
  c.before = before;
  c.after = now;
  c.position = index;
  if (add) c.added_default = op.column.default_literal;
  if (before && before->name != now.name) {
    SchemaChange r = c;
    r.kind = SchemaChangeKind::kColumnRenamed;
    r.old_column = before->name;
    Change(std::move(r));
  }
  ColumnSchema renamed_before = before.value_or(ColumnSchema{});
  renamed_before.name = now.name;
  if (add || !(renamed_before == now) || index != old_index) Change(std::move(c));
  if (key != renamed_key) {  // a new inline PRIMARY KEY; a renamed key column is only a rename
    SchemaChange p = TableChange(SchemaChangeKind::kPrimaryKeyChanged, s);
    p.old_primary_key = old_key;
    p.primary_key = s.primary_key;
    Change(std::move(p));
  }
  return Status::Ok();
}

Status SchemaTracker::Edit::AlterOp(Tracked& t, const mysql::AlterOp& op) {
  TableSchema& s = t.schema;
  switch (op.kind) {
    case AlterOpKind::kAddColumn:
    case AlterOpKind::kModifyColumn:
    case AlterOpKind::kChangeColumn:
      return AddOrReplaceColumn(t, op);
    case AlterOpKind::kDropColumn: {
      int i = FindColumn(s, op.name);
      if (i < 0) return op.if_exists ? Status::Ok() : OutOfSync("column " + op.name + " does not exist in " + s.FullName());
      SchemaChange c = TableChange(SchemaChangeKind::kColumnDropped, s);
      c.column = s.columns[size_t(i)].name;
      c.before = s.columns[size_t(i)];
      s.columns.erase(s.columns.begin() + i);
      Change(std::move(c));
      std::vector<std::string> key;
      for (const auto& k : s.primary_key)
        if (ToLower(k) != ToLower(op.name)) key.push_back(k);
      if (key != s.primary_key) {
        SchemaChange p = TableChange(SchemaChangeKind::kPrimaryKeyChanged, s);
        p.old_primary_key = s.primary_key;
        p.primary_key = key;
        s.primary_key = key;
        Change(std::move(p));
      }
      return Status::Ok();
    }
    case AlterOpKind::kRenameColumn: {
      int i = FindColumn(s, op.name);
      if (i < 0) return OutOfSync("column " + op.name + " does not exist in " + s.FullName());
      int clash = FindColumn(s, op.new_name);
      if (clash >= 0 && clash != i) return OutOfSync("column " + op.new_name + " already exists in " + s.FullName());
      SchemaChange c = TableChange(SchemaChangeKind::kColumnRenamed, s);
      c.old_column = s.columns[size_t(i)].name;
      c.before = s.columns[size_t(i)];
      for (auto& k : s.primary_key)
        if (ToLower(k) == ToLower(op.name)) k = op.new_name;
      s.columns[size_t(i)].name = op.new_name;
      c.column = op.new_name;
      c.after = s.columns[size_t(i)];
      c.position = i;
      Change(std::move(c));
      return Status::Ok();
    }
    case AlterOpKind::kAddPrimaryKey:
    case AlterOpKind::kDropPrimaryKey: {
      if (op.kind == AlterOpKind::kDropPrimaryKey && s.primary_key.empty())
        return OutOfSync(s.FullName() + " has no primary key to drop");
      for (const auto& k : op.key_columns)
        if (FindColumn(s, k) < 0) return OutOfSync("primary key column " + k + " does not exist in " + s.FullName());
      SchemaChange p = TableChange(SchemaChangeKind::kPrimaryKeyChanged, s);
      p.old_primary_key = s.primary_key;
      std::vector<ColumnSchema> before = s.columns;
      SetPrimaryKey(s, op.key_columns);  // empty for DROP; the columns stay NOT NULL
      p.primary_key = s.primary_key;
      Change(std::move(p));
      for (size_t i = 0; i < s.columns.size(); ++i) {
        if (before[i] == s.columns[i]) continue;
        SchemaChange c = TableChange(SchemaChangeKind::kColumnModified, s);
        c.column = s.columns[i].name;
        c.before = before[i];
        c.after = s.columns[i];
        c.position = int(i);
        Change(std::move(c));
      }
      return Status::Ok();
    }
    case AlterOpKind::kConvertCharset: {
      std::string charset = op.charset == "default" ? DatabaseDefault(s.db).charset : op.charset;
      auto target = ResolveCharset(charset, op.collation, {}, tr_.catalog_);
      if (!target.ok()) return Invalid(target.status());
      t.defaults = *target;
      for (size_t i = 0; i < s.columns.size(); ++i) {
        ColumnSchema before = s.columns[i];
        if (!ConvertColumnCharset(s.columns[i], *target, tr_.catalog_)) continue;
        SchemaChange c = TableChange(SchemaChangeKind::kColumnModified, s);
        c.column = before.name;
        c.before = before;
        c.after = s.columns[i];
        c.position = int(i);
        Change(std::move(c));
      }
      return Status::Ok();
    }
    case AlterOpKind::kTableDefaults: {
      auto d = ResolveCharset(op.charset, op.collation, t.defaults, tr_.catalog_);
      if (!d.ok()) return Invalid(d.status());
      t.defaults = *d;
      return Status::Ok();
    }
    case AlterOpKind::kPartitionData:
      Change(TableChange(SchemaChangeKind::kPartitionDataChanged, s));
      return Status::Ok();
    case AlterOpKind::kRenameTable:
      return Status::Ok();  // applied by AlterTable after the other specifications
  }
  return Status::Ok();
}

Status SchemaTracker::Edit::Database(const DdlStatement& st) {
  const std::string& db = st.database;
  std::string key = tr_.lower_case_table_names_ ? ToLower(db) : db;
  bool known = tr_.databases_.count(key) > 0 || (db_overlay_.count(key) && db_overlay_[key]);
  if (st.kind == DdlKind::kCreateDatabase && known && st.if_not_exists) return Status::Ok();
  if (st.kind == DdlKind::kDropDatabase || (st.kind == DdlKind::kCreateDatabase && st.or_replace)) {
    for (const auto& [k, t] : tr_.tables_) {
      if (k.first != key || !Get(k)) continue;
      Change(TableChange(SchemaChangeKind::kTableDropped, t.schema));
      overlay_[k] = std::nullopt;
    }
    if (st.kind == DdlKind::kDropDatabase) {
      db_overlay_[key] = std::nullopt;
      return Status::Ok();
    }
  }
  CharsetPair base = st.kind == DdlKind::kAlterDatabase ? DatabaseDefault(key) : tr_.server_default_;
  auto d = ResolveCharset(st.charset, st.collation, base, tr_.catalog_);
  if (!d.ok()) return Invalid(d.status());
  db_overlay_[key] = *d;
  return Status::Ok();
}

// ---- SchemaTracker ----

SchemaTracker::SchemaTracker(CharsetCatalog catalog, DdlDialect dialect, CharsetPair server_default,
                             TableFilter filter, bool lower_case_table_names)
    : catalog_(std::move(catalog)),
      dialect_(dialect),
      server_default_(std::move(server_default)),
      filter_(std::move(filter)),
      lower_case_table_names_(lower_case_table_names) {}

SchemaTracker::Key SchemaTracker::MakeKey(const std::string& db, const std::string& table) const {
  if (lower_case_table_names_) return {ToLower(db), ToLower(table)};
  return {db, table};
}

CharsetPair SchemaTracker::DatabaseDefault(const std::string& db) const {
  auto it = databases_.find(lower_case_table_names_ ? ToLower(db) : db);
  return it == databases_.end() ? server_default_ : it->second;
}

Result<std::vector<SchemaChange>> SchemaTracker::ApplyDdl(const std::string& default_db, const std::string& sql) {
  std::vector<DdlTableName> touched;
  auto parsed = ParseDdl(default_db, sql, &touched);
  if (!parsed.ok()) {
    // Loud only when the statement may concern a table we decode (or would start to).
    bool concerns = touched.empty();
    for (const auto& t : touched) concerns = concerns || IsTracked(t.db, t.table) || Wanted(t.db, t.table);
    if (concerns) return parsed.status();
    return std::vector<SchemaChange>{};
  }
  Edit edit(*this, sql);
  SYNC_RETURN_IF_ERROR(edit.Apply(*parsed));
  edit.Stamp(0);
  return edit.Commit();
}

const TableSchema* SchemaTracker::Find(const std::string& db, const std::string& table) const {
  auto it = tables_.find(MakeKey(db, table));
  return it == tables_.end() ? nullptr : &it->second.schema;
}

const CharsetPair* SchemaTracker::TableDefaults(const std::string& db, const std::string& table) const {
  auto it = tables_.find(MakeKey(db, table));
  return it == tables_.end() ? nullptr : &it->second.defaults;
}

std::vector<std::pair<std::string, std::string>> SchemaTracker::Tables() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, t] : tables_) out.emplace_back(t.schema.db, t.schema.table);
  return out;
}

void SchemaTracker::AddTable(TableSchema schema, CharsetPair defaults) {
  if (defaults.charset.empty()) defaults = DatabaseDefault(schema.db);
  Key k = MakeKey(schema.db, schema.table);
  tables_[k] = {std::move(schema), std::move(defaults)};
}

void SchemaTracker::SetDatabaseDefault(const std::string& db, CharsetPair defaults) {
  databases_[lower_case_table_names_ ? ToLower(db) : db] = std::move(defaults);
}

namespace {

// Each table's default collation (TABLES.TABLE_COLLATION), by (db, table).
Result<std::map<std::pair<std::string, std::string>, std::string>> TableCollations(Connection& conn,
                                                                                   const std::string& where) {
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COLLATION FROM "
                                           "information_schema.TABLES WHERE TABLE_TYPE='BASE TABLE'" + where));
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const auto& row : r.rows) out[{*row[0], *row[1]}] = row[2].value_or("");
  return out;
}

CharsetPair PairOfCollation(const CharsetCatalog& catalog, const std::string& collation) {
  std::string c = catalog.Collation(collation);
  return {catalog.CharsetOf(c), c};
}

}  // namespace

Status SchemaTracker::Reload(Connection& conn, const std::string& db, const std::string& table) {
  auto schema = ReadTableSchema(conn, db, table);
  if (!schema.ok()) {
    if (schema.status().code() == StatusCode::kNotFound) tables_.erase(MakeKey(db, table));
    return schema.status();
  }
  SYNC_ASSIGN_OR_RETURN(auto collations, TableCollations(conn, " AND TABLE_SCHEMA=" + QuoteString(db) +
                                                                   " AND TABLE_NAME=" + QuoteString(table)));
  CharsetPair defaults;
  if (!collations.empty()) defaults = PairOfCollation(catalog_, collations.begin()->second);
  AddTable(std::move(schema).value(), defaults);
  return Status::Ok();
}

Result<SchemaTracker> SchemaTracker::Load(Connection& conn, TableFilter filter) {
  SYNC_ASSIGN_OR_RETURN(CharsetCatalog catalog, CharsetCatalog::Load(conn));
  // MariaDB 11.2+ can remap charset defaults per session; the global setting applies to replicated DDL.
  auto remap = conn.Query("SELECT @@global.character_set_collations");
  if (remap.ok() && !remap->Scalar().empty()) {
    std::string list = remap->Scalar() + ",";
    for (size_t start = 0, comma; (comma = list.find(',', start)) != std::string::npos; start = comma + 1) {
      std::string item = list.substr(start, comma - start);
      auto eq = item.find('=');
      if (eq == std::string::npos) continue;
      std::string charset = catalog.Charset(item.substr(0, eq)), collation = catalog.Collation(item.substr(eq + 1));
      if (!charset.empty() && !collation.empty()) catalog.AddCollation(collation, charset, catalog.CollationId(collation), true);
    }
  }
  DdlDialect dialect = DdlDialect::ForServerVersion(conn.ServerVersion());
  SYNC_ASSIGN_OR_RETURN(auto vars, conn.Query("SELECT @@global.collation_server, @@global.explicit_defaults_for_timestamp, "
                                              "@@lower_case_table_names"));
  if (vars.rows.empty()) return Status::Internal("cannot read the server's collation_server");
  const auto& v = vars.rows[0];
  dialect.explicit_defaults_for_timestamp = v[1].value_or("1") != "0";
  SchemaTracker tracker(catalog, dialect, PairOfCollation(catalog, v[0].value_or("")), std::move(filter),
                        v[2].value_or("0") != "0");
  SYNC_ASSIGN_OR_RETURN(auto dbs, conn.Query("SELECT SCHEMA_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA"));
  for (const auto& row : dbs.rows)
    if (row[0] && row[1]) tracker.SetDatabaseDefault(*row[0], PairOfCollation(tracker.catalog_, *row[1]));
  SYNC_ASSIGN_OR_RETURN(auto collations, TableCollations(conn, ""));
  SYNC_ASSIGN_OR_RETURN(auto all, ListAllTables(conn));
  for (const auto& t : all) {
    if (!tracker.Wanted(t.db, t.table)) continue;
    auto schema = ReadTableSchema(conn, t.db, t.table);
    if (!schema.ok()) {
      if (schema.status().code() == StatusCode::kNotFound) continue;  // dropped meanwhile
      return schema.status();
    }
    tracker.AddTable(std::move(schema).value(), PairOfCollation(tracker.catalog_, collations[{t.db, t.table}]));
  }
  return tracker;
}

}  // namespace dbsync::mysql
