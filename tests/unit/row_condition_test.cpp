#include <doctest/doctest.h>

#include "harness/sink_fixtures.hpp"

#include "config/task_spec_yaml.hpp"
#include "expr/row_condition.hpp"

using namespace dbsync;
using dbsync::expr::RowCondition;

namespace {

TableSchema Orders() {
  TableSchema t;
  t.db = "shop";
  t.table = "orders";
  auto col = [&](const char* name, const char* type) { t.columns.push_back(testing::Col(name, type, type)); };
  col("id", "bigint");
  col("status", "varchar");
  col("amount", "decimal");
  col("created", "datetime");
  col("note", "text");
  col("paid_at", "timestamp");
  col("day", "date");
  col("ratio", "double");
  t.primary_key = {"id"};
  return t;
}

std::vector<Value> Row(int64_t id, const char* status, const char* amount, DateTime created, Value note,
                       Value paid_at = Value(), Value day = Value(), Value ratio = Value()) {
  return {Value(id), Value(Bytes{status, 45}), amount ? Value(Decimal{amount}) : Value(), Value(created), note,
          paid_at, day, ratio};
}

bool Eval(const std::string& text, const std::vector<Value>& row) {
  auto parsed = RowCondition::Parse(text);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  auto bound = parsed->Bind(Orders());
  REQUIRE_MESSAGE(bound.ok(), bound.status().message());
  return bound->Matches(row);
}

std::string ParseError(const std::string& text, size_t* offset = nullptr) {
  size_t at = 0;
  auto parsed = RowCondition::Parse(text, &at);
  REQUIRE_FALSE(parsed.ok());
  if (offset) *offset = at;
  return parsed.status().message();
}

const DateTime kNoon{2024, 3, 15, 12, 0, 0, 0, 0};

}  // namespace

