// The pipeline against a real MariaDB source and the in-memory reference
// sink. Full initialization: a chunk commit that fails stops the copy, and
// the copy run again resumes at the chunks not committed, keyless tables
// included, without duplicates. The real-time loop, in both exactly-once modes: a sink that fails in the middle
// of the stream (a batch, a piece of a large transaction, the commit of a
// table's load) stops the loop, and a loop restarted from the sink's
// checkpoint, as the worker restarts, converges to the source with nothing
// lost and nothing doubled, an ALTER TABLE in the stream included. `sync
// apply` adding a table while the others stream: the table is copied, catches
// up from its snapshot and converges, in both modes.

#include <doctest/doctest.h>

#include <thread>

#include "harness/servers.hpp"
#include "pipeline/full_init.hpp"
#include "pipeline/realtime_sync.hpp"
#include "pipeline/table_binding.hpp"
#include "sink/memory/memory_sink.hpp"
#include "source/mysql/mysql_source.hpp"
#include "source/mysql/snapshot_reader.hpp"
#include "config/task_spec_yaml.hpp"
#include "state/task_store.hpp"

using namespace dbsync;
using namespace dbsync::testing;

namespace {

MariaDbServer& Source() {
  static MariaDbServer server;
  return server;
}

config::TaskSpec Spec(const std::string& db) {
  config::TaskSpec spec;
  spec.name = "memory";
  spec.source.host = "127.0.0.1";
  spec.source.port = Source().port();
  spec.source.user = "root";
  spec.source.password = MariaDbServer::kRootPassword;
  spec.source.server_id = 7301;
  spec.source.tables = {db + ".*"};
  spec.destination.type = "postgres";  // not opened: the sink factory gives the memory sink
  return spec;
}

source::SourceFactory SourceFactory(uint32_t server_id) {
  mysql::Endpoint endpoint{"127.0.0.1", Source().port(), "root", MariaDbServer::kRootPassword, 10, 600};
  return [endpoint, server_id] { return mysql::OpenMySqlSource(endpoint, server_id); };
}

std::unique_ptr<source::Source> Catalog() {
  auto source = SourceFactory(0)();
  REQUIRE(source.ok());
  return std::move(source).value();
}

// "id|v|n" per row, sorted: what the source holds.
std::vector<std::string> SourceRows(const std::string& table) {
  auto conn = Source().Admin();
  auto r = conn.Query("SELECT id, v, n FROM " + table + " ORDER BY id");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  std::vector<std::string> out;
  for (const auto& row : r->rows) out.push_back(row[0].value_or("NULL") + "|" + row[1].value_or("NULL") + "|" + row[2].value_or("NULL"));
  std::sort(out.begin(), out.end());
  return out;
}

std::string Text(const Value& v) {
  if (v.is_null()) return "NULL";
  if (const auto* b = v.get_if<Bytes>()) return b->data;
  return v.ToString();
}

// The same rendering of what the memory destination holds.
std::vector<std::string> DestinationRows(const sink::memory::MemoryStore& store, const sink::TableBinding& b) {
  auto table = store.Table(b.dest_schema, b.dest_table);
  REQUIRE(table.has_value());
  std::vector<std::string> out;
  for (const auto& row : table->rows)
    out.push_back(Text(row[size_t(table->ColumnIndex("id"))]) + "|" + Text(row[size_t(table->ColumnIndex("v"))]) +
                  "|" + Text(row[size_t(table->ColumnIndex("n"))]));
  std::sort(out.begin(), out.end());
  return out;
}

struct Scenario {
  std::string name;
  sink::ExactlyOnce mode;
  const char* fail_op;
  int fail_nth;
};

}  // namespace

