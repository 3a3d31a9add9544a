#include "verify/table_verifier.hpp"

#include <chrono>
#include <set>
#include <thread>

#include "core/text_util.hpp"

namespace dbsync::verify {

namespace {

using Select = sink::ReadbackRequest::Select;

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool IsNumericKey(const ColumnSchema& c) {
  static const std::set<std::string> kTypes = {"tinyint", "smallint", "mediumint", "int",
                                               "integer", "bigint",   "decimal",   "numeric"};
  return kTypes.count(c.data_type) > 0;
}

}  // namespace

const char* DifferenceKindName(Difference::Kind kind) {
  switch (kind) {
    case Difference::Kind::kMissing: return "missing";
    case Difference::Kind::kExtra: return "extra";
    case Difference::Kind::kChanged: return "changed";
  }
  return "?";
}

nlohmann::json TableVerdict::ToJson() const {
  nlohmann::json j = {{"source", source}, {"destination", destination}};
  if (!skipped.empty()) {
    j["skipped"] = skipped;
    return j;
  }
  j["rows"] = rows;
  j["chunks"] = chunks;
  j["rechecked"] = rechecked;
  j["differences"] = differences;
  if (!note.empty()) j["note"] = note;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& d : shown) {
    nlohmann::json e = {{"kind", DifferenceKindName(d.kind)}, {"key", d.key}};
    if (!d.columns.empty()) e["columns"] = d.columns;
    list.push_back(e);
  }
  j["shown"] = list;
  return j;
}

TableVerifier::TableVerifier(const sink::TableBinding& binding, const sink::TableShape& shape, bool shared,
                             SourceRows& source, sink::Readback& destination, const VerifyOptions& options)
    : binding_(binding), shape_(shape), shared_(shared), source_(source), destination_(destination),
      options_(options) {
  verdict_.source = binding.SourceName();
  verdict_.destination = shape.inner().dest_schema + "." + shape.inner().dest_table;
}

Status TableVerifier::Prepare() {
  keyed_ = binding_.source;
  keyed_.primary_key = binding_.key;
  const TableSchema& inner = shape_.inner().source;
  for (const auto& col : binding_.source.columns) {
    if (shape_.Excludes(col.name)) continue;
    int at = inner.ColumnIndex(shape_.DestinationName(col.name));
    if (at < 0) continue;  // the destination lacks it (an ignored DDL dropped it there)
    columns_.push_back(inner.columns[size_t(at)]);
    inner_index_.push_back(size_t(at));
  }
  by_range_ = !shared_ && !binding_.key.empty();
  for (const auto& k : binding_.key) {
    int at = keyed_.ColumnIndex(k);
    std::string dest = shape_.DestinationName(k);
    size_t place = columns_.size();
    for (size_t i = 0; i < columns_.size(); ++i)
      if (columns_[i].name == dest) place = i;
    if (at < 0 || place == columns_.size())
      return Status::FailedPrecondition("key column " + k + " does not reach the destination");
    key_.push_back(place);
    source_key_.push_back(&keyed_.columns[size_t(at)]);
    by_range_ = by_range_ && IsNumericKey(*source_key_.back()) && IsNumericKey(columns_[place]);
  }
  if (binding_.settings) {
    auto del = binding_.settings->dml.find("delete");
    if (del != binding_.settings->dml.end() && del->second.action == config::DmlAction::kLogicalDelete) {
      hidden_column_ = del->second.column;
      hidden_value_ = del->second.value;
    }
  }
  return Status::Ok();
}

Result<TableVerdict> TableVerifier::Run() {
  started_ = NowSeconds();
  SYNC_RETURN_IF_ERROR(Prepare());
  if (binding_.key.empty()) {
    SYNC_RETURN_IF_ERROR(CompareWhole());
    return verdict_;
  }
  SYNC_RETURN_IF_ERROR(CompareByKey());
  if (!by_range_) {
    if (shared_)
      verdict_.note = "other source tables write into " + verdict_.destination +
                      ": rows found only at the destination are not looked for";
    else
      SYNC_RETURN_IF_ERROR(LookForExtraRows());
  }
  return verdict_;
}

