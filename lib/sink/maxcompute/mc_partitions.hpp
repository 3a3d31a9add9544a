#pragma once
// tables[].partition in MaxCompute (sync-task(5) PARTITIONED TABLES). The
// partition column is no column of the records: the table is made with
// PARTITIONED BY (column STRING), and each row goes to the partition its
// value names through a Tunnel session opened for that partition
// (partition=column=value on every call, specs/maxcompute.md 3.1). A Delta
// table's key holds within a partition, so the key of the table is the
// binding's key without the partition column; a row that changes partition
// is a delete in the old one and an upsert in the new one (the shaping layer
// makes it a key change).
//
// MaxCompute takes as a partition value at most 128 bytes of letters,
// digits, space and : _ $ # . ! @ ("other characters' behaviour is
// undefined", its answer to "Invalid partition value"); a row whose value is
// anything else stops the task naming the row's key.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "core/value.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/sink.hpp"

namespace dbsync::maxcompute {

inline constexpr size_t kMaxPartitionValueBytes = 128;

struct Partitioning {
  std::string column;  // the destination name: the table's one partition key
  size_t index = 0;    // where the binding's rows hold its value
};

// nullopt for a table without tables[].partition; kInternal when the
// binding lacks the column the shaping layer adds.
Result<std::optional<Partitioning>> PartitioningOf(const sink::TableBinding& t);

// `columns` less the partition column (the other columns keep their
// source_index), and a key less it.
std::vector<McColumn> WithoutPartitionColumn(const Partitioning& p, std::vector<McColumn> columns);
std::vector<std::string> KeyWithoutPartitionColumn(const Partitioning& p, const std::vector<std::string>& key);

// OK when MaxCompute takes `value` as a partition value; else
// kInvalidArgument saying why.
Status CheckPartitionValue(std::string_view value);

// The partition spec of `row` ("column=value"): kInvalidArgument naming the
// row's key when its value cannot be a partition value.
Result<std::string> PartitionSpecOf(const Partitioning& p, const sink::TableBinding& t, const std::vector<Value>& row);

// ALTER TABLE `table` ADD IF NOT EXISTS PARTITION (`column`='v1') PARTITION (...):
// one statement for the partitions a batch meets first.
std::string AddPartitionsSql(const std::string& table, const std::string& column, const std::set<std::string>& values);

// "column=value" -> value.
std::string PartitionValueOfSpec(const std::string& spec);

}  // namespace dbsync::maxcompute
