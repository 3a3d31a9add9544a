#pragma once
// `sync start --rerun`: chosen tables are copied afresh, the way tables added
// by `sync apply` are, while the others stream on.
//
// `sync start` stores the request in the task state ("rerun": glob patterns on
// db.table). The worker carries it out before it binds the saved tables:
// forgets each table's chunk records (mode: existing tables: they are not
// emptied, so their records go here; other tables are emptied with their
// records when the copy plans afresh), removes its chunk plan, and takes it
// out of the saved schema state's bound and copying tables, which makes it a
// table to copy. Every step is idempotent and the request is cleared last, so
// a crash anywhere in between only repeats them.

#include <string>
#include <vector>

#include "core/logger.hpp"
#include "core/status.hpp"
#include "pipeline/full_init.hpp"
#include "sink/sink.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {

// The task state key of the request.
inline constexpr const char* kRerunKey = "rerun";

// Carries out the request in `task`'s state, if any, for the bound `tables`.
// kFailedPrecondition, before anything changes, when a pattern matches no
// table, or matches a table that is not copied or that merges with others
// into one destination table (whose rows a fresh copy could not tell apart).
Status CarryOutRerun(const std::string& home, const state::TaskRecord& task,
                     const std::vector<sink::TableBinding>& tables, const FullInitOptions& init, sink::Sink& sink,
                     Logger& log);

}  // namespace dbsync::pipeline
