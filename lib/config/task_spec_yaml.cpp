#include "config/task_spec_yaml.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>
#include <set>

#include "core/atomic_file.hpp"
#include "core/name_pattern.hpp"
#include "core/text_util.hpp"
#include "expr/row_condition.hpp"
#include "sink/registry.hpp"
#include "sink/shaping/added_column.hpp"

namespace dbsync::config {
namespace {

// Walks the YAML tree, collecting every problem with its position.
class SpecParser {
 public:
  explicit SpecParser(std::string file) : file_(std::move(file)) {}

  const std::vector<std::string>& errors() const { return errors_; }

  void Error(const YAML::Mark& mark, const std::string& msg) {
    if (mark.line < 0) {
      errors_.push_back(file_ + ": " + msg);
    } else {
      errors_.push_back(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                        std::to_string(mark.column + 1) + ": " + msg);
    }
  }

  bool ExpectMap(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    Error(n.Mark(), path + ": expected a mapping of key: value lines");
    return false;
  }

  // Reports keys that are not in `allowed`, suggesting the nearest valid one.
  void CheckKeys(const YAML::Node& map, const std::string& path, const std::vector<std::string>& allowed) {
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string nearest = NearestWord(key, allowed);
      std::string where = path.empty() ? "at the top level" : "in " + path;
      std::string hint = nearest.empty() ? "valid keys are: " + Join(allowed, ", ")
                                         : "did you mean '" + nearest + "'?";
      Error(kv.first.Mark(), "unknown key '" + key + "' " + where + "; " + hint);
    }
  }

  void Missing(const YAML::Node& map, const std::string& path, const std::string& key, const std::string& hint) {
    Error(map.Mark(), path + ": missing required key '" + key + "'" + (hint.empty() ? "" : "; " + hint));
  }

  bool String(const YAML::Node& map, const std::string& path, const std::string& key, std::string* out,
              bool required = false, const std::string& hint = "") {
    YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      if (required) Missing(map, path, key, hint);
      return false;
    }
    if (!n.IsScalar()) {
      Error(n.Mark(), path + "." + key + ": expected a text value");
      return false;
    }
    *out = n.Scalar();
    if (required && out->empty()) {
      Error(n.Mark(), path + "." + key + ": must not be empty" + (hint.empty() ? "" : "; " + hint));
      return false;
    }
    return true;
  }

  template <typename Int>
  bool Integer(const YAML::Node& map, const std::string& path, const std::string& key, Int* out, long long min,
               long long max, bool required = false, const std::string& hint = "") {
    YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      if (required) Missing(map, path, key, hint);
      return false;
    }
    long long v = 0;
    size_t used = 0;
    bool parsed = false;
    if (n.IsScalar()) {
      try {
        v = std::stoll(n.Scalar(), &used, 10);
        parsed = used == n.Scalar().size();
      } catch (const std::exception&) {
        parsed = false;
      }
    }
    if (!parsed) {
      Error(n.Mark(), path + "." + key + ": expected an integer, got '" + (n.IsScalar() ? n.Scalar() : "?") + "'");
      return false;
    }
    if (v < min || v > max) {
      Error(n.Mark(), path + "." + key + ": " + std::to_string(v) + " is out of range [" + std::to_string(min) +
                          ", " + std::to_string(max) + "]");
      return false;
    }
    *out = static_cast<Int>(v);
    return true;
  }

  // A scalar or a sequence of scalars.
  void StringList(const YAML::Node& map, const std::string& path, const std::string& key,
                  std::vector<std::string>* out) {
    YAML::Node n = map[key];
    if (!n || n.IsNull()) return;
    if (n.IsScalar()) {
      out->push_back(n.Scalar());
      return;
    }
    if (!n.IsSequence()) {
      Error(n.Mark(), path + "." + key + ": expected a list");
      return;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        Error(item.Mark(), path + "." + key + ": every entry must be a text value");
        continue;
      }
      out->push_back(item.Scalar());
    }
  }

  void OneOf(const YAML::Node& node, const std::string& path, const std::string& value,
             const std::vector<std::string>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
    std::string nearest = NearestWord(value, allowed);
    Error(node.Mark(), path + ": '" + value + "' is not one of " + Join(allowed, ", ") +
                           (nearest.empty() ? "" : "; did you mean '" + nearest + "'?"));
  }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