std::string TableVerifier::JoinKey(const sink::CanonicalRow& key) const {
  std::string out;
  for (const auto& v : key) out.append(v ? *v : "\x01NULL").push_back('\x1f');
  return out;
}

std::string TableVerifier::ShowKey(const sink::CanonicalRow& key) const {
  std::vector<std::string> parts;
  for (size_t i = 0; i < key.size() && i < key_.size(); ++i)
    parts.push_back(columns_[key_[i]].name + "=" + key[i].value_or("NULL"));
  return Join(parts, ", ");
}

sink::ReadbackRequest TableVerifier::Request(Select select) const {
  sink::ReadbackRequest r;
  r.schema = shape_.inner().dest_schema;
  r.table = shape_.inner().dest_table;
  r.columns = columns_;
  r.key = key_;
  r.select = select;
  r.hidden_column = hidden_column_;
  r.hidden_value = hidden_value_;
  return r;
}

Status TableVerifier::AddExpected(source::Row&& row, ExpectedRows& expected, std::vector<std::string>* literals,
                                  sink::CanonicalRow* canonical_key) {
  std::vector<Value> shaped;
  bool kept = true;
  if (shape_.passthrough()) {
    shaped = std::move(row);
  } else {
    sink::RowContext context;
    context.commit_time = std::time(nullptr);
    context.execute_time = Timestamp{context.commit_time, 0, 0};
    SYNC_ASSIGN_OR_RETURN(kept, shape_.ShapeCopiedRow(row, context, &shaped));
    if (!kept) {
      // Its key still names it: the destination must not have it.
      shaped.assign(shape_.inner().source.columns.size(), Value());
      for (size_t k = 0; k < key_.size(); ++k) {
        int at = keyed_.ColumnIndex(binding_.key[k]);
        shaped[inner_index_[key_[k]]] = row[size_t(at)];
      }
    }
  }
  sink::CanonicalRow canonical(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    bool is_key = std::find(key_.begin(), key_.end(), i) != key_.end();
    if (!kept && !is_key) continue;
    SYNC_ASSIGN_OR_RETURN(canonical[i], destination_.Expected(columns_[i], shaped[inner_index_[i]]));
  }
  sink::CanonicalRow key;
  for (size_t k : key_) key.push_back(canonical[k]);
  if (literals) {
    literals->clear();
    for (size_t k = 0; k < key_.size(); ++k) {
      int at = keyed_.ColumnIndex(binding_.key[k]);
      SYNC_ASSIGN_OR_RETURN(auto literal, KeyLiteral(*source_key_[k], shape_.passthrough() ? shaped[size_t(at)]
                                                                                         : row[size_t(at)]));
      literals->push_back(std::move(literal));
    }
  }
  if (canonical_key) *canonical_key = key;
  if (kept) expected[JoinKey(key)] = std::move(canonical);
  else expected[JoinKey(key)] = std::nullopt;
  return Status::Ok();
}

Status TableVerifier::ReadDestination(sink::ReadbackRequest request, ActualRows& actual) {
  return destination_.Read(request, [&](sink::CanonicalRow&& row) {
    sink::CanonicalRow key;
    for (size_t k : key_) key.push_back(row[k]);
    actual[JoinKey(key)] = std::move(row);
  });
}

std::vector<Difference> TableVerifier::Compare(const ExpectedRows& expected, const ActualRows& actual,
                                               std::vector<Pending>* differing) const {
  std::vector<Difference> out;
  auto key_of = [&](const sink::CanonicalRow& row) {
    sink::CanonicalRow key;
    for (size_t k : key_) key.push_back(row[k]);
    return key;
  };
  for (const auto& [joined, want] : expected) {
    auto have = actual.find(joined);
    if (!want) {
      if (have == actual.end()) continue;
      sink::CanonicalRow key = key_of(have->second);
      out.push_back({Difference::Kind::kExtra, ShowKey(key), {}});
      differing->push_back({joined, key});
      continue;
    }
    sink::CanonicalRow key = key_of(*want);
    if (have == actual.end()) {
      out.push_back({Difference::Kind::kMissing, ShowKey(key), {}});
      differing->push_back({joined, key});
      continue;
    }
    Difference d{Difference::Kind::kChanged, ShowKey(key), {}};
    for (size_t i = 0; i < columns_.size(); ++i)
      if ((*want)[i] != have->second[i]) d.columns.push_back(columns_[i].name);
    if (!d.columns.empty()) {
      out.push_back(std::move(d));
      differing->push_back({joined, key});
    }
  }
  for (const auto& [joined, row] : actual) {
    if (expected.count(joined)) continue;
    sink::CanonicalRow key = key_of(row);
    out.push_back({Difference::Kind::kExtra, ShowKey(key), {}});
    differing->push_back({joined, key});
  }
  return out;
}