TEST_CASE("the real-time loop recovers from a failing sink without loss or duplicates") {
  const Scenario scenarios[] = {
      {"batch", sink::ExactlyOnce::kTransactional, "ApplyBatch", 3},
      {"piece", sink::ExactlyOnce::kTransactional, "ApplyPartial", 2},
      {"load", sink::ExactlyOnce::kPerTableLoads, "LoadCommit", 4},
      {"loads_batch", sink::ExactlyOnce::kPerTableLoads, "ApplyBatch", 3},
  };
  int round = 0;
  for (const auto& sc : scenarios) {
    CAPTURE(sc.name);
    const std::string db = std::string("mem_") + sc.name;
    Source().Exec("CREATE DATABASE " + db);
    for (const char* t : {".a", ".b"}) Source().Exec("CREATE TABLE " + db + t + " (id int PRIMARY KEY, v varchar(50), n int)");
    auto spec = Spec(db);
    auto store = std::make_shared<sink::memory::MemoryStore>();
    std::string task = "task-" + std::to_string(++round);

    pipeline::RealtimeOptions options;
    options.batch_rows = 50;  // the large transaction below comes in pieces
    options.flush_ms = 100;
    options.task_id = task;
    char dir[] = "/tmp/sync-memtest-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    options.schema_file = std::string(dir) + "/schema.json";
    options.init.plan_dir = std::string(dir) + "/snapshot";
    options.init.open_source = SourceFactory(7301);
    options.init.task_id = task;
    options.init.open_sink = [store, mode = sc.mode](const config::TaskSpec&, const std::string& id)
        -> Result<std::unique_ptr<sink::Sink>> {
      return std::unique_ptr<sink::Sink>(std::make_unique<sink::memory::MemorySink>(store, id, mode));
    };

    auto conn = Source().Admin();
    auto bound = pipeline::BindTables(spec, *Catalog());
    REQUIRE_MESSAGE(bound.ok(), bound.status().message());
    REQUIRE(bound->size() == 2);
    {
      sink::memory::MemorySink setup(store, task, sc.mode);
      for (const auto& t : *bound) REQUIRE(setup.PrepareTable(t).ok());
    }
    auto start = mysql::BinlogEnd(conn);
    REQUIRE(start.ok());

    // The workload: single rows, multi-table transactions, key changes,
    // deletes, and one transaction of 400 rows (8 pieces of 50).
    std::atomic<bool> writing{true};
    std::thread writer([&] {
      auto w = Source().Admin();
      for (int i = 1; i <= 60; ++i) {
        std::string id = std::to_string(i);
        (void)w.Query("INSERT INTO " + db + ".a (id, v, n) VALUES (" + id + ", 'a" + id + "', " + id + ")");
        // A DDL in the stream: the loop applies it to the sink between batches.
        if (i == 40) (void)w.Query("ALTER TABLE " + db + ".a ADD COLUMN extra int NOT NULL DEFAULT 7");
        (void)w.Query("START TRANSACTION");
        (void)w.Query("INSERT INTO " + db + ".b VALUES (" + id + ", 'b" + id + "', NULL)");
        (void)w.Query("UPDATE " + db + ".a SET n = n + 1000 WHERE id = " + id);
        (void)w.Query("COMMIT");
        if (i % 10 == 0) (void)w.Query("DELETE FROM " + db + ".a WHERE id = " + std::to_string(i - 5));
        if (i % 15 == 0) (void)w.Query("UPDATE " + db + ".b SET id = id + 10000 WHERE id = " + id);
        if (i == 30) {
          (void)w.Query("START TRANSACTION");
          for (int k = 0; k < 400; ++k)
            (void)w.Query("INSERT INTO " + db + ".b VALUES (" + std::to_string(20000 + k) + ", 'big', " +
                          std::to_string(k) + ")");
          (void)w.Query("COMMIT");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      writing = false;
    });

    store->FailNth(sc.fail_op, sc.fail_nth);
    Logger log(std::string(dir) + "/worker.log");
    pipeline::Progress progress;
    std::atomic<bool> stop{false};
    pipeline::RealtimeStart begin;
    begin.position = *start;
    // Should the injected failure never come, the first run is stopped (and the checks below fail).
    std::atomic<bool> first_done{false};
    std::thread watchdog([&] {
      for (int i = 0; i < 1200 && !first_done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      stop = true;
    });
    auto first = pipeline::RunRealtimeSync(spec, *bound, begin, options, log, progress, stop);
    first_done = true;
    watchdog.join();
    stop = false;
    CHECK(first.status().code() == StatusCode::kUnavailable);  // the injected failure stops the loop
    CHECK(first.status().message().find("injected failure of " + std::string(sc.fail_op)) != std::string::npos);

    // The worker restarts: from the checkpoint the destination has.
    sink::memory::MemorySink reopened(store, task, sc.mode);
    auto checkpoint = reopened.LoadCheckpoint();
    REQUIRE(checkpoint.ok());
    pipeline::RealtimeStart again;
    again.position = checkpoint->value_or(*start);
    std::thread stopper([&] {
      while (writing) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto w = Source().Admin();
      auto end = mysql::BinlogEnd(w);
      // Stop once the checkpoint reached the source's end.
      for (int i = 0; i < 600 && end.ok(); ++i) {
        auto c = reopened.LoadCheckpoint();
        if (c.ok() && *c && (*c)->Compare(*end) >= 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      stop = true;
    });
    auto second = pipeline::RunRealtimeSync(spec, *bound, again, options, log, progress, stop);
    stopper.join();
    writer.join();
    REQUIRE_MESSAGE(second.ok(), second.status().message());
    CHECK(*second == pipeline::RealtimeEnd::kStopped);
    for (const auto& t : *bound) {
      CAPTURE(t.SourceName());
      auto want = SourceRows(t.SourceName());
      CHECK(want.size() > 50);
      CHECK(DestinationRows(*store, t) == want);
    }
    if (sc.mode == sink::ExactlyOnce::kPerTableLoads) CHECK(store->committed_loads() > 0);
    // The added column reached the destination, filled for the rows before it.
    auto a = store->Table(db, "a");
    REQUIRE(a.has_value());
    int extra = a->ColumnIndex("extra");
    REQUIRE(extra >= 0);
    for (const auto& row : a->rows) CHECK(Text(row[size_t(extra)]) == "7");
  }
}

TEST_CASE("full initialization resumes after a failed chunk commit, keyless tables without duplicates") {
  const std::string db = "mem_init";
  Source().Exec("CREATE DATABASE " + db);
  Source().Exec("CREATE TABLE " + db + ".keyed (id int PRIMARY KEY, v varchar(50), n int)");
  Source().Exec("CREATE TABLE " + db + ".keyless (id int, v varchar(50), n int)");
  for (const char* t : {".keyed", ".keyless"})
    Source().Exec("INSERT INTO " + db + t + " SELECT seq, CONCAT('v', seq), seq % 7 FROM mysql.seq_1_to_2500");
  Source().Exec("INSERT INTO " + db + ".keyless SELECT id, v, n FROM " + db + ".keyless WHERE id <= 100");  // duplicates
  auto spec = Spec(db);
  auto store = std::make_shared<sink::memory::MemoryStore>();
  char dir[] = "/tmp/sync-meminit-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  pipeline::FullInitOptions options;
  options.open_source = SourceFactory(0);
  options.parallelism = 2;
  options.chunk_rows = 300;  // about ten chunks per table
  options.plan_dir = std::string(dir) + "/snapshot";
  options.task_id = "init";
  options.open_sink = [store](const config::TaskSpec&, const std::string& id) -> Result<std::unique_ptr<sink::Sink>> {
    return std::unique_ptr<sink::Sink>(std::make_unique<sink::memory::MemorySink>(store, id));
  };
  auto conn = Source().Admin();
  auto bound = pipeline::BindTables(spec, *Catalog());
  REQUIRE_MESSAGE(bound.ok(), bound.status().message());
  {
    sink::memory::MemorySink setup(store, "init");
    for (const auto& t : *bound) REQUIRE(setup.PrepareTable(t).ok());
  }
  Logger log(std::string(dir) + "/worker.log");
  pipeline::Progress progress;
  std::atomic<bool> stop{false};
  store->FailNth("ChunkCommit", 5);
  auto first = pipeline::RunFullInitialization(spec, *bound, options, log, progress, stop);
  CHECK(first.status().code() == StatusCode::kUnavailable);
  size_t copied_before = 0;
  for (const auto& [name, table] : store->Tables()) copied_before += table.rows.size();
  CHECK(copied_before > 0);
  CHECK(copied_before < 5100);

  auto second = pipeline::RunFullInitialization(spec, *bound, options, log, progress, stop);
  REQUIRE_MESSAGE(second.ok(), second.status().message());
  CHECK(second->size() == 2);
  for (const auto& t : *bound) {
    CAPTURE(t.SourceName());
    CHECK(DestinationRows(*store, t) == SourceRows(t.SourceName()));
  }
}

TEST_CASE("sync apply adds a table while streaming: it is copied, catches up and converges, in both modes") {
  for (auto mode : {sink::ExactlyOnce::kTransactional, sink::ExactlyOnce::kPerTableLoads}) {
    CAPTURE(sink::ExactlyOnceName(mode));
    const std::string db = mode == sink::ExactlyOnce::kTransactional ? "mem_apply_tx" : "mem_apply_loads";
    Source().Exec("CREATE DATABASE " + db);
    for (const char* t : {".a", ".b"}) {
      Source().Exec("CREATE TABLE " + db + t + " (id int PRIMARY KEY, v varchar(50), n int)");
      Source().Exec("INSERT INTO " + db + t + " SELECT seq, CONCAT('v', seq), 0 FROM mysql.seq_1_to_1500");
    }
    char dir[] = "/tmp/sync-memapply-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string home = std::string(dir) + "/home";
    auto yaml = [&](const std::string& tables) {
      return "name: apply-" + db + "\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(Source().port()) +
             "\n  user: root\n  password: " + MariaDbServer::kRootPassword +
             "\n  server_id: 7302\n  tables: [" + tables + "]\ndestination:\n  type: postgres\n  host: 127.0.0.1\n"
             "  database: dw\n  user: nobody\n";
    };
    auto store = state::TaskStore::Open(home);
    REQUIRE(store.ok());
    auto first_spec = config::ParseTaskSpec(yaml(db + ".a"), "task.yaml");
    REQUIRE_MESSAGE(first_spec.ok(), first_spec.status().message());
    auto task = store->Create(yaml(db + ".a"), *first_spec, 1000);
    REQUIRE_MESSAGE(task.ok(), task.status().message());
    const std::string id = task->dir.id;
    auto memory = std::make_shared<sink::memory::MemoryStore>();

    pipeline::RealtimeOptions options;
    options.batch_rows = 200;
    options.flush_ms = 100;
    options.task_id = id;
    options.home = home;
    options.schema_file = task->dir.SchemaFile();
    options.init.open_source = SourceFactory(7302);
    options.init.plan_dir = task->dir.SnapshotDir();
    options.init.task_id = id;
    options.init.chunk_rows = 400;
    options.init.parallelism = 2;
    options.init.open_sink = [memory, mode](const config::TaskSpec&, const std::string& task_id)
        -> Result<std::unique_ptr<sink::Sink>> {
      return std::unique_ptr<sink::Sink>(std::make_unique<sink::memory::MemorySink>(memory, task_id, mode));
    };
    std::atomic<bool> reload{false};
    options.reload = &reload;

    // Table a is copied first, as the worker's full initialization would.
    auto conn = Source().Admin();
    auto bound = pipeline::BindTables(*first_spec, *Catalog());
    REQUIRE_MESSAGE(bound.ok(), bound.status().message());
    REQUIRE(bound->size() == 1);
    {
      sink::memory::MemorySink setup(memory, id, mode);
      REQUIRE(setup.PrepareTable((*bound)[0]).ok());
    }
    Logger log(std::string(dir) + "/worker.log");
    pipeline::Progress progress;
    std::atomic<bool> stop{false};
    auto copied = pipeline::RunFullInitialization(*first_spec, *bound, options.init, log, progress, stop);
    REQUIRE_MESSAGE(copied.ok(), copied.status().message());
    pipeline::RealtimeStart begin;
    begin.position = copied->begin()->second;

    std::atomic<bool> writing{true};
    std::thread writer([&] {
      auto w = Source().Admin();
      for (int i = 1; i <= 200; ++i) {
        for (const char* t : {".a", ".b"}) {
          (void)w.Query("UPDATE " + db + t + " SET n = n + 1 WHERE id = " + std::to_string(i * 7));
          (void)w.Query("INSERT INTO " + db + t + " VALUES (" + std::to_string(5000 + i) + ", 'new', " +
                        std::to_string(i) + ")");
        }
        if (i % 20 == 0) (void)w.Query("DELETE FROM " + db + ".b WHERE id = " + std::to_string(i));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      writing = false;
    });
    std::thread applier([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      auto s = state::TaskStore::Open(home);
      auto t = s->Find(id);
      auto next = config::ParseTaskSpec(yaml(db + ".a, " + db + ".b"), "task.yaml");
      REQUIRE(next.ok());
      REQUIRE(s->SaveSpec(*t, yaml(db + ".a, " + db + ".b"), *next).ok());
      reload = true;  // what SIGHUP from `sync apply` does
    });
    std::thread stopper([&] {
      applier.join();
      while (writing) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto w = Source().Admin();
      auto end = mysql::BinlogEnd(w);
      sink::memory::MemorySink reader(memory, id, mode);
      for (int i = 0; i < 600 && end.ok(); ++i) {
        auto c = reader.LoadCheckpoint();
        auto positions = reader.LoadTablePositions();
        if (c.ok() && *c && (*c)->Compare(*end) >= 0 && positions.ok() && positions->empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      stop = true;
    });
    auto end = pipeline::RunRealtimeSync(*first_spec, *bound, begin, options, log, progress, stop);
    stopper.join();
    writer.join();
    REQUIRE_MESSAGE(end.ok(), end.status().message());
    for (const char* t : {"a", "b"}) {
      CAPTURE(t);
      auto table = memory->Table(db, t);
      REQUIRE(table.has_value());
      sink::TableBinding b;
      b.dest_schema = db;
      b.dest_table = t;
      CHECK(DestinationRows(*memory, b) == SourceRows(db + "." + t));
    }
    sink::memory::MemorySink reader(memory, id, mode);
    CHECK(reader.LoadTablePositions()->empty());  // the added table caught up
  }
}
