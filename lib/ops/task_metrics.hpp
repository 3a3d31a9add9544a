#pragma once
// Tasks as Prometheus metrics (the text exposition format 0.0.4): what
// `sync metrics` prints and what each task's supervisor writes to
// <task dir>/metrics.prom (and runtime.metrics_file) every few seconds, for
// node_exporter's textfile collector or any scraper. Read from the task's
// state.json, its current run record and checkpoint.json: rendering never
// talks to a server. Names and labels follow Prometheus' conventions: a
// sync_ prefix, base units (seconds, bytes), _total counters, every series
// labelled with the task's id (task="t1234abc"). man sync-metrics(1) lists
// them all.

#include <cstdint>
#include <string>
#include <vector>

#include "state/task_store.hpp"

namespace dbsync::ops {

// The exposition of `tasks` as of `now` (epoch seconds).
std::string RenderMetrics(const std::vector<state::TaskRecord>& tasks, int64_t now);

}  // namespace dbsync::ops
