// The terminal view of a task's progress (ops/progress_view.hpp): bars,
// rates and ETA per table, redrawn in place; timestamped lines elsewhere.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "ops/progress_view.hpp"

using namespace dbsync;
using nlohmann::json;

TEST_CASE("progress bars: the terminal view of a copy") {
  ops::ProgressView view(true, 100);
  json state = {{"steps", {{"full_initialization", {{"state", "running"}}}}},
                {"tables", {{"shop.a", {{"state", "copying"}, {"rows", 500}, {"estimated_rows", 1000}, {"percent", 50.0},
                                        {"rows_per_second", 250}, {"eta_seconds", 2}}},
                            {"shop.bb", {{"state", "done"}, {"rows", 10}, {"percent", 100.0}}}}}};
  std::string first = view.Render(state, 0);
  CHECK(first.find("shop.a  [##########----------]  50.0%  500/~1000 rows, 250 rows/s, ETA 2 s") != std::string::npos);
  CHECK(first.find("shop.bb [####################] 100.0%  10 rows") != std::string::npos);
  // Redrawn in place: back over the two lines drawn before.
  CHECK(view.Render(state, 1).rfind("\033[2F", 0) == 0);
  CHECK(ops::ProgressBar(0, 4) == "[----]");
  CHECK(ops::ProgressBar(100, 4) == "[####]");
}

TEST_CASE("progress lines: only what changed, stamped") {
  ops::ProgressView view(false, 100);
  json state = {{"steps", {{"full_initialization", {{"state", "running"}}}}},
                {"tables", {{"shop.a", {{"state", "copying"}, {"rows", 500}, {"percent", 50.0}}}}}};
  std::string first = view.Render(state, 1796601600);
  CHECK(first.find("2026-12-07T00:00:00Z full_initialization running\n") != std::string::npos);
  CHECK(first.find("2026-12-07T00:00:00Z shop.a copying 500 rows (50%)\n") != std::string::npos);
  CHECK(view.Render(state, 1796601601).empty());  // nothing new within 10 s
  state["tables"]["shop.a"]["rows"] = 900;
  CHECK(view.Render(state, 1796601611).find("shop.a copying 900 rows") != std::string::npos);
  state["tables"]["shop.a"] = {{"state", "done"}, {"rows", 1000}, {"percent", 100.0}};
  state["steps"]["full_initialization"] = {{"state", "done"}, {"finished_at", "x"}, {"duration_seconds", 12}};
  std::string done = view.Render(state, 1796601612);
  CHECK(done.find("full_initialization done (took 12 s)") != std::string::npos);
  CHECK(done.find("shop.a done 1000 rows (100%)") != std::string::npos);
}
