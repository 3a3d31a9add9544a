#include "source/mysql/binlog/table_map.hpp"

#include <functional>
#include <string>

#include "core/byte_reader.hpp"

namespace dbsync::binlog {
namespace {

// Optional metadata field types (MySQL 8 Table_map_event::Optional_metadata_field_type).
enum class OptionalField : uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
  kColumnVisibility = 12,
  kVectorDimensionality = 13,
};

Status Corrupt(const ByteReader& r, const std::string& what) {
  return Status::Corruption("TABLE_MAP " + what + " (body offset " + std::to_string(r.position()) + ")");
}

// Reads the metadata block entry of one column; its width depends on the type.
uint16_t ReadColumnMeta(ByteReader& r, ColumnType type) {
  switch (type) {
    case ColumnType::kFloat:
    case ColumnType::kDouble:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob:
    case ColumnType::kGeometry:
    case ColumnType::kJson:
    case ColumnType::kTimestamp2:
    case ColumnType::kDateTime2:
    case ColumnType::kTime2:
    case ColumnType::kVector:
      return r.ReadU8();
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
    case ColumnType::kBit:
    case ColumnType::kDecimal:
      return r.ReadU16();
    case ColumnType::kNewDecimal:
    case ColumnType::kString:
    case ColumnType::kEnum:
    case ColumnType::kSet:
      // Written high byte first (precision/scale, real type/length).
      return static_cast<uint16_t>(r.ReadUintBigEndian(2));
    default:
      return 0;
  }
}

ColumnType RealType(ColumnType type, uint16_t meta) {
  if (type != ColumnType::kString || meta < 256) return type;
  uint8_t byte0 = meta >> 8;
  // Long CHAR columns borrow two bits of the real type for their length.
  if ((byte0 & 0x30) != 0x30) return static_cast<ColumnType>(byte0 | 0x30);
  return static_cast<ColumnType>(byte0);
}

// Calls `fn(column)` for every column that passes `filter`, in order.
void ForEach(TableMap& t, bool (ColumnDef::*filter)() const, const std::function<void(ColumnDef&)>& fn) {
  for (auto& c : t.columns)
    if ((c.*filter)()) fn(c);
}

std::string ReadLengthPrefixed(ByteReader& r) {
  uint64_t n = r.ReadLengthEncoded();
  return std::string(r.ReadString(n));
}

std::vector<std::string> ReadStringList(ByteReader& r) {
  std::vector<std::string> out;
  uint64_t n = r.ReadLengthEncoded();
  for (uint64_t i = 0; i < n && r.ok(); ++i) out.push_back(ReadLengthPrefixed(r));
  return out;
}

// Charset fields: a default collation plus (index, collation) exceptions, or
// one collation per column, over the columns that `filter` selects.
void ReadDefaultCharset(ByteReader& r, TableMap& t, bool (ColumnDef::*filter)() const) {
  uint16_t def = static_cast<uint16_t>(r.ReadLengthEncoded());
  std::vector<ColumnDef*> cols;
  ForEach(t, filter, [&](ColumnDef& c) { cols.push_back(&c); });
  for (auto* c : cols) c->collation = def;
  while (r.ok() && !r.AtEnd()) {
    uint64_t index = r.ReadLengthEncoded();
    uint16_t collation = static_cast<uint16_t>(r.ReadLengthEncoded());
    if (index < cols.size()) cols[index]->collation = collation;
  }
}

bool IsGeometry(const ColumnDef& c) { return c.real_type == ColumnType::kGeometry; }
bool IsVector(const ColumnDef& c) { return c.real_type == ColumnType::kVector; }

Status ReadOptionalField(OptionalField type, ByteReader& r, TableMap& t) {
  switch (type) {
    case OptionalField::kSignedness: {
      // One bit per numeric column, most significant bit first.
      size_t bit = 0;
      std::span<const uint8_t> bits = r.ReadRest();
      ForEach(t, &ColumnDef::IsNumeric, [&](ColumnDef& c) {
        if (bit / 8 < bits.size()) c.is_unsigned = (bits[bit / 8] >> (7 - bit % 8)) & 1;
        ++bit;
      });
      break;
    }
    case OptionalField::kDefaultCharset:
      ReadDefaultCharset(r, t, &ColumnDef::IsCharacter);
      break;
    case OptionalField::kEnumAndSetDefaultCharset:
      ReadDefaultCharset(r, t, &ColumnDef::IsEnumOrSet);
      break;
    case OptionalField::kColumnCharset:
      ForEach(t, &ColumnDef::IsCharacter, [&](ColumnDef& c) { c.collation = uint16_t(r.ReadLengthEncoded()); });
      break;
    case OptionalField::kEnumAndSetColumnCharset:
      ForEach(t, &ColumnDef::IsEnumOrSet, [&](ColumnDef& c) { c.collation = uint16_t(r.ReadLengthEncoded()); });
      break;
    case OptionalField::kColumnName:
      for (auto& c : t.columns) c.name = ReadLengthPrefixed(r);
      break;
    case OptionalField::kSetStrValue:
      for (auto& c : t.columns)
        if (c.real_type == ColumnType::kSet) c.set_values = ReadStringList(r);
      break;
    case OptionalField::kEnumStrValue:
      for (auto& c : t.columns)
        if (c.real_type == ColumnType::kEnum) c.enum_values = ReadStringList(r);
      break;
    case OptionalField::kGeometryType:
      for (auto& c : t.columns)
        if (IsGeometry(c)) c.geometry_type = uint32_t(r.ReadLengthEncoded());
      break;
    case OptionalField::kSimplePrimaryKey:
      while (r.ok() && !r.AtEnd()) t.primary_key.push_back(uint32_t(r.ReadLengthEncoded()));
      break;
    case OptionalField::kPrimaryKeyWithPrefix:
      while (r.ok() && !r.AtEnd()) {
        t.primary_key.push_back(uint32_t(r.ReadLengthEncoded()));
        r.ReadLengthEncoded();  // prefix length: irrelevant for row identity here
      }
      break;
    case OptionalField::kColumnVisibility: {
      std::span<const uint8_t> bits = r.ReadRest();
      for (size_t i = 0; i < t.columns.size(); ++i)
        if (i / 8 < bits.size()) t.columns[i].visible = (bits[i / 8] >> (7 - i % 8)) & 1;
      break;
    }
    case OptionalField::kVectorDimensionality:
      for (auto& c : t.columns)
        if (IsVector(c)) c.vector_dimensions = uint32_t(r.ReadLengthEncoded());
      break;
    default:
      break;  // a field from a newer server: its length lets us skip it
  }
  if (!r.ok()) return Corrupt(r, "optional metadata field " + std::to_string(int(type)) + " is truncated");
  for (uint32_t pk : t.primary_key)
    if (pk >= t.columns.size()) return Corrupt(r, "primary key names column " + std::to_string(pk));
  return Status::Ok();
}

}  // namespace

