#include "check/check_runner.hpp"

#include "check/source_checks.hpp"
#include "config/secret.hpp"
#include "sink/registry.hpp"
#include "state/task_store.hpp"

namespace dbsync::check {

CheckReport RunChecks(const config::TaskSpec& spec, CheckScope scope, std::vector<PlannedTable>* plan) {
  CheckReport report;
  report.scope = scope;
  report.checked_at = state::NowIso8601();
  config::Redactor redactor;

  std::vector<SourceTable> tables;
  auto src_password = config::ResolveSecret(spec.source.password);
  if (!src_password.ok()) {
    // A local configuration problem, not a connection failure: exit 1, not 5.
    report.Add("source.password", Verdict::kFail, src_password.status().message(),
               "make the secret reference in source.password resolvable");
  } else {
    redactor.Add(*src_password);
    tables = RunSourceChecks(spec, *src_password, scope, report);
  }

  auto dst_password = sink::ResolveDestinationSecret(spec.destination);
  if (!dst_password.ok()) {
    report.Add("destination.password", Verdict::kFail, dst_password.status().message(),
               "make the secret reference in the destination spec resolvable");
  } else {
    redactor.Add(*dst_password);
    sink::DestinationOf(spec.destination).check({spec, *dst_password, tables, scope}, report);
  }
  if (plan) *plan = PlanMapping(spec, tables);
  for (auto& item : report.items) {
    item.reason = redactor.Apply(item.reason);
    item.fix = redactor.Apply(item.fix);
  }
  return report;
}

}  // namespace dbsync::check