// A tls: {mode, ca, cert, key} block under `parent` (source or destination).
void ParseTls(SpecParser& p, const YAML::Node& parent, const std::string& parent_path, TlsOptions* tls) {
  YAML::Node n = parent["tls"];
  if (!n || n.IsNull()) return;
  const std::string path = parent_path + ".tls";
  if (!p.ExpectMap(n, path)) return;
  p.CheckKeys(n, path, {"mode", "ca", "cert", "key"});
  std::string mode;
  if (p.String(n, path, "mode", &mode)) {
    if (auto parsed = ParseTlsMode(mode)) {
      tls->mode = *parsed;
    } else {
      p.OneOf(n["mode"], path + ".mode", mode, TlsModeNames());
    }
  }
  for (const auto& [key, file] : {std::pair{"ca", &tls->ca}, std::pair{"cert", &tls->cert}, std::pair{"key", &tls->key}}) {
    if (!p.String(n, path, key, file)) continue;
    if (file->empty() || file->front() != '/') {
      p.Error(n[key].Mark(), path + "." + key + ": '" + *file + "' must be the absolute path of a PEM file");
    } else if (::access(file->c_str(), R_OK) != 0) {
      p.Error(n[key].Mark(), path + "." + key + ": cannot read '" + *file + "': " + std::strerror(errno));
    }
  }
  if (VerifiesCertificate(tls->mode) && tls->ca.empty())
    p.Error(n.Mark(), path + ": mode " + TlsModeName(tls->mode) +
                          " verifies the server's certificate and needs ca: the CA certificate (PEM) that signed it "
                          "(for a public CA, /etc/ssl/certs/ca-certificates.crt)");
  if (tls->cert.empty() != tls->key.empty())
    p.Error(n.Mark(), path + ": cert and key go together (the client certificate and its private key)");
}

void ParseSource(SpecParser& p, const YAML::Node& n, SourceSpec* s) {
  const std::string path = "source";
  if (!p.ExpectMap(n, path)) return;
  p.CheckKeys(n, path, {"type", "host", "port", "user", "password", "server_id", "tables", "exclude",
                        "shadow_tables", "connect_timeout_seconds", "tls"});
  if (p.String(n, path, "type", &s->type)) p.OneOf(n["type"], "source.type", s->type, {"mysql"});
  p.String(n, path, "host", &s->host, true);
  p.Integer(n, path, "port", &s->port, 1, 65535);
  p.String(n, path, "user", &s->user, true);
  p.String(n, path, "password", &s->password);
  p.Integer(n, path, "server_id", &s->server_id, 1, 4294967295LL, true,
            "pick a number unique among the source's replicas, e.g. 5401");
  p.Integer(n, path, "connect_timeout_seconds", &s->connect_timeout_seconds, 1, 3600);
  ParseTls(p, n, path, &s->tls);
  p.StringList(n, path, "tables", &s->tables);
  p.StringList(n, path, "exclude", &s->exclude);
  p.StringList(n, path, "shadow_tables", &s->shadow_tables);
  for (const auto& pattern : s->shadow_tables)
    if (pattern.find("{table}") == std::string::npos || pattern == "{table}")
      p.Error(n["shadow_tables"].Mark(), "source.shadow_tables: pattern '" + pattern +
                                             "' must name the shadowed table as {table} with a prefix or suffix, "
                                             "e.g. \"_{table}_new\" (pt-online-schema-change) or \"_{table}_gho\" (gh-ost)");
  if (!n["tables"] || s->tables.empty())
    p.Missing(n, path, "tables", "list the tables to sync as db.table patterns, e.g. [shop.*]");
  for (const auto* list : {&s->tables, &s->exclude}) {
    for (const auto& pattern : *list)
      if (pattern.find('.') == std::string::npos)
        p.Error(n[list == &s->tables ? "tables" : "exclude"].Mark(),
                "source: pattern '" + pattern + "' must have the form db.table (e.g. " + pattern + ".*)");
  }
}

