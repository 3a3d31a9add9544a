#include "source/mysql/ddl_column_types.hpp"

#include <cstdio>
#include <cstdlib>

namespace dbsync::mysql {
namespace {

struct IntType {
  const char* name;
  int signed_width, unsigned_width;  // default display widths
  int signed_digits, unsigned_digits;  // information_schema NUMERIC_PRECISION
};
constexpr IntType kIntTypes[] = {{"tinyint", 4, 3, 3, 3},
                                 {"smallint", 6, 5, 5, 5},
                                 {"mediumint", 9, 8, 7, 8},
                                 {"int", 11, 10, 10, 10},
                                 {"bigint", 20, 20, 19, 20}};

constexpr const char* kTextTypes[] = {"tinytext", "text", "mediumtext", "longtext"};
constexpr const char* kBlobTypes[] = {"tinyblob", "blob", "mediumblob", "longblob"};
constexpr long long kLobBytes[] = {255, 65535, 16777215, 4294967295LL};

int LobIndex(const std::string& type) {
  for (int i = 0; i < 4; ++i)
    if (type == kTextTypes[i] || type == kBlobTypes[i]) return i;
  return -1;
}
// The smallest TEXT/BLOB type that holds `bytes`.
int LobIndexForBytes(long long bytes) {
  for (int i = 0; i < 3; ++i)
    if (bytes <= kLobBytes[i]) return i;
  return 3;
}

std::string QuoteMember(const std::string& m) {
  std::string out = "'";
  for (char c : m) {
    if (c == '\'') out += "''";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out + "'";
}

std::string Sign(bool is_unsigned, bool zerofill) {
  return std::string(is_unsigned ? " unsigned" : "") + (zerofill ? " zerofill" : "");
}

void SetCharset(ColumnSchema& c, const CharsetPair& p, const CharsetCatalog& catalog) {
  c.charset = p.charset;
  c.collation_name = p.collation;
  c.collation = catalog.CollationId(p.collation);
}

}  // namespace

DdlDialect DdlDialect::ForServerVersion(std::string_view version) {
  DdlDialect d;
  d.mariadb = version.find("MariaDB") != std::string_view::npos;
  if (!d.mariadb) {
    int major = 0, minor = 0, patch = 0;
    std::sscanf(std::string(version).c_str(), "%d.%d.%d", &major, &minor, &patch);
    d.integer_display_width = major * 10000 + minor * 100 + patch < 80019;
  }
  return d;
}

Result<CharsetPair> ResolveCharset(const std::string& charset, const std::string& collation,
                                   const CharsetPair& fallback, const CharsetCatalog& catalog) {
  // `CHARACTER SET DEFAULT` / `COLLATE DEFAULT`: the level above's (the database's for a table).
  if (charset == "default" || collation == "default") {
    std::string cs = charset == "default" ? "" : charset, co = collation == "default" ? "" : collation;
    if (charset == "default" && co.empty()) return fallback;
    if (collation == "default" && cs.empty()) return fallback;
    if (collation == "default") co = catalog.DefaultCollation(catalog.Charset(cs));
    return ResolveCharset(cs, co, fallback, catalog);
  }
  if (charset.empty() && collation.empty()) return fallback;
  CharsetPair p;
  if (!charset.empty()) {
    p.charset = catalog.Charset(charset);
    if (p.charset.empty()) return Status::InvalidArgument("unknown character set '" + charset + "'");
  }
  if (!collation.empty()) {
    p.collation = catalog.Collation(collation);
    if (p.collation.empty()) return Status::InvalidArgument("unknown collation '" + collation + "'");
    std::string owner = catalog.CharsetOf(p.collation);
    if (!p.charset.empty() && owner != p.charset)
      return Status::InvalidArgument("collation '" + collation + "' is not valid for character set '" + charset + "'");
    p.charset = owner;
  } else {
    p.collation = catalog.DefaultCollation(p.charset);
  }
  return p;
}

bool IsCharacterColumn(const ColumnSchema& c) { return !c.charset.empty(); }

Result<ColumnSchema> ResolveColumn(const DdlColumnDef& def, const CharsetPair& table_default,
                                   const CharsetCatalog& catalog, const DdlDialect& dialect) {
  ColumnSchema c;
  c.name = def.name;
  c.nullable = def.null != DdlNullability::kNotNull;
  const std::string& t = def.type;
  auto length = [&](long long dflt) { return def.length.value_or(dflt); };
  bool is_unsigned = def.is_unsigned || def.zerofill;
  for (const auto& it : kIntTypes) {
    if (t != it.name) continue;
    c.data_type = t;
    c.is_unsigned = is_unsigned;
    c.precision = is_unsigned ? it.unsigned_digits : it.signed_digits;
    bool show_width = dialect.integer_display_width || def.zerofill || (t == "tinyint" && def.length == 1);
    long long width = length(is_unsigned ? it.unsigned_width : it.signed_width);
    c.column_type = t + (show_width ? "(" + std::to_string(width) + ")" : "") + Sign(is_unsigned, def.zerofill);
    return c;
  }
  if (t == "decimal" || t == "float" || t == "double") {
    std::string type = t;
    if (t == "float" && def.length && !def.decimals && *def.length > 24) type = "double";  // FLOAT(p)
    c.data_type = type;
    c.is_unsigned = is_unsigned;
    if (type == "decimal") {
      c.precision = int(length(10));
      c.scale = def.decimals.value_or(0);
      c.column_type = "decimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
    } else if (def.decimals) {
      c.precision = int(*def.length);
      c.scale = *def.decimals;
      c.column_type = type + "(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
    } else {
      c.precision = type == "float" ? 12 : 22;
      c.column_type = type;
    }
    c.column_type += Sign(is_unsigned, def.zerofill);
    return c;
  }
  if (t == "bit") {
    c.data_type = t;
    c.precision = int(length(1));
    c.column_type = "bit(" + std::to_string(c.precision) + ")";
    return c;
  }
  if (t == "year") {
    c.data_type = t;
    bool show = dialect.integer_display_width || def.length == 2;
    c.column_type = show ? "year(" + std::to_string(length(4)) + ")" : "year";
    return c;
  }
  if (t == "time" || t == "datetime" || t == "timestamp") {
    c.data_type = t;
    c.fsp = int(length(0));
    c.column_type = c.fsp > 0 ? t + "(" + std::to_string(c.fsp) + ")" : t;
    if (t == "timestamp" && !dialect.explicit_defaults_for_timestamp && def.null == DdlNullability::kUnspecified)
      c.nullable = false;
    return c;
  }
  if (t == "binary" || t == "varbinary" || (LobIndex(t) >= 0 && t.ends_with("blob"))) {
    c.data_type = t;
    c.collation = 63;
    if (t == "binary" || t == "varbinary") {
      if (t == "varbinary" && !def.length) return Status::InvalidArgument("VARBINARY needs a length");
      c.column_type = t + "(" + std::to_string(length(1)) + ")";
    } else {
      c.data_type = def.length ? kBlobTypes[LobIndexForBytes(*def.length)] : t;
      c.column_type = c.data_type;
    }
    return c;
  }
  if (t == "json") {
    if (!dialect.mariadb) {
      c.data_type = c.column_type = "json";
      return c;
    }
    // MariaDB's JSON is an alias of LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin.
    c.data_type = c.column_type = "longtext";
    SYNC_ASSIGN_OR_RETURN(CharsetPair p, ResolveCharset("utf8mb4", "utf8mb4_bin", {}, catalog));
    SetCharset(c, p, catalog);
    return c;
  }
  if (t == "char" || t == "varchar" || t == "enum" || t == "set" || LobIndex(t) >= 0) {
    CharsetPair fallback = table_default;
    if (def.charset.empty() && def.collation.empty() && def.binary_collation) fallback.collation.clear();
    SYNC_ASSIGN_OR_RETURN(CharsetPair p, ResolveCharset(def.charset, def.collation, fallback, catalog));
    if (def.binary_collation && def.collation.empty()) {
      p.collation = catalog.Collation(p.charset + "_bin");
      if (p.collation.empty() && p.charset != "binary")
        return Status::InvalidArgument("no binary collation for character set '" + p.charset + "'");
    }
    if (p.charset == "binary") {  // CHARACTER SET binary / BYTE: the binary string types
      DdlColumnDef bin = def;
      bin.type = t == "char" ? "binary" : t == "varchar" ? "varbinary" : LobIndex(t) >= 0 ? kBlobTypes[LobIndex(t)] : t;
      bin.charset.clear();
      bin.collation.clear();
      bin.binary_collation = false;
      if (bin.type != t) return ResolveColumn(bin, table_default, catalog, dialect);
    }
    c.data_type = t;
    SetCharset(c, p, catalog);
    if (t == "char" || t == "varchar") {
      if (t == "varchar" && !def.length) return Status::InvalidArgument("VARCHAR needs a length");
      c.column_type = t + "(" + std::to_string(length(1)) + ")";
    } else if (t == "enum" || t == "set") {
      c.column_type = t + "(";
      for (size_t i = 0; i < def.values.size(); ++i) c.column_type += (i ? "," : "") + QuoteMember(def.values[i]);
      c.column_type += ")";
      c.enum_values = def.values;
    } else {
      if (def.length) c.data_type = kTextTypes[LobIndexForBytes(*def.length * catalog.MaxBytesPerChar(p.charset))];
      c.column_type = c.data_type;
    }
    return c;
  }
  // Spatial types, MariaDB's UUID/INET4/INET6: no length, no charset.
  c.data_type = c.column_type = t;
  return c;
}

bool ConvertColumnCharset(ColumnSchema& c, const CharsetPair& target, const CharsetCatalog& catalog) {
  if (!IsCharacterColumn(c)) return false;
  ColumnSchema before = c;
  int lob = LobIndex(c.data_type);
  if (target.charset == "binary") {  // CONVERT TO CHARACTER SET binary: the binary string types
    if (c.data_type == "char" || c.data_type == "varchar") {
      std::string type = c.data_type == "char" ? "binary" : "varbinary";
      c.column_type = type + c.column_type.substr(c.data_type.size());
      c.data_type = type;
    } else if (lob >= 0) {
      c.data_type = c.column_type = kBlobTypes[lob];
    }
    if (c.data_type != "enum" && c.data_type != "set") {
      c.charset.clear();
      c.collation_name.clear();
      c.collation = 63;
      return true;
    }
  }
  if (lob >= 0) {
    long long chars = kLobBytes[lob] / catalog.MaxBytesPerChar(c.charset);
    c.data_type = c.column_type = kTextTypes[LobIndexForBytes(chars * catalog.MaxBytesPerChar(target.charset))];
  }
  SetCharset(c, target, catalog);
  return c.data_type != before.data_type || c.collation_name != before.collation_name ||
         c.charset != before.charset;
}

}  // namespace dbsync::mysql