bool ColumnDef::IsNumeric() const {
  switch (real_type) {
    case ColumnType::kTiny:
    case ColumnType::kShort:
    case ColumnType::kInt24:
    case ColumnType::kLong:
    case ColumnType::kLongLong:
    case ColumnType::kNewDecimal:
    case ColumnType::kFloat:
    case ColumnType::kDouble:
      return true;
    default:
      return false;
  }
}

bool ColumnDef::IsCharacter() const {
  switch (real_type) {
    case ColumnType::kString:
    case ColumnType::kVarString:
    case ColumnType::kVarchar:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kBlob:
    case ColumnType::kVector:  // MySQL 9 counts VECTOR (binary charset) among them
      return true;
    default:
      return false;
  }
}

bool ColumnDef::IsEnumOrSet() const {
  return real_type == ColumnType::kEnum || real_type == ColumnType::kSet;
}

size_t TableMap::JsonColumnCount() const {
  size_t n = 0;
  for (const auto& c : columns) n += c.real_type == ColumnType::kJson;
  return n;
}

Result<TableMap> DecodeTableMap(std::span<const uint8_t> body, size_t table_id_size) {
  ByteReader r(body);
  TableMap t;
  t.table_id = r.ReadUint(table_id_size);
  t.flags = r.ReadU16();
  uint8_t db_len = r.ReadU8();
  t.database = std::string(r.ReadString(db_len));
  r.Skip(1);
  uint8_t table_len = r.ReadU8();
  t.table = std::string(r.ReadString(table_len));
  r.Skip(1);
  uint64_t ncols = r.ReadLengthEncoded();
  if (!r.ok() || ncols > r.remaining()) return Corrupt(r, "header is truncated");
  auto types = r.ReadBytes(ncols);
  t.columns.resize(ncols);
  for (size_t i = 0; i < ncols; ++i) t.columns[i].type = static_cast<ColumnType>(types[i]);

  uint64_t meta_len = r.ReadLengthEncoded();
  if (!r.ok() || meta_len > r.remaining()) return Corrupt(r, "column metadata is truncated");
  ByteReader meta(r.ReadBytes(meta_len));
  for (auto& c : t.columns) {
    c.meta = ReadColumnMeta(meta, c.type);
    c.real_type = RealType(c.type, c.meta);
  }
  if (!meta.ok()) return Corrupt(r, "column metadata is shorter than its columns need");

  auto nulls = r.ReadBytes((ncols + 7) / 8);
  if (!r.ok()) return Corrupt(r, "null bitmap is truncated");
  for (size_t i = 0; i < ncols; ++i) t.columns[i].nullable = (nulls[i / 8] >> (i % 8)) & 1;

  while (r.ok() && !r.AtEnd()) {
    t.has_optional_metadata = true;
    auto type = static_cast<OptionalField>(r.ReadU8());
    uint64_t len = r.ReadLengthEncoded();
    if (!r.ok() || len > r.remaining()) return Corrupt(r, "optional metadata is truncated");
    ByteReader field(r.ReadBytes(len));
    SYNC_RETURN_IF_ERROR(ReadOptionalField(type, field, t));
  }
  return t;
}