void ParseDestination(SpecParser& p, const YAML::Node& n, DestinationSpec* d) {
  const std::string path = "destination";
  if (!p.ExpectMap(n, path)) return;
  const std::vector<std::string> types = sink::DestinationTypes();
  if (!p.String(n, path, "type", &d->type, true, "one of " + Join(types, ", "))) {
    p.CheckKeys(n, path, {"type"});
    return;
  }
  const sink::Destination* entry = sink::FindDestination(d->type);
  if (!entry) {
    p.OneOf(n["type"], "destination.type", d->type, types);
    return;
  }
  // Keys of the other types are accepted and ignored (sync-task(5)), so a
  // spec can switch types by its type line alone.
  std::vector<std::string> keys = {"type", "connect_timeout_seconds", "stall_timeout_seconds", "tls"};
  for (const auto& other : sink::Destinations())
    for (const auto& f : other.fields)
      if (std::find(keys.begin(), keys.end(), f.key) == keys.end()) keys.push_back(f.key);
  p.CheckKeys(n, path, keys);
  p.Integer(n, path, "connect_timeout_seconds", &d->connect_timeout_seconds, 1, 3600);
  p.Integer(n, path, "stall_timeout_seconds", &d->stall_timeout_seconds, 2, 86400);
  if (n["tls"] && !entry->takes_tls) {
    std::vector<std::string> with_tls;
    for (const auto& other : sink::Destinations())
      if (other.takes_tls) with_tls.push_back(other.type);
    p.Error(n["tls"].Mark(), path + ".tls: type " + d->type + " does not take tls settings (" + Join(with_tls, ", ") +
                                 " do); remove the block");
  } else {
    ParseTls(p, n, path, &d->tls);
  }
  for (const auto& f : entry->fields) {
    if (f.number) {
      d->*f.number = f.default_number;
      p.Integer(n, path, f.key, &(d->*f.number), 1, f.max_number, f.required, f.hint);
    } else if (p.String(n, path, f.key, &(d->*f.text), f.required, f.hint) && !f.choices.empty()) {
      p.OneOf(n[f.key], path + "." + f.key, d->*f.text, f.choices);
    }
  }
}

// A list of {prefix, with} or {match, to} rules at `path`.
void ParseRules(SpecParser& p, const YAML::Node& rules, const std::string& path, std::vector<MappingRule>* out) {
  if (!rules.IsSequence()) {
    p.Error(rules.Mark(), path + ": expected a list of {prefix, with} or {match, to} rules");
    return;
  }
  const std::string item = path + "[]";
  for (const auto& r : rules) {
    if (!p.ExpectMap(r, item)) continue;
    p.CheckKeys(r, item, {"prefix", "with", "match", "to"});
    MappingRule rule;
    rule.line = r.Mark().line + 1;
    bool has_prefix = p.String(r, item, "prefix", &rule.prefix);
    bool has_match = p.String(r, item, "match", &rule.match);
    if (has_prefix == has_match) {
      p.Error(r.Mark(), item + ": give either prefix + with or match + to");
      continue;
    }
    if (has_prefix && rule.prefix.empty()) p.Error(r["prefix"].Mark(), item + ".prefix must not be empty");
    if (has_prefix) p.String(r, item, "with", &rule.with, false);
    if (has_match) {
      p.String(r, item, "to", &rule.to, true);
      auto pattern = NamePattern::Compile(rule.match);
      if (!pattern.ok()) {
        p.Error(r["match"].Mark(), item + ".match: invalid regular expression: " + pattern.status().message());
      } else if (Status to = pattern->CheckReplacement(rule.to); !to.ok() && r["to"]) {
        p.Error(r["to"].Mark(), item + ".to: " + to.message());
      }
    }
    out->push_back(rule);
  }
}

void ParseMapping(SpecParser& p, const YAML::Node& n, MappingSpec* m) {
  const std::string path = "mapping";
  if (!p.ExpectMap(n, path)) return;
  p.CheckKeys(n, path, {"schema", "table", "rules", "schema_rules", "variables"});
  p.String(n, path, "schema", &m->schema);
  p.String(n, path, "table", &m->table);
  if (YAML::Node rules = n["rules"]) ParseRules(p, rules, "mapping.rules", &m->rules);
  if (YAML::Node rules = n["schema_rules"]) ParseRules(p, rules, "mapping.schema_rules", &m->schema_rules);
  YAML::Node variables = n["variables"];
  if (!variables || !p.ExpectMap(variables, "mapping.variables")) return;
  for (const auto& entry : variables) {
    const std::string name = entry.first.Scalar();
    if (std::find(kMappingVariables.begin(), kMappingVariables.end(), name) == kMappingVariables.end()) {
      p.Error(entry.first.Mark(), "mapping.variables: '" + name + "' is not a variable of mapping.schema and "
                                  "mapping.table; did you mean '" + NearestWord(name, kMappingVariables) + "'?");
      continue;
    }
    ParseRules(p, entry.second, "mapping.variables." + name, &m->variables[name]);
  }
}