TEST_SUITE("row condition") {
  TEST_CASE("comparisons, AND/OR/NOT, arithmetic and precedence") {
    auto r = Row(7, "paid", "19.99", kNoon, Value(Bytes{"vip customer", 45}));
    CHECK(Eval("status = 'paid'", r));
    CHECK_FALSE(Eval("status <> 'paid'", r));
    CHECK(Eval("amount > 10 AND amount < 20", r));
    CHECK(Eval("amount = 19.99", r));
    CHECK(Eval("id * 2 + 1 = 15", r));
    CHECK(Eval("id % 4 = 3 AND id DIV 2 = 3 AND id / 2 = 3.5", r));
    CHECK(Eval("-id = -7", r));
    CHECK(Eval("status = 'x' OR id = 7 AND amount > 1", r));        // AND binds tighter
    CHECK_FALSE(Eval("(status = 'x' OR id = 7) AND amount > 100", r));
    CHECK(Eval("NOT status = 'x'", r));
    CHECK(Eval("!(id = 8) && id != 8 || FALSE", r));
    CHECK(Eval("id BETWEEN 5 AND 7 AND id NOT BETWEEN 8 AND 9", r));
    CHECK(Eval("status IN ('new', 'paid') AND id NOT IN (1, 2)", r));
    CHECK(Eval("note LIKE 'vip%' AND note LIKE '%cust_mer' AND note NOT LIKE 'VIP%'", r));
    CHECK(Eval("LOWER(note) LIKE 'vip%' AND UPPER(status) = 'PAID' AND LENGTH(status) = 4", r));
    CHECK(Eval("'50%' LIKE '50!%' ESCAPE '!' AND NOT '500' LIKE '50!%' ESCAPE '!'", r));
    CHECK(Eval("`status` = \"paid\"", r));
    CHECK(Eval("status = 'it''s' OR TRUE", r));
    CHECK(Eval("amount >= '19.99'", r));  // a string meets a number as a number
  }

  TEST_CASE("three-valued logic: unknown is not true, and NOT unknown is unknown") {
    auto r = Row(1, "new", nullptr, kNoon, Value());
    CHECK_FALSE(Eval("amount > 1", r));
    CHECK_FALSE(Eval("NOT amount > 1", r));
    CHECK_FALSE(Eval("amount = NULL", r));
    CHECK(Eval("amount IS NULL AND note IS NULL AND id IS NOT NULL", r));
    CHECK(Eval("amount <=> NULL", r));
    CHECK(Eval("amount > 1 OR id = 1", r));             // unknown OR true
    CHECK_FALSE(Eval("amount > 1 AND id = 1", r));      // unknown AND true
    CHECK(Eval("NOT (amount > 1 AND id = 2)", r));     // unknown AND false is false
    CHECK_FALSE(Eval("id IN (2, NULL)", r));            // no match and a NULL: unknown
    CHECK_FALSE(Eval("id NOT IN (2, NULL)", r));
    CHECK(Eval("id IN (1, NULL)", r));
    CHECK_FALSE(Eval("amount BETWEEN 0 AND 10", r));
    CHECK(Eval("COALESCE(amount, 0) = 0", r));
    CHECK(Eval("(amount > 1) IS NOT TRUE AND (id = 1) IS TRUE AND (id = 2) IS FALSE", r));
    CHECK_FALSE(Eval("id / 0 IS NOT NULL", r));  // division by zero is NULL
  }

  TEST_CASE("dates and times: literals, strings compared with temporal columns, TIMESTAMP in UTC") {
    Timestamp paid{1710504000, 0, 0};  // 2024-03-15 12:00:00 UTC
    auto r = Row(1, "paid", "1", kNoon, Value(), Value(paid), Value(Date{2024, 3, 15}));
    CHECK(Eval("created >= '2024-03-01' AND created < '2024-04-01'", r));
    CHECK(Eval("created = '2024-03-15 12:00:00'", r));
    CHECK(Eval("created > DATE '2024-03-15' AND created < TIMESTAMP '2024-03-15 12:00:01'", r));
    CHECK(Eval("paid_at = '2024-03-15 12:00:00'", r));
    CHECK(Eval("day BETWEEN '2024-01-01' AND '2024-12-31' AND day IN ('2024-03-15')", r));
    CHECK(Eval("day < created OR day = '2024-03-15'", r));
    auto zero = Row(2, "x", "1", DateTime{}, Value(), Value(), Value(Date{}));
    CHECK(Eval("created < '1000-01-01' AND day < '1000-01-01'", zero));  // zero dates sort first
  }

  TEST_CASE("Bind names a missing column with the nearest one, and a literal that is not a date") {
    auto parsed = RowCondition::Parse("stauts = 'x'");
    REQUIRE(parsed.ok());
    auto bound = parsed->Bind(Orders());
    REQUIRE_FALSE(bound.ok());
    CHECK(bound.status().message().find("names column 'stauts', which shop.orders does not have; did you mean "
                                        "'status'?") != std::string::npos);
    auto bad_date = RowCondition::Parse("created > '2024-13-01'")->Bind(Orders());
    REQUIRE_FALSE(bad_date.ok());
    CHECK(bad_date.status().message().find("'2024-13-01' is compared with the datetime column created but is not a "
                                           "date") != std::string::npos);
    CHECK(RowCondition::Parse("status = 'a' AND id > 1 OR status = 'b'")->Columns() ==
          std::vector<std::string>{"status", "id"});
  }

  TEST_CASE("parse errors say what and where") {
    size_t at = 0;
    CHECK(ParseError("status = ", &at).find("ends where a value was expected") != std::string::npos);
    CHECK(at == 9);
    CHECK(ParseError("status == 'x'", &at).find("'='") != std::string::npos);
    CHECK(at == 8);
    CHECK(ParseError("status = 'x", &at).find("never closed") != std::string::npos);
    CHECK(ParseError("id IN (1, 2", &at).find("expected ')'") != std::string::npos);
    CHECK(ParseError("id BETWEEN 1 OR 2").find("expected AND in BETWEEN") != std::string::npos);
    CHECK(ParseError("SUBSTR(status, 1) = 'a'").find("unknown function SUBSTR()") != std::string::npos);
    CHECK(ParseError("status IS 'x'").find("expected NULL, TRUE or FALSE") != std::string::npos);
    CHECK(ParseError("id = 1 status = 2").find("expected AND, OR or the end") != std::string::npos);
    CHECK(ParseError("created > DATE '2024-1'").find("is not a DATE") != std::string::npos);
    CHECK(ParseError("").find("empty") != std::string::npos);
    CHECK(ParseError("id = 1 # x").find("unexpected character '#'") != std::string::npos);
    CHECK(ParseError("1x = 2").find("not a number") != std::string::npos);
  }

  TEST_CASE("the spec parser reports a bad condition at its line and column") {
    const std::string base = R"(name: t1
source: {host: 127.0.0.1, user: r, password: p, server_id: 5, tables: [shop.*]}
destination: {type: postgres, host: 127.0.0.1, database: dw, user: l}
tables:
  - match: shop.orders
    dml:
      update: {action: filter, condition: "status = 'paid' AND"}
      insert: {action: filter, condition: amount >> 3}
      delete: {action: logical_delete, value: 'x', live_value: 'x'}
)";
    auto r = config::ParseTaskSpec(base, "task.yaml");
    REQUIRE_FALSE(r.ok());
    const std::string& m = r.status().message();
    INFO(m);
    // The quote opens at column 43; the end of the text is 20 characters on.
    CHECK(m.find("task.yaml:7:63: tables[].dml.update.condition: the condition ends where a value was expected") !=
          std::string::npos);
    CHECK(m.find("task.yaml:8:51: tables[].dml.insert.condition: unexpected '>'") != std::string::npos);
    CHECK(m.find("value and live_value are both 'x'") != std::string::npos);
  }
}