void TableVerifier::Record(std::vector<Difference> differences) {
  verdict_.differences += differences.size();
  for (auto& d : differences)
    if (verdict_.shown.size() < options_.max_shown) verdict_.shown.push_back(std::move(d));
}

void TableVerifier::Throttle() {
  if (options_.max_rows_per_second <= 0) return;
  double due = started_ + double(verdict_.rows) / options_.max_rows_per_second;
  double now = NowSeconds();
  if (due > now) std::this_thread::sleep_for(std::chrono::duration<double>(due - now));
}

Status TableVerifier::Recheck(std::vector<Pending> keys, std::vector<Difference> found) {
  for (int attempt = 1; attempt <= options_.rechecks && !keys.empty() && options_.task_running; ++attempt) {
    verdict_.rechecked += keys.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    std::vector<std::vector<std::string>> literals;
    ExpectedRows expected;
    for (const auto& p : keys) {
      std::vector<std::string> tuple;
      for (size_t k = 0; k < p.parts.size(); ++k)
        tuple.push_back(KeyLiteralFromText(*source_key_[k], p.parts[k].value_or("")));
      literals.push_back(std::move(tuple));
      expected[p.key] = std::nullopt;  // absent at the source unless read below
    }
    SYNC_ASSIGN_OR_RETURN(BinlogPosition position, source_.Begin());
    Status read = source_.ReadKeys(keyed_, literals, [&](source::Row&& row) { return AddExpected(std::move(row), expected); });
    Status ended = source_.End();
    SYNC_RETURN_IF_ERROR(read);
    SYNC_RETURN_IF_ERROR(ended);
    options_.settle(position);
    sink::ReadbackRequest request = Request(Select::kKeys);
    for (const auto& p : keys) request.keys.push_back(p.parts);
    ActualRows actual;
    SYNC_RETURN_IF_ERROR(ReadDestination(std::move(request), actual));
    std::vector<Pending> still;
    found = Compare(expected, actual, &still);
    keys = std::move(still);
  }
  Record(std::move(found));
  return Status::Ok();
}

Status TableVerifier::CompareByKey() {
  std::vector<std::string> after;  // the last key read, as source literals
  sink::CanonicalRow after_canonical;
  while (true) {
    ExpectedRows expected;
    std::vector<std::string> last_literals;
    sink::CanonicalRow last_key;
    std::vector<sink::CanonicalRow> chunk_keys;
    SYNC_ASSIGN_OR_RETURN(BinlogPosition position, source_.Begin());
    auto read = source_.ReadAfter(keyed_, after, options_.chunk_rows, [&](source::Row&& row) {
      SYNC_RETURN_IF_ERROR(AddExpected(std::move(row), expected, &last_literals, &last_key));
      if (!by_range_) chunk_keys.push_back(last_key);
      return Status::Ok();
    });
    Status ended = source_.End();
    SYNC_RETURN_IF_ERROR(read.status());
    SYNC_RETURN_IF_ERROR(ended);
    const bool last_chunk = *read < options_.chunk_rows;
    verdict_.rows += *read;
    ++verdict_.chunks;
    options_.settle(position);
    sink::ReadbackRequest request = Request(by_range_ ? Select::kRange : Select::kKeys);
    if (by_range_) {
      for (const auto& v : after_canonical) request.lower.push_back(v.value_or("NULL"));
      if (!last_chunk)
        for (const auto& v : last_key) request.upper.push_back(v.value_or("NULL"));
    } else {
      request.keys = std::move(chunk_keys);
    }
    ActualRows actual;
    SYNC_RETURN_IF_ERROR(ReadDestination(std::move(request), actual));
    std::vector<Pending> differing;
    std::vector<Difference> found = Compare(expected, actual, &differing);
    SYNC_RETURN_IF_ERROR(Recheck(std::move(differing), std::move(found)));
    if (last_chunk) return Status::Ok();
    after = std::move(last_literals);
    after_canonical = std::move(last_key);
    Throttle();
  }
}