// A filter condition parses when the spec is read; its columns are checked
// against each table when the worker binds it (sync check does too).
void CheckCondition(SpecParser& p, const YAML::Node& node, const std::string& path, const std::string& text) {
  size_t offset = 0;
  auto parsed = expr::RowCondition::Parse(text, &offset);
  if (parsed.ok()) return;
  YAML::Mark mark = node.Mark();
  // A quoted one-line scalar's mark is its opening quote.
  if (text.find('\n') == std::string::npos && mark.line >= 0)
    mark.column += int(offset) + (node.Tag() == "!" ? 1 : 0);
  p.Error(mark, path + ": " + parsed.status().message());
}

void ParseDml(SpecParser& p, const YAML::Node& n, TableSpec* t) {
  const std::string path = "tables[].dml";
  if (!p.ExpectMap(n, path)) return;
  p.CheckKeys(n, path, {"insert", "update", "delete"});
  static const std::map<std::string, DmlAction> kActions = {{"normal", DmlAction::kNormal},
                                                            {"ignore", DmlAction::kIgnore},
                                                            {"filter", DmlAction::kFilter},
                                                            {"logical_delete", DmlAction::kLogicalDelete}};
  for (const auto& kv : n) {
    std::string op = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const std::string at = path + "." + op;
    DmlPolicy policy;
    std::string action;
    if (v.IsScalar()) {
      action = v.Scalar();
    } else if (p.ExpectMap(v, at)) {
      p.CheckKeys(v, at, {"action", "condition", "column", "value", "live_value", "time_column"});
      p.String(v, at, "action", &action, true, "one of normal, ignore, filter, logical_delete");
      if (p.String(v, at, "condition", &policy.condition)) CheckCondition(p, v["condition"], at + ".condition", policy.condition);
      p.String(v, at, "column", &policy.column, bool(v["column"]));
      p.String(v, at, "value", &policy.value);
      p.String(v, at, "live_value", &policy.live_value);
      p.String(v, at, "time_column", &policy.time_column);
    }
    if (action.empty()) continue;
    auto it = kActions.find(action);
    if (it == kActions.end()) {
      p.OneOf(v.IsScalar() ? v : v["action"], at + ".action", action, {"normal", "ignore", "filter", "logical_delete"});
      continue;
    }
    policy.action = it->second;
    if (policy.action == DmlAction::kFilter && policy.condition.empty())
      p.Error(v.Mark(), at + ": action filter needs a condition, e.g. condition: \"status <> 'x'\"");
    if (policy.action != DmlAction::kFilter && !policy.condition.empty())
      p.Error(v["condition"].Mark(), at + ".condition: only action filter takes a condition");
    if (policy.action == DmlAction::kLogicalDelete && op != "delete")
      p.Error(v.Mark(), at + ": logical_delete applies only to delete; inserts and updates of a logically deleted "
                             "table mark their rows live by themselves");
    bool marker_keys = v.IsMap() && (v["column"] || v["value"] || v["live_value"] || v["time_column"]);
    if (policy.action != DmlAction::kLogicalDelete && marker_keys)
      p.Error(v.Mark(), at + ": column, value, live_value and time_column belong to action logical_delete");
    if (policy.action == DmlAction::kLogicalDelete && policy.value == policy.live_value)
      p.Error(v.Mark(), at + ": value and live_value are both '" + policy.value + "'; deleted rows could not be told "
                             "from live ones");
    t->dml[op] = policy;
  }
}

// MySQL's DATA_TYPE names, which tables[].type_overrides is keyed by.
const std::vector<std::string> kSourceTypes = {
    "tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double", "bit", "date", "datetime",
    "timestamp", "time", "year", "char", "varchar", "binary", "varbinary", "tinytext", "text", "mediumtext",
    "longtext", "tinyblob", "blob", "mediumblob", "longblob", "enum", "set", "json"};