const char* ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kDecimal: return "DECIMAL";
    case ColumnType::kTiny: return "TINYINT";
    case ColumnType::kShort: return "SMALLINT";
    case ColumnType::kLong: return "INT";
    case ColumnType::kFloat: return "FLOAT";
    case ColumnType::kDouble: return "DOUBLE";
    case ColumnType::kNull: return "NULL";
    case ColumnType::kTimestamp: return "TIMESTAMP";
    case ColumnType::kLongLong: return "BIGINT";
    case ColumnType::kInt24: return "MEDIUMINT";
    case ColumnType::kDate: return "DATE";
    case ColumnType::kTime: return "TIME";
    case ColumnType::kDateTime: return "DATETIME";
    case ColumnType::kYear: return "YEAR";
    case ColumnType::kNewDate: return "NEWDATE";
    case ColumnType::kVarchar: return "VARCHAR";
    case ColumnType::kBit: return "BIT";
    case ColumnType::kTimestamp2: return "TIMESTAMP2";
    case ColumnType::kDateTime2: return "DATETIME2";
    case ColumnType::kTime2: return "TIME2";
    case ColumnType::kTypedArray: return "TYPED_ARRAY";
    case ColumnType::kVector: return "VECTOR";
    case ColumnType::kJson: return "JSON";
    case ColumnType::kNewDecimal: return "NEWDECIMAL";
    case ColumnType::kEnum: return "ENUM";
    case ColumnType::kSet: return "SET";
    case ColumnType::kTinyBlob: return "TINYBLOB";
    case ColumnType::kMediumBlob: return "MEDIUMBLOB";
    case ColumnType::kLongBlob: return "LONGBLOB";
    case ColumnType::kBlob: return "BLOB";
    case ColumnType::kVarString: return "VAR_STRING";
    case ColumnType::kString: return "STRING";
    case ColumnType::kGeometry: return "GEOMETRY";
  }
  return "UNKNOWN";
}

}  // namespace dbsync::binlog