Status TableVerifier::LookForExtraRows() {
  sink::CanonicalRow after;
  while (true) {
    sink::ReadbackRequest request = Request(Select::kKeysAfter);
    request.after = after;
    request.limit = options_.chunk_rows;
    std::vector<sink::CanonicalRow> keys;
    SYNC_RETURN_IF_ERROR(destination_.Read(request, [&](sink::CanonicalRow&& key) { keys.push_back(std::move(key)); }));
    if (keys.empty()) return Status::Ok();
    std::vector<std::vector<std::string>> literals;
    for (const auto& key : keys) {
      std::vector<std::string> tuple;
      for (size_t k = 0; k < key.size(); ++k) tuple.push_back(KeyLiteralFromText(*source_key_[k], key[k].value_or("")));
      literals.push_back(std::move(tuple));
    }
    ExpectedRows present;
    SYNC_ASSIGN_OR_RETURN(BinlogPosition position, source_.Begin());
    (void)position;
    Status read = source_.ReadKeys(keyed_, literals, [&](source::Row&& row) { return AddExpected(std::move(row), present); });
    Status ended = source_.End();
    SYNC_RETURN_IF_ERROR(read);
    SYNC_RETURN_IF_ERROR(ended);
    std::vector<Pending> extra;
    std::vector<Difference> found;
    for (const auto& key : keys) {
      std::string joined = JoinKey(key);
      if (present.count(joined)) continue;
      extra.push_back({joined, key});
      found.push_back({Difference::Kind::kExtra, ShowKey(key), {}});
    }
    SYNC_RETURN_IF_ERROR(Recheck(std::move(extra), std::move(found)));
    if (keys.size() < options_.chunk_rows) return Status::Ok();
    after = keys.back();
  }
}

Status TableVerifier::CompareWhole() {
  auto hash = [](const sink::CanonicalRow& row) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a over the row, NULL unlike any text
    for (const auto& v : row) {
      for (unsigned char c : v ? *v : std::string("\x01NULL")) h = (h ^ c) * 1099511628211ULL;
      h = (h ^ 0x1f) * 1099511628211ULL;
    }
    return h;
  };
  for (int attempt = 0;; ++attempt) {
    uint64_t source_sum = 0, source_rows = 0, dest_sum = 0, dest_rows = 0;
    SYNC_ASSIGN_OR_RETURN(BinlogPosition position, source_.Begin());
    Status read = source_.ReadAll(keyed_, [&](source::Row&& row) {
      ExpectedRows one;
      SYNC_RETURN_IF_ERROR(AddExpected(std::move(row), one));
      if (one.begin()->second) {
        source_sum += hash(*one.begin()->second);
        ++source_rows;
      }
      return Status::Ok();
    });
    Status ended = source_.End();
    SYNC_RETURN_IF_ERROR(read);
    SYNC_RETURN_IF_ERROR(ended);
    options_.settle(position);
    SYNC_RETURN_IF_ERROR(destination_.Read(Request(Select::kAll), [&](sink::CanonicalRow&& row) {
      dest_sum += hash(row);
      ++dest_rows;
    }));
    verdict_.rows = source_rows;
    verdict_.destination_rows = dest_rows;
    verdict_.chunks = 1;
    if (source_sum == dest_sum && source_rows == dest_rows) return Status::Ok();
    if (!options_.task_running || attempt >= options_.rechecks) break;
    ++verdict_.rechecked;
  }
  verdict_.note = "a table without a key is compared whole: " + std::to_string(verdict_.rows) +
                  " rows at the source, " + std::to_string(verdict_.destination_rows) +
                  " at the destination, and their checksums differ";
  Record({{Difference::Kind::kChanged, "(no key)", {}}});
  return Status::Ok();
}

}  // namespace dbsync::verify
