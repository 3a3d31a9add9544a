#pragma once
// Compares one source table with its destination table, for `sync verify`.
//
// The source is read in chunks of `chunk_rows` rows in key order, each in
// its own consistent snapshot (verify/source_rows.hpp). Every row is shaped
// as the sink would write it (tables[] settings) and rendered in the
// destination's canonical text (sink/readback.hpp), and compared with the
// destination's rows of the chunk in the same text: no SQL function renders
// a value alike in MySQL and PostgreSQL, so neither server could checksum a
// chunk for the other to match. The destination's rows of the chunk are
// read once it holds the binlog up to the snapshot's position:
// by key range when the key is numeric (so rows only at the destination are
// found in the same pass), else by the chunk's keys, followed by one pass
// over the destination's keys that looks each up at the source. While the
// task runs each differing key is read again on both sides (`rechecks` times, the
// destination after it caught up again) so that a change in flight is not
// reported as a difference.
//
// A table without a key is compared whole, by its rows' checksum and count.
//
// Thread-compatible.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/binlog_position.hpp"
#include "sink/readback.hpp"
#include "sink/shaping/table_shape.hpp"
#include "verify/source_rows.hpp"

namespace dbsync::verify {

struct Difference {
  enum class Kind { kMissing, kExtra, kChanged };
  Kind kind = Kind::kChanged;
  std::string key;                   // "id=17" or "a=1, b=x"
  std::vector<std::string> columns;  // kChanged: the destination columns that differ
};
const char* DifferenceKindName(Difference::Kind kind);

struct TableVerdict {
  std::string source, destination;
  std::string skipped;  // why the table was not compared, if it was not
  std::string note;     // what the comparison could not cover
  uint64_t rows = 0;    // source rows compared
  uint64_t chunks = 0;
  uint64_t rechecked = 0;    // keys read again because they differed
  uint64_t differences = 0;  // all of them; `shown` holds the first ones
  std::vector<Difference> shown;
  uint64_t destination_rows = 0;  // a table without a key: rows at the destination
  nlohmann::json ToJson() const;
};

struct VerifyOptions {
  size_t chunk_rows = 1000;
  int rechecks = 5;
  double max_rows_per_second = 0;  // source rows read per second; 0: no limit
  size_t max_shown = 100;
  // Waits until the destination holds the source's binlog up to `position`;
  // false when it did not within the caller's time. With the task stopped
  // nothing moves: it returns true at once and differences are not rechecked.
  std::function<bool(const BinlogPosition&)> settle;
  bool task_running = false;
};

class TableVerifier {
 public:
  // `shared`: other source tables write into the same destination table.
  TableVerifier(const sink::TableBinding& binding, const sink::TableShape& shape, bool shared, SourceRows& source,
                sink::Readback& destination, const VerifyOptions& options);
  Result<TableVerdict> Run();

 private:
  // Keys in canonical text joined by \x1f; the expected row, or nullopt when
  // the row must not be at the destination (left out by a filter).
  using ExpectedRows = std::map<std::string, std::optional<sink::CanonicalRow>>;
  using ActualRows = std::map<std::string, sink::CanonicalRow>;
  struct Pending {
    std::string key;          // joined canonical key
    sink::CanonicalRow parts;  // canonical key values
  };

  Status Prepare();
  Status CompareByKey();
  Status LookForExtraRows();
  Status CompareWhole();
  // A source row into `expected`, keyed; `literals` gets its key as source literals.
  Status AddExpected(source::Row&& row, ExpectedRows& expected, std::vector<std::string>* literals = nullptr,
                     sink::CanonicalRow* canonical_key = nullptr);
  Status ReadDestination(sink::ReadbackRequest request, ActualRows& actual);
  std::vector<Difference> Compare(const ExpectedRows& expected, const ActualRows& actual,
                                  std::vector<Pending>* differing) const;
  // Reads `keys` again on both sides until they agree or the rechecks run out.
  Status Recheck(std::vector<Pending> keys, std::vector<Difference> found);
  std::string JoinKey(const sink::CanonicalRow& key) const;
  std::string ShowKey(const sink::CanonicalRow& key) const;
  sink::ReadbackRequest Request(sink::ReadbackRequest::Select select) const;
  void Record(std::vector<Difference> differences);
  void Throttle();

  const sink::TableBinding& binding_;
  const sink::TableShape& shape_;
  bool shared_;
  SourceRows& source_;
  sink::Readback& destination_;
  VerifyOptions options_;
  TableVerdict verdict_;
  TableSchema keyed_;                        // the source schema keyed on the binding's key
  std::vector<ColumnSchema> columns_;        // destination columns compared
  std::vector<size_t> inner_index_;          // of each: its place in the shaped row
  std::vector<size_t> key_;                  // the key columns' places in columns_
  std::vector<const ColumnSchema*> source_key_;  // the key columns at the source
  std::string hidden_column_, hidden_value_;  // a logical delete's marker
  bool by_range_ = false;
  double started_ = 0;
};

}  // namespace dbsync::verify