// tables[].column_types or type_overrides: name -> a type extra_fields takes.
void ParseTypeMap(SpecParser& p, const YAML::Node& t, const std::string& key, std::map<std::string, std::string>* out) {
  YAML::Node m = t[key];
  const std::string path = "tables[]." + key;
  if (!m || !p.ExpectMap(m, path)) return;
  for (const auto& entry : m) {
    const std::string name = entry.first.Scalar();
    if (!entry.second.IsScalar()) {
      p.Error(entry.second.Mark(), path + "." + name + ": expected a type, e.g. text");
      continue;
    }
    if (key == "type_overrides" && std::find(kSourceTypes.begin(), kSourceTypes.end(), name) == kSourceTypes.end()) {
      p.Error(entry.first.Mark(), path + ": '" + name + "' is not a MySQL column type (DATA_TYPE); did you mean '" +
                                      NearestWord(name, kSourceTypes) + "'?");
      continue;
    }
    auto type = sink::AddedColumnType(name, entry.second.Scalar());
    if (!type.ok()) {
      p.Error(entry.second.Mark(), path + "." + name + ": " + type.status().message());
      continue;
    }
    (*out)[name] = entry.second.Scalar();
  }
}

// { source_column: destination_name, ... }: names as PostgreSQL keeps them (1 to 63 bytes).
void ParseNameMap(SpecParser& p, const YAML::Node& t, const std::string& key, std::map<std::string, std::string>* out) {
  YAML::Node m = t[key];
  const std::string path = "tables[]." + key;
  if (!m || !p.ExpectMap(m, path)) return;
  std::set<std::string> taken;
  for (const auto& entry : m) {
    const std::string name = entry.first.Scalar();
    if (!entry.second.IsScalar() || entry.second.Scalar().empty() || entry.second.Scalar().size() > 63) {
      p.Error(entry.second.Mark(), path + "." + name + ": expected a column name of 1 to 63 bytes");
      continue;
    }
    if (!taken.insert(ToLower(entry.second.Scalar())).second) {
      p.Error(entry.second.Mark(), path + "." + name + ": '" + entry.second.Scalar() + "' is given to two columns");
      continue;
    }
    (*out)[name] = entry.second.Scalar();
  }
}

