#include "harness/type_matrix.hpp"

namespace dbsync::testing {

const char* const kTypeMatrixColumnsDdl =
    "id INT NOT NULL, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, mi "
    "MEDIUMINT UNSIGNED, bi BIGINT,"
    " biu BIGINT UNSIGNED, dec_ DECIMAL(30,10), f FLOAT, d DOUBLE, b BIT(10), "
    "y YEAR, dt DATE, tm TIME,"
    " dtm DATETIME(6), ts TIMESTAMP(6) NULL, c CHAR(5), vc VARCHAR(100) "
    "CHARACTER SET utf8mb4,"
    " l1 VARCHAR(20) CHARACTER SET latin1, bin VARBINARY(10), tx TEXT "
    "CHARACTER SET utf8mb4, lb LONGBLOB,"
    " e ENUM('small','it''s big'), st SET('a','b','c'), j JSON, g GEOMETRY";

const char* const kTypeMatrixColumnNames[25] = {"ti",  "tiu", "si", "mi", "bi",  "biu", "dec_", "f",  "d",
                                                "b",   "y",   "dt", "tm", "dtm", "ts",  "c",    "vc", "l1",
                                                "bin", "tx",  "lb", "e",  "st",  "j",   "g"};

const CanonicalColumn kTypeMatrixCanonical[25] = {
    {"ti", "ti", "ti::text"},
    {"tiu", "tiu", "tiu::text"},
    {"si", "si", "si::text"},
    {"mi", "mi", "mi::text"},
    {"bi", "bi", "bi::text"},
    {"biu", "biu", "biu::text"},
    {"dec_", "dec_", "dec_::text"},
    {"f", "CAST(f AS DECIMAL(20,2))", "f::numeric(20,2)::text"},  // values are exact quarters
    {"d", "CAST(d AS DECIMAL(20,3))", "d::numeric(20,3)::text"},  // and eighths
    {"b", "LPAD(BIN(b + 0), 10, '0')", "b::text"},
    {"y", "y", "y::text"},
    {"dt", "DATE_FORMAT(dt, '%Y-%m-%d')", "to_char(dt, 'YYYY-MM-DD')"},
    {"tm", "TIME_TO_SEC(tm)", "extract(epoch from tm)::bigint::text"},
    {"dtm", "DATE_FORMAT(dtm, '%Y-%m-%d %H:%i:%s.%f')", "to_char(dtm, 'YYYY-MM-DD HH24:MI:SS.US')"},
    {"ts", "CAST(UNIX_TIMESTAMP(ts) AS DECIMAL(20,6))", "extract(epoch from ts)::numeric(20,6)::text"},
    {"c", "c", "c::text"},
    {"vc", "MD5(vc)", "md5(vc)"},
    {"l1", "MD5(CONVERT(l1 USING utf8mb4))", "md5(l1)"},
    {"bin", "LOWER(HEX(bin))", "encode(bin, 'hex')"},
    {"tx", "MD5(tx)", "md5(tx)"},
    {"lb", "CONCAT(LENGTH(lb), ':', MD5(lb))", "length(lb) || ':' || md5(lb)"},
    {"e", "e", "e"},
    {"st", "st", "st"},
    {"j", "MD5(j)", "md5(j)"},  // MariaDB JSON is LONGTEXT: text on both sides
    {"g", "LOWER(HEX(g))", "encode(g, 'hex')"},
};

std::string TypeMatrixInsert(const std::string& table, int id, TypeMatrixRows& gen) {
  std::string sql = "INSERT INTO shop." + table + " VALUES (" + std::to_string(id);
  for (const auto& v : gen.Values()) sql += ", " + v;
  return sql + ")";
}

// Random changes: inserts, updates of a few columns (some to NULL, some of
// the key), deletes; single statements, and now and then several in one
// transaction.
void TypeMatrixChurn(const MariaDbServer& mysql, const std::string& table, int n, TypeMatrixRows& gen, int key_space) {
  auto conn = mysql.Admin();
  for (int i = 0; i < n; ++i) {
    const int id = int(gen.Pick(uint32_t(key_space))) + 1;
    const bool grouped = gen.Pick(5) == 0;
    if (grouped) (void)conn.Execute("BEGIN");
    for (int k = 0; k < (grouped ? 3 : 1); ++k) {
      switch (gen.Pick(6)) {
        case 0:
        case 1:
          (void)conn.Execute(TypeMatrixInsert(table, id + k, gen));
          break;
        case 2:
          (void)conn.Execute("DELETE FROM shop." + table + " WHERE id = " + std::to_string(id) + " LIMIT 1");
          break;
        case 3:
          (void)conn.Execute("UPDATE shop." + table + " SET id = id + " + std::to_string(key_space) +
                             " WHERE id = " + std::to_string(id) + " LIMIT 1");
          break;
        default: {
          auto values = gen.Values();
          std::string sets;
          for (int c = 0; c < 4; ++c) {
            size_t col = gen.Pick(uint32_t(values.size()));
            sets += std::string(sets.empty() ? "" : ", ") + kTypeMatrixColumnNames[col] + " = " + values[col];
          }
          (void)conn.Execute("UPDATE shop." + table + " SET " + sets + " WHERE id = " + std::to_string(id) +
                             " LIMIT 1");
        }
      }
    }
    if (grouped) (void)conn.Execute("COMMIT");
  }
}

}  // namespace dbsync::testing
