#include "pipeline/ddl_applier.hpp"

#include "core/atomic_file.hpp"
#include "core/text_util.hpp"
#include "pipeline/table_binding.hpp"

namespace dbsync::pipeline {
namespace {

using mysql::SchemaChange;
using mysql::SchemaChangeKind;

std::string Name(const std::string& db, const std::string& table) { return db + "." + table; }

std::vector<std::string> DatabasePatterns(const config::TaskSpec& spec) {
  std::vector<std::string> db_patterns;
  for (const auto& p : spec.source.tables) db_patterns.push_back(p.substr(0, p.find('.')));
  return db_patterns;
}

// Every table of a database that source.tables names is tracked, so tables
// renamed into the selection (online schema change tools) are known.
mysql::TableFilter DatabaseFilter(const config::TaskSpec& spec) {
  return [db_patterns = DatabasePatterns(spec)](const std::string& db, const std::string&) {
    for (const auto& p : db_patterns)
      if (GlobMatch(p, db)) return true;
    return false;
  };
}

}  // namespace

Status ValidateDdlPolicies(const config::TaskSpec& spec) {
  for (const auto& [kind, policy] : spec.ddl) {
    if (policy == config::DdlPolicy::kIgnore && kind != "drop_table" && kind != "truncate_table")
      return Status::InvalidArgument("ddl." + kind + ": ignore is supported only for drop_table and truncate_table "
                                     "in this version; use normal, alert or error");
  }
  return Status::Ok();
}

Result<std::unique_ptr<DdlApplier>> DdlApplier::Create(const config::TaskSpec& spec, mysql::Connection& conn,
                                                       std::string schema_file, Logger& log) {
  SYNC_RETURN_IF_ERROR(ValidateDdlPolicies(spec));
  SYNC_ASSIGN_OR_RETURN(auto tracker, mysql::SchemaTracker::Load(conn, DatabaseFilter(spec)));
  auto saved = ReadFile(schema_file);
  BinlogPosition saved_position;
  if (saved.ok()) {
    auto j = nlohmann::json::parse(*saved, nullptr, false);
    if (j.is_discarded()) return Status::Corruption("tracked schema file " + schema_file + " is damaged");
    saved_position = BinlogPosition::FromJson(j.value("position", nlohmann::json::object()));
    for (const auto& t : j.value("tables", nlohmann::json::array())) {
      TableSchema schema = TableSchemaFromJson(t);
      const mysql::CharsetPair* defaults = tracker.TableDefaults(schema.db, schema.table);
      tracker.AddTable(schema, defaults ? *defaults : mysql::CharsetPair{});
    }
  }
  auto applier = std::make_unique<DdlApplier>(spec, std::move(tracker), std::move(schema_file), log);
  applier->saved_position_ = saved_position;
  return applier;
}

Status DdlApplier::Follow(const config::TaskSpec& spec, mysql::Connection& conn) {
  if (DatabasePatterns(spec) == DatabasePatterns(*spec_)) {
    spec_ = &spec;
    return Status::Ok();
  }
  mysql::TableFilter before = DatabaseFilter(*spec_), after = DatabaseFilter(spec);
  // Tables already tracked keep the schemas the stream has reached; those of
  // databases tracked from now on start from information_schema.
  SYNC_ASSIGN_OR_RETURN(auto fresh, mysql::SchemaTracker::Load(conn, [before, after](const std::string& db, const std::string& table) {
    return after(db, table) && !before(db, table);
  }));
  for (const auto& [db, table] : fresh.Tables()) {
    const mysql::CharsetPair* defaults = fresh.TableDefaults(db, table);
    tracker_.AddTable(*fresh.Find(db, table), defaults ? *defaults : mysql::CharsetPair{});
  }
  tracker_.set_filter(after);
  spec_ = &spec;
  return Status::Ok();
}

Status DdlApplier::Save(const BinlogPosition& position, const Bindings& bindings) const {
  nlohmann::json j = {{"position", position.ToJson()}, {"tables", nlohmann::json::array()}};
  for (const auto& [name, b] : bindings) j["tables"].push_back(TableSchemaToJson(b->source));
  return WriteFileAtomically(schema_file_, j.dump());
}

Status DdlApplier::Apply(const std::string& default_db, const std::string& sql, const BinlogPosition& position,
                         const BinlogPosition& committed, Bindings& bindings, sink::Sink& sink,
                         mysql::Connection& conn) {
  if (!saved_position_.empty() && position.Compare(saved_position_) <= 0) return Status::Ok();
  auto changes = tracker_.ApplyDdl(default_db, sql);
  if (!changes.ok())
    return changes.status().WithContext("DDL at " + position.ToString() + " cannot be tracked");
  bool touched = false;
  for (const auto& change : *changes) {
    bool bound = bindings.count(Name(change.old_table.empty() ? change.db : change.old_db,
                                     change.old_table.empty() ? change.table : change.old_table)) > 0;
    bool selected = config::IsTableSelected(spec_->source, change.db, change.table);
    if (!bound && !selected) continue;
    touched = true;
    SYNC_RETURN_IF_ERROR(ApplyChange(change, committed, bindings, sink, conn));
  }
  if (touched) {
    log_.Info("DDL applied at " + position.ToString() + ": " + sql);
    SYNC_RETURN_IF_ERROR(Save(position, bindings));
  }
  return Status::Ok();
}

Status DdlApplier::ApplyChange(const SchemaChange& change, const BinlogPosition& position, Bindings& bindings,
                               sink::Sink& sink, mysql::Connection& conn) {
  std::string kind = mysql::SchemaChangeKindName(change.kind);
  auto policy_it = spec_->ddl.find(kind);
  config::DdlPolicy policy = policy_it == spec_->ddl.end() ? config::DdlPolicy::kNormal : policy_it->second;
  std::string name = Name(change.db, change.table);
  if (policy == config::DdlPolicy::kError)
    return Status::FailedPrecondition("source DDL (" + kind + ") on " + name + " at " + position.ToString() +
                                      " and ddl." + kind + " is error: the task stops here. Change the policy or "
                                      "the destination by hand, then start the task again");
  if (policy == config::DdlPolicy::kAlert) log_.Warn("ALERT: source DDL (" + kind + ") on " + name);
  if (policy == config::DdlPolicy::kIgnore) {  // drop_table / truncate_table only
    log_.Info("ignoring " + kind + " of " + name + " (ddl." + kind + ": ignore)");
    if (change.kind == SchemaChangeKind::kTableDropped) bindings.erase(name);
    return Status::Ok();
  }

  switch (change.kind) {
    case SchemaChangeKind::kTableCreated: {
      if (change.schema_unknown) SYNC_RETURN_IF_ERROR(tracker_.Reload(conn, change.db, change.table));
      const TableSchema* schema = tracker_.Find(change.db, change.table);
      if (!schema) return Status::Internal("created table " + name + " is not tracked");
      auto binding = std::make_unique<sink::TableBinding>(BindTable(*spec_, *schema));
      SYNC_RETURN_IF_ERROR(sink.ApplySchemaChange(change, *binding, nullptr, position));
      bindings[name] = std::move(binding);
      return Status::Ok();
    }
    case SchemaChangeKind::kTableDropped: {
      auto it = bindings.find(name);
      if (it == bindings.end()) return Status::Ok();
      SYNC_RETURN_IF_ERROR(sink.ApplySchemaChange(change, *it->second, nullptr, position));
      bindings.erase(it);
      return Status::Ok();
    }
    case SchemaChangeKind::kTableRenamed: {
      std::string old_name = Name(change.old_db, change.old_table);
      auto it = bindings.find(old_name);
      bool selected = config::IsTableSelected(spec_->source, change.db, change.table);
      if (it == bindings.end()) {
        // Its rows were never copied: it needs a full initialization, which a
        // restart (sync stop, sync start) does for newly selected tables.
        log_.Warn("table " + old_name + " was renamed to " + name + ", which the task selects; restart the task "
                  "to copy it");
        return Status::Ok();
      }
      if (!selected) {
        log_.Warn("table " + old_name + " was renamed to " + name + ", outside source.tables: no longer synced");
        bindings.erase(it);
        return Status::Ok();
      }
      const TableSchema* schema = tracker_.Find(change.db, change.table);
      if (!schema) return Status::Internal("renamed table " + name + " is not tracked");
      auto binding = std::make_unique<sink::TableBinding>(BindTable(*spec_, *schema));
      SYNC_RETURN_IF_ERROR(sink.ApplySchemaChange(change, *binding, it->second.get(), position));
      bindings.erase(it);
      bindings[name] = std::move(binding);
      return Status::Ok();
    }
    default: {
      auto it = bindings.find(name);
      if (it == bindings.end()) return Status::Ok();
      const TableSchema* schema = tracker_.Find(change.db, change.table);
      if (!schema)
        return Status::FailedPrecondition("DDL at " + position.ToString() + " changes columns of " + name +
                                          " and renames it in one statement, which this version cannot follow; "
                                          "re-run the full initialization of the renamed table");
      auto binding = std::make_unique<sink::TableBinding>(BindTable(*spec_, *schema));
      SYNC_RETURN_IF_ERROR(sink.ApplySchemaChange(change, *binding, it->second.get(), position));
      it->second = std::move(binding);
      if (change.kind == SchemaChangeKind::kColumnAdded) return FillAddedColumn(change, *it->second, sink, conn);
      return Status::Ok();
    }
  }
}

Status DdlApplier::FillAddedColumn(const SchemaChange& change, const sink::TableBinding& table, sink::Sink& sink,
                                   mysql::Connection& conn) {
  // The default as the source has it now: right after the ADD this is what
  // the existing rows received.
  SYNC_ASSIGN_OR_RETURN(auto r, conn.Query("SELECT COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE FROM "
                                           "information_schema.COLUMNS WHERE TABLE_SCHEMA=" +
                                           mysql::QuoteString(change.db) + " AND TABLE_NAME=" +
                                           mysql::QuoteString(change.table) + " AND COLUMN_NAME=" +
                                           mysql::QuoteString(change.column)));
  if (r.rows.empty()) return Status::Ok();  // dropped again since: later DDL will follow
  std::optional<std::string> def = r.rows[0][0];
  bool nullable = r.rows[0][1].value_or("YES") == "YES";
  std::string type = ToLower(r.rows[0][2].value_or(""));
  std::string value;
  if (def && *def != "NULL") {
    if (def->size() >= 2 && def->front() == '\'' && def->back() == '\'') {
      for (size_t i = 1; i + 1 < def->size(); ++i) {  // MariaDB quotes string defaults, doubling quotes
        value += (*def)[i];
        if ((*def)[i] == '\'' && (*def)[i + 1] == '\'') ++i;
      }
    } else if (def->find('(') != std::string::npos || ToLower(*def).find("current_timestamp") != std::string::npos) {
      log_.Warn("added column " + change.db + "." + change.table + "." + change.column + " has the default " + *def +
                ", evaluated by the source when the column was added; existing rows keep NULL at the destination");
      return Status::Ok();
    } else {
      value = *def;
    }
  } else if (!nullable) {
    // NOT NULL without a default: MySQL's implicit default for the type.
    static const std::vector<std::string> kNumeric = {"tinyint", "smallint", "mediumint", "int", "bigint",
                                                     "decimal", "float",    "double",    "year", "bit"};
    if (std::find(kNumeric.begin(), kNumeric.end(), type) != kNumeric.end()) value = "0";
    else if (type == "enum" && !change.after->enum_values.empty()) value = change.after->enum_values.front();
    else if (type.find("char") != std::string::npos || type.find("text") != std::string::npos || type == "set") value = "";
    else return Status::Ok();  // temporal and binary implicit defaults: left NULL
  } else {
    return Status::Ok();  // NULL is right
  }
  return sink.FillAddedColumn(table, change.column, value);
}

}  // namespace dbsync::pipeline