void ParseTables(SpecParser& p, const YAML::Node& n, std::vector<TableSpec>* tables) {
  if (!n.IsSequence()) {
    p.Error(n.Mark(), "tables: expected a list of per-table settings, each with a match: pattern");
    return;
  }
  const std::string path = "tables[]";
  for (const auto& t : n) {
    if (!p.ExpectMap(t, path)) continue;
    p.CheckKeys(t, path, {"match", "mode", "primary_key", "storage", "distribution_key", "clustering_key",
                          "event_time_column", "bitmap_columns", "dictionary_encoding_columns", "binlog_level",
                          "binlog_ttl", "time_to_live_in_seconds", "partition", "extra_fields", "dml",
                          "write_mode", "full_initialization", "disjoint_keys", "on_conflict",
                          "keep_existing_rows", "column_types", "type_overrides", "exclude_columns",
                          "column_names", "split_column", "no_split"});
    TableSpec spec;
    spec.line = t.Mark().line + 1;
    p.String(t, path, "match", &spec.match, true, "a glob on source db.table, e.g. shop.orders");
    std::string mode;
    if (p.String(t, path, "mode", &mode)) {
      p.OneOf(t["mode"], "tables[].mode", mode, {"new", "existing"});
      spec.mode = mode == "existing" ? TableMode::kExisting : TableMode::kNew;
    }
    p.StringList(t, path, "primary_key", &spec.primary_key);
    if (p.String(t, path, "storage", &spec.storage))
      p.OneOf(t["storage"], "tables[].storage", spec.storage, {"column", "row", "row,column"});
    if (p.String(t, path, "write_mode", &spec.write_mode))
      p.OneOf(t["write_mode"], "tables[].write_mode", spec.write_mode, {"upsert", "log"});
    std::string on_conflict;
    if (p.String(t, path, "on_conflict", &on_conflict)) {
      p.OneOf(t["on_conflict"], "tables[].on_conflict", on_conflict, {"replace", "update", "ignore"});
      spec.on_conflict = on_conflict == "update"   ? ConflictPolicy::kUpdate
                         : on_conflict == "ignore" ? ConflictPolicy::kIgnore
                                                   : ConflictPolicy::kReplace;
    }
    p.StringList(t, path, "distribution_key", &spec.distribution_key);
    p.StringList(t, path, "clustering_key", &spec.clustering_key);
    p.String(t, path, "event_time_column", &spec.event_time_column);
    for (auto [key, out] : {std::pair{"full_initialization", &spec.full_initialization},
                            {"disjoint_keys", &spec.disjoint_keys},
                            {"keep_existing_rows", &spec.keep_existing_rows},
                            {"no_split", &spec.no_split}}) {
      YAML::Node flag = t[key];
      if (!flag) continue;
      if (flag.IsScalar() && (flag.Scalar() == "true" || flag.Scalar() == "false"))
        *out = flag.Scalar() == "true";
      else
        p.Error(flag.Mark(), std::string("tables[].") + key + ": expected true or false");
    }
    p.StringList(t, path, "bitmap_columns", &spec.bitmap_columns);
    p.StringList(t, path, "dictionary_encoding_columns", &spec.dictionary_encoding_columns);
    if (p.String(t, path, "binlog_level", &spec.binlog_level))
      p.OneOf(t["binlog_level"], "tables[].binlog_level", spec.binlog_level, {"replica", "none"});
    p.Integer(t, path, "binlog_ttl", &spec.binlog_ttl, 1, 3153600000LL);
    // Hologres refuses less than a day (from V1.3.24).
    p.Integer(t, path, "time_to_live_in_seconds", &spec.time_to_live_in_seconds, 86400, 3153600000LL);
    if (YAML::Node part = t["partition"]; part && p.ExpectMap(part, "tables[].partition")) {
      p.CheckKeys(part, "tables[].partition", {"field", "value"});
      PartitionSpec ps;
      p.String(part, "tables[].partition", "field", &ps.field, true);
      p.String(part, "tables[].partition", "value", &ps.value);
      spec.partition = ps;
    }
    if (YAML::Node extra = t["extra_fields"]) {
      // Not a list (`extra_fields: { a: b }`): iterating a mapping gives
      // key/value pairs, whose IsMap() throws YAML::InvalidNode.
      if (!extra.IsSequence()) p.Error(extra.Mark(), "tables[].extra_fields: expected a list");
      for (const auto& f : extra.IsSequence() ? extra : YAML::Node(YAML::NodeType::Sequence)) {
        if (!p.ExpectMap(f, "tables[].extra_fields[]")) continue;
        p.CheckKeys(f, "tables[].extra_fields[]", {"name", "type", "value"});
        ExtraField ef;
        p.String(f, "tables[].extra_fields[]", "name", &ef.name, true);
        p.String(f, "tables[].extra_fields[]", "type", &ef.type, true, "a destination column type, e.g. text");
        p.String(f, "tables[].extra_fields[]", "value", &ef.value, true, "a constant or a variable");
        spec.extra_fields.push_back(ef);
      }
    }
    if (YAML::Node dml = t["dml"]) ParseDml(p, dml, &spec);
    ParseTypeMap(p, t, "column_types", &spec.column_types);
    ParseTypeMap(p, t, "type_overrides", &spec.type_overrides);
    p.StringList(t, path, "exclude_columns", &spec.exclude_columns);
    p.String(t, path, "split_column", &spec.split_column);
    if (!spec.split_column.empty() && spec.no_split)
      p.Error(t["no_split"].Mark(), "tables[]: split_column and no_split: true exclude each other; keep one");
    ParseNameMap(p, t, "column_names", &spec.column_names);
    tables->push_back(spec);
  }
}

void ParseDdl(SpecParser& p, const YAML::Node& n, std::map<std::string, DdlPolicy>* ddl) {
  if (!p.ExpectMap(n, "ddl")) return;
  p.CheckKeys(n, "ddl", kDdlKinds);
  static const std::map<std::string, DdlPolicy> kPolicies = {{"normal", DdlPolicy::kNormal},
                                                             {"ignore", DdlPolicy::kIgnore},
                                                             {"alert", DdlPolicy::kAlert},
                                                             {"error", DdlPolicy::kError}};
  for (const auto& kind : kDdlKinds) {
    std::string v;
    if (!p.String(n, "ddl", kind, &v)) continue;
    auto it = kPolicies.find(v);
    if (it == kPolicies.end()) {
      p.OneOf(n[kind], "ddl." + kind, v, {"normal", "ignore", "alert", "error"});
      continue;
    }
    (*ddl)[kind] = it->second;
  }
}

