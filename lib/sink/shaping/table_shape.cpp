#include "sink/shaping/table_shape.hpp"

#include <algorithm>

#include "core/text_util.hpp"

namespace dbsync::sink {
namespace {

using config::DmlAction;

bool IsInteger(const std::string& s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size() || s.size() > 18) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// The column tables[].partition names: a column of the source as the
// destination has it (an AddedColumn without a name), or one added with
// `value`, as text.
Result<AddedColumn> PartitionColumn(const config::PartitionSpec& partition, const TableBinding& outer,
                                    const TableBinding& projected, const ShapeNames& names) {
  const TableSchema& source = outer.source;
  const std::string table = source.FullName();
  const std::string settings = "tables[].partition of " + table;
  if (outer.key.empty() && outer.settings->primary_key.empty())
    return Status::InvalidArgument(settings + ": the table has no key, and a partitioned table is written by key "
                                   "(the partition column joins it); set tables[].primary_key");
  if (projected.source.ColumnIndex(partition.field) >= 0) {
    if (!partition.value.empty() && partition.value != "${" + partition.field + "}")
      return Status::InvalidArgument(settings + ": field '" + partition.field + "' is a column of the table, whose "
                                     "own values partition it; leave value out, or name a new column for value "
                                     "to fill");
    return AddedColumn::Fixed(ColumnSchema{}, Value());
  }
  if (partition.value.empty())
    return Status::InvalidArgument(settings + ": field '" + partition.field + "' is not a column of the table; "
                                   "give value (such as \"${created_at:%Y%m%d}\") to add it, or name a column");
  auto made = AddedColumn::Make(partition.field, "text", partition.value, source, names);
  if (!made.ok()) return made.status().WithContext(settings);
  if (made->depends_on_change())
    return Status::InvalidArgument(settings + ": value " + partition.value + " takes its value from the change, "
                                   "so a row would move to another partition whenever it changes and could not be "
                                   "found again; use columns of the row (\"${created_at:%Y%m}\") or constants");
  return made;
}

}  // namespace

bool ShapesRows(const config::TableSpec& s) {
  return !s.dml.empty() || !s.extra_fields.empty() || !s.column_types.empty() || !s.type_overrides.empty() ||
         s.partition || !s.exclude_columns.empty() || !s.column_names.empty();
}

Result<std::shared_ptr<const TableShape>> TableShape::Make(const TableBinding& outer, const ShapeNames& names,
                                                          bool names_checked) {
  static const config::TableSpec kNoSettings;
  auto shape = std::make_shared<TableShape>();
  shape->inner_ = outer;
  shape->inner_.drift = {};  // the inner sink sees the destination as it is
  shape->drift_ = outer.drift;
  const config::TableSpec* settings = outer.settings ? outer.settings : &kNoSettings;
  shape->settings_ = settings;
  if (!ShapesRows(*settings) && outer.drift.empty()) return std::shared_ptr<const TableShape>(shape);
  const TableSchema& source = outer.source;
  const std::string table = source.FullName();

  SYNC_RETURN_IF_ERROR(shape->Project(outer, names_checked));

  for (auto [op, policy] : {std::pair{"insert", &shape->insert_}, {"update", &shape->update_}, {"delete", &shape->delete_}}) {
    auto it = settings->dml.find(op);
    if (it == settings->dml.end()) continue;
    policy->action = it->second.action;
    if (it->second.action == DmlAction::kFilter) {
      SYNC_ASSIGN_OR_RETURN(auto parsed, expr::RowCondition::Parse(it->second.condition));
      auto bound = parsed.Bind(source);
      if (!bound.ok()) return bound.status().WithContext(std::string("tables[].dml.") + op + " of " + table);
      policy->condition = std::move(bound).value();
    }
  }

  auto add = [&](ColumnSchema column, AddedColumn added) -> Status {
    for (const auto& c : shape->inner_.source.columns)
      if (ToLower(c.name) == ToLower(column.name))
        return Status::InvalidArgument("the column '" + column.name + "' that tables[] adds to " + table +
                                       (source.ColumnIndex(c.name) >= 0 ? " is a column of the source table"
                                                                        : " is added twice") +
                                       "; give it another name");
    shape->inner_.source.columns.push_back(std::move(column));
    shape->added_.push_back(std::move(added));
    return Status::Ok();
  };
  for (const auto& field : settings->extra_fields) {
    auto made = AddedColumn::Make(field.name, field.type, field.value, source, names);
    if (!made.ok()) return made.status();
    if (made->depends_on_change() && outer.key.empty())
      return Status::InvalidArgument("tables[].extra_fields '" + field.name + "' of " + table + " takes a value from "
                                     "the change (" + field.value + "), but the table has no key, so its rows "
                                     "could not be found again to update or delete; set tables[].primary_key or "
                                     "use a value that depends only on the row");
    ColumnSchema column = made->column();
    SYNC_RETURN_IF_ERROR(add(std::move(column), std::move(made).value()));
  }
  if (settings->partition) {
    SYNC_ASSIGN_OR_RETURN(AddedColumn partition, PartitionColumn(*settings->partition, outer, shape->inner_, names));
    if (partition.column().name.empty()) {
      shape->partition_ = shape->inner_.source.ColumnIndex(settings->partition->field);
    } else {
      shape->partition_ = int(shape->inner_.source.columns.size());
      ColumnSchema column = partition.column();
      SYNC_RETURN_IF_ERROR(add(std::move(column), std::move(partition)));
    }
  }
  if (auto it = settings->dml.find("delete"); it != settings->dml.end() && it->second.action == DmlAction::kLogicalDelete) {
    const config::DmlPolicy& p = it->second;
    bool numeric = IsInteger(p.value) && IsInteger(p.live_value);
    SYNC_ASSIGN_OR_RETURN(ColumnSchema marker, AddedColumnType(p.column, numeric ? "bigint" : "varchar(255)"));
    auto typed = [&](const std::string& v) -> Result<Value> {
      return ConvertTo(Value(Bytes{v, 46}), marker);
    };
    SYNC_ASSIGN_OR_RETURN(shape->live_, typed(p.live_value));
    SYNC_ASSIGN_OR_RETURN(shape->deleted_, typed(p.value));
    shape->logical_delete_ = true;
    SYNC_RETURN_IF_ERROR(add(marker, AddedColumn::Fixed(marker, shape->live_)));
    if (!p.time_column.empty()) {
      SYNC_ASSIGN_OR_RETURN(ColumnSchema when, AddedColumnType(p.time_column, "timestamp"));
      shape->time_column_ = true;
      SYNC_RETURN_IF_ERROR(add(when, AddedColumn::Fixed(when, Value())));
    }
  }
  // A key that names added fields (a shard's origin) is the destination's.
  if (!settings->primary_key.empty() && settings->primary_key != outer.key) {
    shape->inner_.key.clear();
    for (const auto& k : settings->primary_key) {
      std::string at_destination = source.ColumnIndex(k) >= 0 ? shape->DestinationName(k) : k;
      if (shape->inner_.source.ColumnIndex(at_destination) < 0)
        return Status::InvalidArgument("tables[].primary_key names column '" + k + "', which " + table +
                                       " does not have (nor do its tables[].extra_fields)");
      shape->inner_.key.push_back(at_destination);
    }
  }
  // PostgreSQL and Hologres both want the partition column in the key.
  if (shape->partition_ >= 0) {
    const std::string& field = shape->inner_.source.columns[size_t(shape->partition_)].name;
    if (std::find(shape->inner_.key.begin(), shape->inner_.key.end(), field) == shape->inner_.key.end())
      shape->inner_.key.push_back(field);
  }
  shape->passthrough_ = false;
  return std::shared_ptr<const TableShape>(shape);
}

Status TableShape::Project(const TableBinding& outer, bool names_checked) {
  const TableSchema& source = outer.source;
  const std::string table = source.FullName();
  std::vector<std::string> names;
  for (const auto& c : source.columns) names.push_back(c.name);
  auto known = [&](const std::string& setting, const std::string& name) -> Status {
    if (!names_checked || source.ColumnIndex(name) >= 0) return Status::Ok();
    return Status::InvalidArgument("tables[]." + setting + " names column '" + name + "', which " + table +
                                   " does not have; did you mean '" + NearestWord(name, names) + "'?");
  };
  for (const auto& [name, type] : settings_->column_types) SYNC_RETURN_IF_ERROR(known("column_types", name));
  for (const auto& [name, to] : settings_->column_names) SYNC_RETURN_IF_ERROR(known("column_names", name));
  for (const auto& name : settings_->exclude_columns) {
    SYNC_RETURN_IF_ERROR(known("exclude_columns", name));
    if (std::find(outer.key.begin(), outer.key.end(), name) != outer.key.end())
      return Status::InvalidArgument("tables[].exclude_columns names " + name + ", a key column of " + table +
                                     ", which the destination needs to find its rows; keep it");
  }
  inner_.source.columns.clear();
  for (size_t i = 0; i < source.columns.size(); ++i) {
    const ColumnSchema& c = source.columns[i];
    if (Excludes(c.name)) continue;
    SYNC_ASSIGN_OR_RETURN(ColumnSchema at_destination, DestinationColumn(c));
    for (const auto& taken : inner_.source.columns)
      if (ToLower(taken.name) == ToLower(at_destination.name))
        return Status::InvalidArgument("tables[].column_names gives " + table + " two columns named " +
                                       at_destination.name + "; choose another name");
    ColumnSchema renamed_only = c;
    renamed_only.name = at_destination.name;
    retyped_.push_back(!(at_destination == renamed_only));
    kept_.push_back(i);
    inner_.source.columns.push_back(std::move(at_destination));
  }
  inner_.key.clear();
  for (const auto& k : outer.key) {
    source_key_.emplace_back(k, size_t(source.ColumnIndex(k)));
    inner_.key.push_back(DestinationName(k));
  }
  return Status::Ok();
}

bool TableShape::Excludes(const std::string& source_column) const {
  if (drift_.absent.count(source_column)) return true;
  if (!settings_) return false;
  const auto& excluded = settings_->exclude_columns;
  return std::find(excluded.begin(), excluded.end(), source_column) != excluded.end();
}

std::string TableShape::DestinationName(const std::string& source_column) const {
  if (auto kept = drift_.names.find(source_column); kept != drift_.names.end()) return kept->second;
  if (!settings_) return source_column;
  auto it = settings_->column_names.find(source_column);
  return it == settings_->column_names.end() ? source_column : it->second;
}

Result<ColumnSchema> TableShape::DestinationColumn(const ColumnSchema& source_column) const {
  // An ignored modify_column: the destination column is still what the old definition made.
  ColumnSchema c = source_column;
  if (auto kept = drift_.definitions.find(source_column.name); kept != drift_.definitions.end()) {
    c = kept->second;
    c.name = source_column.name;
  }
  ColumnSchema out = c;
  if (settings_) {
    const std::string* type = nullptr;
    if (auto it = settings_->column_types.find(c.name); it != settings_->column_types.end()) type = &it->second;
    else if (auto by = settings_->type_overrides.find(c.data_type); by != settings_->type_overrides.end()) type = &by->second;
    if (type) {
      SYNC_ASSIGN_OR_RETURN(out, AddedColumnType(c.name, *type));
      out.nullable = c.nullable;
    }
  }
  out.name = DestinationName(c.name);
  return out;
}

Result<Value> TableShape::DestinationValue(const ColumnSchema& source_column, const Value& value) const {
  SYNC_ASSIGN_OR_RETURN(ColumnSchema at_destination, DestinationColumn(source_column));
  at_destination.name = source_column.name;  // a rename alone changes no value
  if (at_destination == source_column) return value;
  return ConvertTo(value, at_destination);
}

std::vector<std::string> TableShape::ConstantKeyValues() const {
  std::vector<std::string> out;
  const size_t first_added = inner_.source.columns.size() - added_.size();
  for (const auto& k : inner_.key) {
    int i = inner_.source.ColumnIndex(k);
    if (i < int(first_added)) continue;
    const AddedColumn& a = added_[size_t(i) - first_added];
    if (a.depends_on_change() || a.depends_on_row()) continue;
    auto v = a.Compute({}, RowContext{});
    if (v.ok()) out.push_back(k + "=" + PlainText(*v));
  }
  return out;
}

std::string TableShape::KeyOf(const std::vector<Value>& row) const {
  if (source_key_.empty()) return "a row of the keyless table";
  std::vector<std::string> names, values;
  for (const auto& [name, i] : source_key_) {
    names.push_back(name);
    values.push_back(i < row.size() ? row[i].ToString() : "?");
  }
  return "the row with key (" + Join(names, ", ") + ")=(" + Join(values, ", ") + ")";
}

Result<std::vector<Value>> TableShape::Image(const std::vector<Value>& row, const RowContext& context,
                                             bool deleted) const {
  std::vector<Value> out;
  out.reserve(kept_.size() + added_.size());
  for (size_t j = 0; j < kept_.size(); ++j) {
    const Value& value = row[kept_[j]];
    if (!retyped_[j]) {
      out.push_back(value);
      continue;
    }
    const ColumnSchema& to = inner_.source.columns[j];
    auto v = ConvertTo(value, to);
    if (!v.ok())
      return Status::InvalidArgument("column " + to.name + " of " + inner_.SourceName() + " cannot be written as " +
                                     to.column_type + " (tables[].column_types / type_overrides) for " + KeyOf(row) +
                                     ": " + v.status().message() + "; choose a type that holds it, then start the "
                                     "task again (the change is applied then)");
    out.push_back(std::move(v).value());
  }
  size_t n = added_.size() - (logical_delete_ ? 1 + (time_column_ ? 1 : 0) : 0);
  for (size_t i = 0; i < n; ++i) {
    auto v = added_[i].Compute(row, context);
    if (!v.ok())
      return Status::InvalidArgument("tables[].extra_fields '" + added_[i].column().name + "' of " +
                                     inner_.SourceName() + " cannot be computed for " + KeyOf(row) + ": " +
                                     v.status().message() + "; fix the field's value or type, then start the task "
                                     "again (the change is applied then)");
    out.push_back(std::move(v).value());
  }
  if (logical_delete_) {
    out.push_back(deleted ? deleted_ : live_);
    if (time_column_) out.push_back(deleted ? Value(Timestamp{context.commit_time, 0, 0}) : Value());
  }
  if (partition_ >= 0 && out[size_t(partition_)].is_null())
    return Status::InvalidArgument("the partition column " + inner_.source.columns[size_t(partition_)].name + " of " +
                                   inner_.SourceName() + " (tables[].partition) is NULL for " + KeyOf(row) +
                                   ", and a row needs a partition; give the column a value at the source or choose "
                                   "a partition value that is never NULL, then start the task again (the change is "
                                   "applied then)");
  return out;
}

Result<bool> TableShape::ShapeCopiedRow(const std::vector<Value>& row, const RowContext& context,
                                        std::vector<Value>* out) const {
  if (insert_.action == DmlAction::kIgnore) return false;
  if (insert_.condition && !insert_.condition->Matches(row)) return false;
  SYNC_ASSIGN_OR_RETURN(*out, Image(row, context, false));
  return true;
}

Status TableShape::Emit(const RowChange& change, RowChange::Op op, const Timestamp& now,
                        std::vector<RowChange>* out) const {
  RowContext context;
  context.commit_time = change.commit_time;
  context.sequence = change.sequence;
  context.execute_time = now;
  RowChange shaped;
  shaped.op = op;
  shaped.commit_time = change.commit_time;
  shaped.sequence = change.sequence;
  bool logical = op == RowChange::Op::kDelete && delete_.action == DmlAction::kLogicalDelete;
  if (logical) {
    // The row stays, marked: an update from the live row to the marked one.
    context.op = 'D';
    context.after_image = false;
    shaped.op = RowChange::Op::kUpdate;
    SYNC_ASSIGN_OR_RETURN(shaped.after, Image(change.before, context, true));
    context.after_image = true;
    SYNC_ASSIGN_OR_RETURN(shaped.before, Image(change.before, context, false));
    out->push_back(std::move(shaped));
    return Status::Ok();
  }
  context.op = op == RowChange::Op::kInsert ? 'I' : op == RowChange::Op::kUpdate ? 'U' : 'D';
  if (op != RowChange::Op::kInsert) {
    context.after_image = op != RowChange::Op::kDelete;
    SYNC_ASSIGN_OR_RETURN(shaped.before, Image(change.before, context, false));
  }
  if (op != RowChange::Op::kDelete) {
    context.after_image = true;
    // An update that starts to match is an insert of its new row.
    SYNC_ASSIGN_OR_RETURN(shaped.after, Image(change.after.empty() ? change.before : change.after, context, false));
  }
  out->push_back(std::move(shaped));
  return Status::Ok();
}

bool TableShape::MayBeAtDestination(const std::vector<Value>& row) const {
  // A row is written by an insert or an update whose filter it matched, as
  // it is now: a row that matches neither filter was kept out.
  bool by_insert = insert_.action != DmlAction::kIgnore && (!insert_.condition || insert_.condition->Matches(row));
  bool by_update = update_.action != DmlAction::kIgnore && (!update_.condition || update_.condition->Matches(row));
  return by_insert || by_update;
}

Status TableShape::ShapeChanges(const std::vector<RowChange>& in, const Timestamp& now, std::vector<RowChange>* out,
                                DmlCounts* counts) const {
  out->reserve(out->size() + in.size());
  for (const auto& change : in) {
    Outcome outcome = Outcome::kApply;
    RowChange::Op op = change.op;
    switch (change.op) {
      case RowChange::Op::kInsert:
        if (insert_.action == DmlAction::kIgnore) outcome = Outcome::kIgnore;
        else if (insert_.condition && !insert_.condition->Matches(change.after)) outcome = Outcome::kFilter;
        break;
      case RowChange::Op::kUpdate:
        if (update_.action == DmlAction::kIgnore) {
          outcome = Outcome::kIgnore;
        } else if (update_.condition && !update_.condition->Matches(change.after)) {
          // The row stops matching: it leaves the destination if it was there.
          if (update_.condition->Matches(change.before)) op = RowChange::Op::kDelete;
          else outcome = Outcome::kFilter;
        }
        break;
      case RowChange::Op::kDelete:
        if (delete_.action == DmlAction::kIgnore) outcome = Outcome::kIgnore;
        else if (delete_.condition && !delete_.condition->Matches(change.before)) outcome = Outcome::kFilter;
        else if (!MayBeAtDestination(change.before)) outcome = Outcome::kFilter;
        break;
    }
    if (outcome == Outcome::kIgnore) {
      ++counts->ignored;
    } else if (outcome == Outcome::kFilter) {
      ++counts->filtered;
    } else {
      ++counts->applied;
      SYNC_RETURN_IF_ERROR(Emit(change, op, now, out));
    }
  }
  return Status::Ok();
}

}  // namespace dbsync::sink
