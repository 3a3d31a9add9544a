#include "sink/maxcompute/mc_readback.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>

#include "core/text_util.hpp"
#include "core/value_text.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_signature.hpp"
#include "sink/maxcompute/mc_sink.hpp"
#include "sink/maxcompute/mc_state.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/readback_sql.hpp"
#include "sink/readback_text.hpp"

namespace dbsync::maxcompute {
namespace {

using Select = sink::ReadbackRequest::Select;

// Rows per page (a SELECT shows at most 10,000) and keys per lookup (an IN
// list holds at most 1024; an OR of several key columns is longer).
constexpr size_t kRowsPerSelect = 1000;
constexpr size_t kKeysPerLookup = 1000;
constexpr size_t kCompositeKeysPerLookup = 200;

// A UTC wall clock of `seconds` since the epoch, with `nanos` (9 digits, trailing zeros trimmed).
std::string UtcText(int64_t seconds, int64_t nanos) {
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  int64_t rest = seconds - days * 86400;
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  std::string out;
  AppendDate(int32_t(year), month, day, &out);
  out += fmt::format(" {:02}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60);
  if (nanos) out += fmt::format(".{:09}", nanos);
  return sink::TrimFraction(std::move(out));
}

// Reads a varint at `*at` of `bytes`.
uint64_t Varint(std::string_view bytes, size_t* at) {
  uint64_t v = 0;
  for (int shift = 0; *at < bytes.size() && shift < 64; shift += 7) {
    unsigned char c = static_cast<unsigned char>(bytes[(*at)++]);
    v |= uint64_t(c & 0x7f) << shift;
    if (!(c & 0x80)) break;
  }
  return v;
}
int64_t UnZigZag(uint64_t n) { return int64_t(n >> 1) ^ -int64_t(n & 1); }

// The canonical text of field 1 of one record the RowEncoder wrote for a
// column of `kind` (specs/maxcompute.md 3.6); nullopt when the record has
// no field 1 (NULL).
std::optional<std::string> FirstField(std::string_view record, McKind kind) {
  size_t at = 0;
  const uint64_t tag = Varint(record, &at);
  if ((tag >> 3) != 1) return std::nullopt;
  auto fixed = [&](size_t n) {
    uint64_t bits = 0;
    for (size_t i = 0; i < n && at + i < record.size(); ++i) bits |= uint64_t(uint8_t(record[at + i])) << (8 * i);
    return bits;
  };
  switch (kind) {
    case McKind::kBoolean: return Varint(record, &at) ? "true" : "false";
    case McKind::kTinyint:
    case McKind::kSmallint:
    case McKind::kInt:
    case McKind::kBigint: return std::to_string(UnZigZag(Varint(record, &at)));
    case McKind::kFloat: return fmt::format("{}", std::bit_cast<float>(uint32_t(fixed(4))));
    case McKind::kDouble: return fmt::format("{}", std::bit_cast<double>(fixed(8)));
    case McKind::kDate: {
      int64_t year;
      unsigned month, day;
      CivilFromDays(UnZigZag(Varint(record, &at)), &year, &month, &day);
      std::string out;
      AppendDate(int32_t(year), month, day, &out);
      return out;
    }
    case McKind::kDateTime: {
      const int64_t ms = UnZigZag(Varint(record, &at));
      const int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
      return UtcText(seconds, (ms - seconds * 1000) * 1000000);
    }
    case McKind::kTimestamp: {
      const int64_t seconds = UnZigZag(Varint(record, &at));
      const int64_t nanos = UnZigZag(Varint(record, &at));  // zigzag32: the same decoding
      return UtcText(seconds, nanos);
    }
    default: {
      const size_t size = size_t(Varint(record, &at));
      std::string_view bytes = record.substr(std::min(at, record.size()), size);
      if (kind == McKind::kBinary) return Base64Encode(bytes);
      if (kind == McKind::kDecimal) return sink::TrimDecimal(std::string(bytes));
      return std::string(bytes);
    }
  }
}

// MaxCompute's text of a value of `kind` (a SELECT in UTC; BINARY as base64), canonical.
std::string CanonicalText(McKind kind, std::string text) {
  switch (kind) {
    case McKind::kFloat: return sink::ShortestFloat(text);
    case McKind::kDouble: return sink::ShortestDouble(text);
    case McKind::kDecimal: return sink::TrimDecimal(std::move(text));
    case McKind::kDateTime:
    case McKind::kTimestamp: return sink::TrimFraction(std::move(text));
    default: return text;
  }
}

struct ReadColumn {
  McColumn mc;
  std::string select;  // how the SELECT list names it
};

class McReadback : public sink::Readback {
 public:
  McReadback(ClientOptions options, TimeZone zone) : client_(std::move(options)), encoder_(std::move(zone)) {}

  Result<std::optional<std::string>> Expected(const ColumnSchema& column, const Value& v) override {
    if (v.is_null()) return std::optional<std::string>();
    // A key column maps alike; it is only NOT NULL, and refuses TIMESTAMP.
    SYNC_ASSIGN_OR_RETURN(McColumn mc, MapColumn(column, false));
    mc.source_index = 0;
    record_.clear();
    RecordStreamWriter block(&record_);
    row_.assign(1, v);
    SYNC_RETURN_IF_ERROR(encoder_.AppendRow(row_, {mc}, &block).WithContext("column " + column.name));
    return FirstField(record_, mc.kind);
  }

  Status Read(const sink::ReadbackRequest& r, const std::function<void(sink::CanonicalRow&&)>& each) override {
    std::vector<ReadColumn> columns;
    for (size_t i = 0; i < r.columns.size(); ++i) {
      bool is_key = std::find(r.key.begin(), r.key.end(), i) != r.key.end();
      SYNC_ASSIGN_OR_RETURN(McColumn mc, MapColumn(r.columns[i], is_key));
      std::string select = QuoteName(mc.name);
      if (mc.kind == McKind::kBinary) select = "base64(" + select + ") AS " + QuoteName("_sync_base64_" + std::to_string(i));
      columns.push_back({std::move(mc), std::move(select)});
    }
    std::vector<const ReadColumn*> key, selected;
    for (size_t k : r.key) key.push_back(&columns[k]);
    const bool keys_only = r.select == Select::kKeysAfter;
    if (keys_only) selected = key;
    else
      for (const auto& c : columns) selected.push_back(&c);
    std::vector<std::string> names, key_exprs;
    for (const ReadColumn* c : selected) names.push_back(c->select);
    for (const ReadColumn* c : key) key_exprs.push_back(QuoteName(c->mc.name));
    auto literal = [&key](size_t i, const std::optional<std::string>& v) { return Literal(*key[i], v); };
    const std::string from = "SELECT " + Join(names, ", ") + " FROM " + QuoteName(r.table);
    std::vector<std::string> base;
    if (!r.hidden_column.empty())
      base.push_back("(" + QuoteName(r.hidden_column) + " IS NULL OR " + QuoteName(r.hidden_column) + " <> " +
                     QuoteLiteral(r.hidden_value) + ")");
    // One statement; hands its rows on and returns how many, and the last one's key.
    auto run = [&](std::vector<std::string> conditions, const std::string& tail,
                   sink::CanonicalRow* last_key) -> Result<size_t> {
      conditions.insert(conditions.end(), base.begin(), base.end());
      std::string sql = from + (conditions.empty() ? "" : " WHERE " + Join(conditions, " AND ")) + tail;
      SYNC_ASSIGN_OR_RETURN(std::string text, client_.RunSql(sql, {{"odps.sql.timezone", "UTC"}}));
      auto rows = ParseCsvResult(text);
      for (auto& row : rows) {
        for (size_t i = 0; i < row.size() && i < selected.size(); ++i)
          if (row[i]) row[i] = CanonicalText(selected[i]->mc.kind, std::move(*row[i]));
        if (last_key) {
          last_key->clear();
          for (size_t k = 0; k < key.size(); ++k)
            last_key->push_back(keys_only ? row[k] : row[r.key[k]]);
        }
        each(std::move(row));
      }
      return rows.size();
    };
    if (r.select == Select::kKeys) {
      const size_t per = key.size() == 1 ? kKeysPerLookup : kCompositeKeysPerLookup;
      for (size_t at = 0; at < r.keys.size(); at += per) {
        std::vector<sink::CanonicalRow> some(r.keys.begin() + long(at),
                                             r.keys.begin() + long(std::min(r.keys.size(), at + per)));
        SYNC_RETURN_IF_ERROR(run({sink::KeyAmong(key_exprs, some, literal)}, "", nullptr).status());
      }
      return Status::Ok();
    }
    if (key.empty()) {
      // Keyless tables are change logs (write_mode log), which verify skips.
      return Status::FailedPrecondition("MaxCompute table " + r.table + " has no key to page its rows by");
    }
    // A key range, keys after a key, a whole table: page by key.
    std::vector<std::string> after, upper;
    if (r.select == Select::kRange) {
      after = r.lower;
      upper = r.upper;
    } else if (keys_only && !r.after.empty()) {
      after = sink::KeyLiterals(r.after, literal);
    }
    size_t left = keys_only ? r.limit : SIZE_MAX;
    const std::string ordered = " ORDER BY " + Join(key_exprs, ", ") + " LIMIT ";
    while (left > 0) {
      const size_t page = std::min(left, kRowsPerSelect);
      std::vector<std::string> conditions;
      if (!after.empty()) conditions.push_back(sink::KeyAfter(key_exprs, after));
      if (!upper.empty()) conditions.push_back("NOT " + sink::KeyAfter(key_exprs, upper));
      sink::CanonicalRow last;
      SYNC_ASSIGN_OR_RETURN(size_t n, run(std::move(conditions), ordered + std::to_string(page), &last));
      if (n < page) break;
      left -= keys_only ? n : 0;
      after = sink::KeyLiterals(last, literal);
    }
    return Status::Ok();
  }

 private:
  // A canonical value of key column `c` as a MaxCompute SQL literal.
  static std::string Literal(const ReadColumn& c, const std::optional<std::string>& v) {
    if (!v) return "NULL";
    switch (c.mc.kind) {
      case McKind::kBoolean:
      case McKind::kTinyint:
      case McKind::kSmallint:
      case McKind::kInt:
      case McKind::kBigint: return *v;
      case McKind::kDecimal: return "CAST(" + QuoteLiteral(*v) + " AS " + c.mc.type + ")";
      case McKind::kBinary: return "unbase64(" + QuoteLiteral(*v) + ")";
      case McKind::kDate: return "DATE " + QuoteLiteral(*v);
      case McKind::kDateTime: return "DATETIME " + QuoteLiteral(*v);  // read in UTC, the session's zone
      default: return QuoteLiteral(*v);
    }
  }
  Client client_;
  RowEncoder encoder_;
  std::string record_;
  std::vector<Value> row_;
};

}  // namespace

Result<std::unique_ptr<sink::Readback>> OpenMcReadback(const config::TaskSpec& spec) {
  SYNC_ASSIGN_OR_RETURN(ProjectAccess project, AccessProject(spec.destination));
  return std::unique_ptr<sink::Readback>(new McReadback(std::move(project.options), std::move(project.zone)));
}

}  // namespace dbsync::maxcompute