void ParseRuntime(SpecParser& p, const YAML::Node& n, RuntimeSpec* r) {
  if (!p.ExpectMap(n, "runtime")) return;
  p.CheckKeys(n, "runtime",
              {"snapshot_parallelism", "max_source_connections", "batch_rows", "flush_ms", "failover", "metrics_file"});
  if (p.String(n, "runtime", "metrics_file", &r->metrics_file) &&
      (!r->metrics_file.starts_with("/") || !r->metrics_file.ends_with(".prom")))
    p.Error(n["metrics_file"].Mark(), "runtime.metrics_file: '" + r->metrics_file + "' must be an absolute path ending "
                                      "in .prom (node_exporter's textfile collector reads only *.prom files)");
  p.Integer(n, "runtime", "snapshot_parallelism", &r->snapshot_parallelism, 1, 256);
  p.Integer(n, "runtime", "max_source_connections", &r->max_source_connections, 1, 1024);
  p.Integer(n, "runtime", "batch_rows", &r->batch_rows, 1, 10000000);
  p.Integer(n, "runtime", "flush_ms", &r->flush_ms, 1, 3600000);
  if (YAML::Node f = n["failover"]; f && p.ExpectMap(f, "runtime.failover")) {
    p.CheckKeys(f, "runtime.failover", {"max_times", "window_minutes", "max_backoff_seconds"});
    p.Integer(f, "runtime.failover", "max_backoff_seconds", &r->failover.max_backoff_seconds, 1, 3600);
    p.Integer(f, "runtime.failover", "max_times", &r->failover.max_times, 0, 1000000);
    p.Integer(f, "runtime.failover", "window_minutes", &r->failover.window_minutes, 1, 100000);
  }
  if (YAML::Node m = n["max_source_connections"]; m && r->max_source_connections < kMinSourceConnections)
    p.Error(m.Mark(), "runtime.max_source_connections (" + std::to_string(r->max_source_connections) +
                          ") must be at least " + std::to_string(kMinSourceConnections) +
                          ": real-time sync holds two source connections (the catalog and the binlog), and a copy "
                          "beside it (tables that sync apply adds, or a rename brings in) plans with two more");
  if (r->snapshot_parallelism > r->max_source_connections)
    p.Error(n.Mark(), "runtime: snapshot_parallelism (" + std::to_string(r->snapshot_parallelism) +
                          ") exceeds max_source_connections (" + std::to_string(r->max_source_connections) + ")");
}

void ParseAlerts(SpecParser& p, const YAML::Node& n, std::vector<AlertSpec>* alerts) {
  if (!n.IsSequence()) {
    p.Error(n.Mark(), "alerts: expected a list of {on, run} entries");
    return;
  }
  for (const auto& a : n) {
    if (!p.ExpectMap(a, "alerts[]")) continue;
    p.CheckKeys(a, "alerts[]", {"on", "over_seconds", "run", "webhook", "webhook_format", "timeout_seconds",
                                "retries", "min_interval_seconds"});
    AlertSpec spec;
    spec.line = a.Mark().line + 1;
    if (p.String(a, "alerts[]", "on", &spec.on, true))
      p.OneOf(a["on"], "alerts[].on", spec.on,
              {"status", "delay", "failover", "unsupported_ddl", "ddl_notice", "dirty_data", "heartbeat"});
    p.Integer(a, "alerts[]", "over_seconds", &spec.over_seconds, 0, 100000000);
    p.String(a, "alerts[]", "run", &spec.run);
    if (p.String(a, "alerts[]", "webhook", &spec.webhook) && !spec.webhook.starts_with("${") &&
        !spec.webhook.starts_with("http://") && !spec.webhook.starts_with("https://"))
      p.Error(a["webhook"].Mark(), "alerts[].webhook: '" + spec.webhook + "' is not an http:// or https:// URL "
                                   "(or a secret reference such as ${env:ALERT_URL})");
    if (spec.run.empty() && spec.webhook.empty())
      p.Error(a.Mark(), "alerts[]: give run (a command, e.g. /usr/local/bin/page-oncall), webhook (a URL), or both");
    if (p.String(a, "alerts[]", "webhook_format", &spec.webhook_format))
      p.OneOf(a["webhook_format"], "alerts[].webhook_format", spec.webhook_format, {"json", "slack", "dingtalk", "lark"});
    p.Integer(a, "alerts[]", "timeout_seconds", &spec.timeout_seconds, 1, 600);
    p.Integer(a, "alerts[]", "retries", &spec.retries, 0, 10);
    p.Integer(a, "alerts[]", "min_interval_seconds", &spec.min_interval_seconds, 0, 86400);
    alerts->push_back(spec);
  }
}

}  // namespace

