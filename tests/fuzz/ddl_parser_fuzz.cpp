// Fuzz target for the DDL parser: the input is one statement as a binlog
// QUERY event carries it. It goes the way SchemaTracker takes it:
// IsDdlStatement, ParseDdl (with the tables it names), then every column
// definition resolved against the built-in charset catalog in both dialects,
// and CONVERT TO CHARACTER SET applied to the resolved columns. Malformed
// input must only ever produce a Status: any crash, hang or sanitizer report
// is a bug.
//
// Built with libFuzzer under clang, and with fuzz_replay_main.cpp (seeds plus
// time-bounded random mutations) under any compiler, for ctest.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "source/mysql/charset_catalog.hpp"
#include "source/mysql/ddl_column_types.hpp"
#include "source/mysql/ddl_parser.hpp"

using namespace dbsync::mysql;

namespace {

void ResolveColumns(const std::vector<DdlColumnDef>& columns, const std::string& charset,
                    const std::string& collation, const CharsetCatalog& catalog, const DdlDialect& dialect) {
  auto table_default = ResolveCharset(charset, collation, CharsetPair{"latin1", "latin1_swedish_ci"}, catalog);
  const CharsetPair fallback = table_default.ok() ? *table_default : CharsetPair{"utf8mb4", "utf8mb4_general_ci"};
  for (const auto& def : columns) {
    auto column = ResolveColumn(def, fallback, catalog, dialect);
    if (!column.ok()) continue;
    (void)IsCharacterColumn(*column);
    (void)ConvertColumnCharset(*column, CharsetPair{"utf8mb4", "utf8mb4_bin"}, catalog);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const CharsetCatalog kMariaDb = CharsetCatalog::Builtin(false);
  static const CharsetCatalog kMySql8 = CharsetCatalog::Builtin(true);
  static const DdlDialect kDialects[] = {DdlDialect::ForServerVersion("10.11.6-MariaDB-0+deb12u1"),
                                         DdlDialect::ForServerVersion("8.0.36")};
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  (void)IsDdlStatement(sql);
  std::vector<DdlTableName> touched;
  auto parsed = ParseDdl("fuzz_db", sql, &touched);
  if (!parsed.ok()) return 0;
  const DdlStatement& st = *parsed;
  for (int d = 0; d < 2; ++d) {
    const CharsetCatalog& catalog = d == 0 ? kMariaDb : kMySql8;
    ResolveColumns(st.columns, st.charset, st.collation, catalog, kDialects[d]);
    for (const auto& op : st.ops) {
      if (op.kind == AlterOpKind::kAddColumn || op.kind == AlterOpKind::kModifyColumn ||
          op.kind == AlterOpKind::kChangeColumn)
        ResolveColumns({op.column}, op.charset, op.collation, catalog, kDialects[d]);
      if (op.kind == AlterOpKind::kConvertCharset || op.kind == AlterOpKind::kTableDefaults)
        (void)ResolveCharset(op.charset == "default" ? "" : op.charset, op.collation, CharsetPair{}, catalog);
    }
  }
  return 0;
}
