#include "pipeline/progress.hpp"

#include <ctime>

#include "alert/alert_outbox.hpp"
#include "state/task_store.hpp"

namespace dbsync::pipeline {

std::shared_ptr<TableProgress> Progress::Table(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  auto& p = tables[name];
  if (!p) p = std::make_shared<TableProgress>();
  return p;
}

void Progress::SetDestination(const std::string& name, const std::string& destination) {
  std::lock_guard<std::mutex> lock(mu);
  destinations[name] = destination;
}

void Progress::Remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  tables.erase(name);
  destinations.erase(name);
}

const char* TableStateName(TableState state) {
  switch (state) {
    case TableState::kPending: return "pending";
    case TableState::kCopying: return "copying";
    case TableState::kDone: return "done";
    case TableState::kCatchingUp: return "catching_up";
  }
  return "unknown";
}

nlohmann::json Progress::TablesJson() {
  std::lock_guard<std::mutex> lock(mu);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, p] : tables) {
    uint64_t rows = p->rows.load();
    const TableState state = p->state.load();
    double percent = state == TableState::kDone || state == TableState::kCatchingUp ? 100.0
                     : p->estimated_rows ? std::min(99.0, 100.0 * double(rows) / double(p->estimated_rows))
                                          : 0.0;
    out[name] = {{"state", TableStateName(state)},
                 {"rows", rows},
                 {"estimated_rows", p->estimated_rows},
                 {"percent", int(percent * 10) / 10.0},
                 {"chunks_done", p->chunks_done.load()},
                 {"chunks_total", p->chunks_total},
                 {"applied", {{"insert", p->inserts.load()}, {"update", p->updates.load()}, {"delete", p->deletes.load()}}}};
    auto dest = destinations.find(name);
    if (dest != destinations.end()) out[name]["destination"] = dest->second;
  }
  return out;
}

std::shared_ptr<TableProgress> Progress::Find(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = tables.find(name);
  return it == tables.end() ? nullptr : it->second;
}

void Progress::RecordDdl(const std::string& outcome, const std::string& position, const std::string& what) {
  (outcome == "applied" ? ddl_applied : outcome == "ignored" ? ddl_ignored : ddl_warnings).fetch_add(1);
  std::lock_guard<std::mutex> lock(ddl_mu);
  ddl_records.push_back({{"at", state::NowIso8601()}, {"position", position}, {"outcome", outcome},
                         {"statement", what.substr(0, 500)}});
  if (ddl_records.size() > kDdlRecords) ddl_records.erase(ddl_records.begin());
}

void Progress::ReconnectFailed(int attempt, const std::string& error) {
  std::lock_guard<std::mutex> lock(reconnect_mu);
  if (!reconnecting_since) reconnecting_since = std::time(nullptr);
  reconnect_attempts = attempt;
  reconnect_error = error;
}

void Progress::Reconnected() {
  std::lock_guard<std::mutex> lock(reconnect_mu);
  reconnecting_since = 0;
  reconnect_attempts = 0;
  reconnect_error.clear();
}

void RaiseAlert(Progress& progress, alert::AlertEvent event) {
  if (!progress.alert_outbox.empty()) (void)alert::Raise(progress.alert_outbox, std::move(event));
}

}  // namespace dbsync::pipeline