// tables[].write_mode chooses between a destination's ways of writing: one
// with a single way (every type but maxcompute) has no such key to default it.
void CheckWriteModes(SpecParser& p, const YAML::Node& root, const TaskSpec& spec) {
  const sink::Destination* entry = sink::FindDestination(spec.destination.type);
  if (!entry || !root["tables"] || !root["tables"].IsSequence()) return;
  bool has_modes = false;
  for (const auto& f : entry->fields) has_modes = has_modes || f.key == "write_mode";
  if (has_modes) return;
  for (const auto& t : root["tables"])
    if (t.IsMap() && t["write_mode"])
      p.Error(t["write_mode"].Mark(), "tables[].write_mode: " + spec.destination.type +
                                          " destinations have one write mode; the key applies to maxcompute");
}

Result<TaskSpec> ParseTaskSpec(const std::string& yaml_text, const std::string& display_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(display_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  SpecParser p(display_name);
  TaskSpec spec;
  for (const auto& kind : kDdlKinds) spec.ddl[kind] = DdlPolicy::kNormal;
  if (!root.IsMap()) {
    return Status::InvalidArgument(display_name + ": expected a task spec (a mapping with name, source, "
                                   "destination); see sync-task(5)");
  }
  p.CheckKeys(root, "", {"name", "sync_mode", "source", "destination", "mapping", "tables", "ddl", "runtime",
                         "alerts"});
  if (p.String(root, "task", "name", &spec.name, true, "a unique name such as shop-to-holo")) {
    static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    if (!std::regex_match(spec.name, kName))
      p.Error(root["name"].Mark(), "name: '" + spec.name +
                                       "' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
  }
  if (std::string mode; p.String(root, "task", "sync_mode", &mode)) {
    p.OneOf(root["sync_mode"], "sync_mode", mode, {"full_and_realtime", "realtime_only", "full_only"});
    spec.sync_mode = mode == "realtime_only" ? SyncMode::kRealtimeOnly
                     : mode == "full_only"   ? SyncMode::kFullOnly
                                             : SyncMode::kFullAndRealtime;
  }
  if (YAML::Node s = root["source"]) ParseSource(p, s, &spec.source);
  else p.Missing(root, "task", "source", "describe the MySQL source (host, port, user, password, tables)");
  if (YAML::Node d = root["destination"]) {
    ParseDestination(p, d, &spec.destination);
    // The destination's preferred batch size and interval, unless runtime sets them.
    if (const sink::Destination* entry = sink::FindDestination(spec.destination.type)) {
      spec.runtime.batch_rows = entry->traits.batch_rows;
      spec.runtime.flush_ms = entry->traits.flush_ms;
    }
  }
  else p.Missing(root, "task", "destination", "describe where to write (type, host, database, ...)");
  if (YAML::Node m = root["mapping"]) ParseMapping(p, m, &spec.mapping);
  if (YAML::Node t = root["tables"]) ParseTables(p, t, &spec.tables);
  if (YAML::Node d = root["ddl"]) ParseDdl(p, d, &spec.ddl);
  if (YAML::Node r = root["runtime"]) ParseRuntime(p, r, &spec.runtime);
  if (YAML::Node a = root["alerts"]) ParseAlerts(p, a, &spec.alerts);
  CheckWriteModes(p, root, spec);
  if (!p.errors().empty()) return Status::InvalidArgument(Join(p.errors(), "\n"));
  return spec;
}

Result<TaskSpec> LoadTaskSpecFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return Status::InvalidArgument(text.status().message());
  return ParseTaskSpec(*text, path);
}

}  // namespace dbsync::config
