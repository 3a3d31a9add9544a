// MySQL -> MaxCompute benchmarks of the whole product (the `sync` CLI and its
// worker) on one real MariaDB and the MaxCompute emulator
// (tests/emulators/maxcompute/, started as the end-to-end test starts it: a
// new project p1 in Asia/Shanghai), against the physical limit of that
// endpoint measured in the same run: `curl` sending the same encoded bytes.
//  1. full initialization of N rows (default 1M) of the 10-column mixed table
//     of postgres_bench.cpp, from `sync start` until `sync status` reports
//     real-time sync running; against a batch upload session into an
//     identical empty Delta table: the session created, each block (a record
//     stream of ~16 MB rendered by the sink's encoder, deflated as the sink
//     sends it) PUT by curl, the session committed;
//  2. real-time apply of one `UPDATE b.mixed SET i = i + 1` (N rows), from
//     the statement's start (its own time is printed) until the worker has
//     applied N rows, as starrocks_bench measures it; against an
//     upsert session on the same table: its after-images as upsert records,
//     one pack of up to ~16 MB per bucket as the sink groups them, PUT by
//     curl to the slot's server, the session committed;
//  3. the encoder alone: rows rendered to records per second and MB/s (and
//     the deflate's MB/s).
// curl cannot sign ODPS requests: each PUT carries the headers the sink's
// client sends (mc_client.cpp), signed with the project's signer
// (mc_signature.hpp); the emulator verifies them. Sessions are created and
// committed with the sink's client (maxcompute::Client, UpsertSession). The
// worker's peak memory (VmHWM) and CPU are reported after each phase. The
// emulator is Python: both sides of each ratio pay its cost, so the ratio is
// sync's overhead on top of the endpoint, not MaxCompute's speed; the
// emulator's CPU seconds for each side show how much of a difference is the
// work sync asks of it, and how much the load of a shared machine.
//
// Usage: maxcompute_bench [rows=1000000] [runtime]
//   runtime: the task's runtime settings as a YAML flow mapping, e.g.
//   '{batch_rows: 20000}' (default: the MaxCompute destination's own).

#include <cstdio>
#include <map>
#include <memory>

#include "bench_util.hpp"
#include "harness/maxcompute_emulator.hpp"
#include "sink/maxcompute/mc_bucket_hash.hpp"
#include "sink/maxcompute/mc_client.hpp"
#include "sink/maxcompute/mc_record_encoder.hpp"
#include "sink/maxcompute/mc_schema_change.hpp"
#include "sink/maxcompute/mc_signature.hpp"
#include "sink/maxcompute/mc_types.hpp"
#include "sink/maxcompute/mc_upsert.hpp"

using namespace dbsync;
using namespace dbsync::testing;
using bench::Clock;
using bench::Seconds;
namespace mc = dbsync::maxcompute;

namespace {

// The sink's block and pack size (mc_sink.cpp kBlockBytes).
constexpr size_t kBlockBytes = 16 << 20;
constexpr const char* kZone = "Asia/Shanghai";

template <typename T>
T Check(Result<T> r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + ": " + r.status().message());
  return std::move(r).value();
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) throw std::runtime_error(what + ": " + s.message());
}

// The sink's client settings (OpenMaxComputeSink: endpoint, project and key
// given, the rest default: request timeout, polls, retries) for the emulator.
mc::ClientOptions SinkClientOptions(const MaxComputeEmulator& e) {
  auto harness = e.ClientOptions();
  mc::ClientOptions o;
  o.endpoint = harness.endpoint;
  o.project = harness.project;
  o.key = harness.key;
  return o;
}

struct Bench {
  MariaDbServer my{{"--innodb-buffer-pool-size=512M", "--innodb-flush-log-at-trx-commit=0", "--sync-binlog=0"}};
  MaxComputeEmulator mc{{"--project", "p1:1", "--timezone", kZone}};
  SyncCli cli;
  mc::Client client{SinkClientOptions(mc)};
  // Polled every 500 ms: each poll is a process, on two cores the emulator
  // shares (the worker writes its status once a second).
  bench::CliTask task{cli, "bench", std::chrono::milliseconds(500)};
  int emulator_pid = bench::ChildPid("maxcompute/emulator.py");

  // The emulator's CPU seconds so far: both sides of a ratio ask it for work.
  double EmulatorCpu() const { return bench::ProcessCpuSeconds(emulator_pid); }
};

// The wall seconds of a peer's session: created, packs PUT by curl, committed.
struct PeerSeconds {
  double create = 0, put = 0, commit = 0;
  double total() const { return create + put + commit; }
  std::string ToString() const {
    char text[200];
    std::snprintf(text, sizeof text, "%.2f s (session %.2f s, PUTs %.2f s, commit %.2f s)", total(), create, put,
                  commit);
    return text;
  }
};

// One record stream as curl sends it: a block (bucket -1) or an upsert pack.
struct Pack {
  int bucket = -1;
  int64_t records = 0;
  std::string raw;       // the record stream
  std::string deflated;  // the PUT's body (Content-Encoding: deflate), as the sink sends it
  std::string file;      // the body, for curl
};

// Record streams cut at ~16 MB after a record, one series per bucket.
class Streams {
 public:
  mc::RecordStreamWriter& Of(int bucket) {
    Open& o = open_[bucket];
    if (!o.writer) o.writer = std::make_unique<mc::RecordStreamWriter>(&o.bytes);
    return *o.writer;
  }
  void CutIfFull(int bucket) {
    if (open_[bucket].bytes.size() >= kBlockBytes) Cut(bucket);
  }
  std::vector<Pack> Finish() {
    for (auto& [bucket, o] : open_)
      if (o.writer && o.writer->record_count() > 0) Cut(bucket);
    return std::move(done_);
  }

 private:
  struct Open {
    std::string bytes;
    std::unique_ptr<mc::RecordStreamWriter> writer;
  };
  void Cut(int bucket) {
    Open& o = open_[bucket];
    o.writer->Finish();
    done_.push_back({bucket, o.writer->record_count(), std::move(o.bytes), "", ""});
    o.bytes = std::string();
    o.writer.reset();
  }
  std::map<int, Open> open_;
  std::vector<Pack> done_;
};

// The table's rows rendered as the sink renders them: records for a batch
// upload, or upsert records grouped by `upsert`'s buckets. Returns the
// encoding seconds.
double Encode(const bench::SourceTable& source, const std::vector<mc::McColumn>& columns,
              const mc::UpsertSession* upsert, std::vector<Pack>* packs) {
  mc::RowEncoder encoder(Check(mc::TimeZone::Load(kZone), "loading the project's zone"));
  int key = -1;  // the hash key: the table's BIGINT id (the sink's KeyHash for integers)
  if (upsert) {
    if (upsert->hash_key().size() != 1) throw std::runtime_error("expected one hash key column");
    for (const auto& c : columns)
      if (c.name == upsert->hash_key()[0]) key = c.source_index;
  }
  Streams streams;
  auto start = Clock::now();
  for (const auto& row : source.rows) {
    int bucket = -1;
    Status s;
    if (upsert) {
      int32_t hash = mc::HashInteger(row[size_t(key)].as<int64_t>());
      bucket = mc::BucketOf(mc::RecordHash({&hash, 1}), upsert->bucket_count());
      s = encoder.AppendUpsert(row, columns, mc::UpsertOperation::kUpsert, &streams.Of(bucket));
    } else {
      s = encoder.AppendRow(row, columns, &streams.Of(bucket));
    }
    Check(s, "encoding a row");
    streams.CutIfFull(bucket);
  }
  *packs = streams.Finish();
  return Seconds(start);
}

// Deflates each pack as the sink's client does and writes the body for
// curl; returns the deflating seconds.
double Deflate(Bench& b, const std::string& name, std::vector<Pack>* packs) {
  double seconds = 0;
  for (size_t i = 0; i < packs->size(); ++i) {
    Pack& p = (*packs)[i];
    auto start = Clock::now();
    p.deflated = Check(mc::Deflate(p.raw, b.client.options().deflate_level), "deflating");
    seconds += Seconds(start);
    p.file = b.cli.dir() + "/" + name + "-" + std::to_string(i) + ".bin";
    WriteText(p.file, p.deflated);
  }
  return seconds;
}

size_t TotalBytes(const std::vector<Pack>& packs, std::string Pack::*field) {
  size_t n = 0;
  for (const auto& p : packs) n += (p.*field).size();
  return n;
}

// PUTs `pack` with curl to the tunnel resource `resource`, with the headers
// mc_client.cpp sends and signs (Client::SendOnce, TunnelCall): Date,
// User-Agent, x-odps-user-agent, Content-MD5 (hex), the tunnel's headers,
// Content-Type, `extra`, Content-Encoding, and the V2 Authorization over
// them; curr_project last in the query. Returns the seconds curl took.
double CurlPut(Bench& b, const std::string& resource, std::vector<std::pair<std::string, std::string>> query,
               const Pack& pack, const mc::HeaderList& extra = {}) {
  const auto& o = b.client.options();
  query.emplace_back("curr_project", o.project);
  std::string target = resource;
  for (size_t i = 0; i < query.size(); ++i)
    target += (i == 0 ? "?" : "&") + mc::PercentEncode(query[i].first) + "=" + mc::PercentEncode(query[i].second);
  mc::HeaderList headers = {{"Date", mc::HttpDate(std::chrono::system_clock::now())},
                            {"User-Agent", o.user_agent},
                            {"x-odps-user-agent", o.user_agent},
                            {"Content-MD5", mc::HexMd5(pack.deflated)},
                            {"x-odps-tunnel-version", "6"},
                            {"odps-tunnel-date-transform", "v1"},
                            {"Content-Type", "application/octet-stream"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  headers.emplace_back("Content-Encoding", "deflate");
  headers.emplace_back("Authorization", mc::AuthorizationV2(o.key, mc::CanonicalString("PUT", headers, target)));
  std::vector<std::string> argv = {"curl", "-sS", "-X", "PUT", "-T", pack.file, "-w", "\n%{http_code}"};
  for (const auto& [name, value] : headers) {
    argv.push_back("-H");
    argv.push_back(name + ": " + value);
  }
  argv.push_back(Check(b.client.TunnelEndpoint(), "tunnel discovery") + target);
  auto start = Clock::now();
  auto r = RunProcess(argv);
  double seconds = Seconds(start);
  std::string code = r.out.substr(r.out.rfind('\n') + 1);
  if (r.exit_code != 0 || code != "200")
    throw std::runtime_error("curl PUT " + target + " failed (" + code + "): " + r.out.substr(0, 2000) +
                             r.err.substr(0, 2000));
  return seconds;
}

// 1(b): a batch upload session into `table`: created, each block PUT by
// curl, committed.
PeerSeconds CurlBatchUpload(Bench& b, const std::string& table, const std::vector<Pack>& blocks) {
  PeerSeconds t;
  auto start = Clock::now();
  auto session = Check(b.client.CreateUploadSession({table, ""}), "creating an upload session");
  t.create = Seconds(start);
  std::vector<int64_t> ids;
  for (const auto& block : blocks) {
    int64_t id = int64_t(ids.size());
    t.put += CurlPut(b, "/projects/" + b.client.options().project + "/tables/" + table,
                     {{"uploadid", session.id}, {"blockid", std::to_string(id)}}, block);
    ids.push_back(id);
  }
  start = Clock::now();
  (void)Check(b.client.CommitUploadSession(session, ids), "committing the upload session");
  t.commit = Seconds(start);
  return t;
}

// 2's peer: the packs of `session` PUT by curl to their slots' servers (as
// mc_upsert.cpp sends them), then the session committed.
void CurlUpsert(Bench& b, mc::UpsertSession& session, const std::vector<Pack>& packs, PeerSeconds* t) {
  for (const auto& pack : packs) {
    const mc::UpsertSlot* slot = nullptr;
    for (const auto& s : session.slots())
      for (int bucket : s.buckets)
        if (bucket == pack.bucket) slot = &s;
    if (!slot) throw std::runtime_error("no slot holds bucket " + std::to_string(pack.bucket));
    t->put += CurlPut(b, "/projects/" + b.client.options().project + "/tables/" + session.target().table + "/upserts",
                      {{"upsertid", session.id()},
                       {"bucketid", std::to_string(pack.bucket)},
                       {"slotid", slot->id},
                       {"record_count", std::to_string(pack.records)}},
                      pack, {{"odps-tunnel-routed-server", slot->worker}});
  }
  auto start = Clock::now();
  (void)Check(session.Commit(), "committing the upsert session");
  t->commit = Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 1000000;
  std::string runtime = argc > 2 ? argv[2] : "";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a file
  try {
    std::printf("starting MariaDB and the MaxCompute emulator, loading %d rows%s...\n", rows,
                runtime.empty() ? "" : (", runtime " + runtime).c_str());
    Bench b;
    bench::CreateMixedTable(b.my, rows);
    auto source = bench::ReadSourceTable(b.my, "b", "mixed");
    auto columns = Check(mc::MapColumns(source.schema, source.schema.primary_key), "mapping b.mixed");

    // ---- 3. the encoder, and the blocks curl sends in 1(b).
    std::vector<Pack> blocks;
    double encode_s = Encode(source, columns, nullptr, &blocks);
    double deflate_s = Deflate(b, "block", &blocks);
    size_t raw = TotalBytes(blocks, &Pack::raw), deflated = TotalBytes(blocks, &Pack::deflated);
    std::printf("encoder: %zu rows -> %.1f MB of records in %.2f s: %.0f rows/s, %.0f MB/s\n", source.rows.size(),
                raw / 1e6, encode_s, source.rows.size() / encode_s, raw / 1e6 / encode_s);
    std::printf("deflate (level %d): %.1f MB -> %.1f MB in %.2f s: %.0f MB/s\n", b.client.options().deflate_level,
                raw / 1e6, deflated / 1e6, deflate_s, raw / 1e6 / deflate_s);

    // ---- 1(b) curl: the same bytes into an identical empty table.
    Check(b.client.RunSql(mc::CreateTableSql("mixed_curl", columns, source.schema.primary_key)).status(),
          "creating mixed_curl");
    double cpu = b.EmulatorCpu();
    auto curl = CurlBatchUpload(b, "mixed_curl", blocks);
    double curl_s = curl.total();
    std::printf("1(b) curl: upload session, PUT of the same %zu blocks, commit: %s; emulator CPU %.1f s\n",
                blocks.size(), curl.ToString().c_str(), b.EmulatorCpu() - cpu);
    // The emulator rewrites the project's file (every table's rows) on each
    // commit: dropped, so that sync's commits do not pay for the peer's rows.
    Check(b.client.RunSql("DROP TABLE mixed_curl").status(), "dropping mixed_curl");
    blocks.clear();

    // ---- 1(a) sync: full initialization.
    std::string yaml = "name: bench\nsource:\n  host: 127.0.0.1\n  port: " + std::to_string(b.my.port()) +
                       "\n  user: root\n  password: " + MariaDbServer::kRootPassword +
                       "\n  server_id: 7777\n  tables: [b.mixed]\ndestination:\n  type: maxcompute\n  endpoint: " +
                       b.mc.endpoint() + "\n  project: p1\n  access_id: " + MaxComputeEmulator::kAccessId +
                       "\n  access_key: " + MaxComputeEmulator::kAccessKey + "\n" +
                       (runtime.empty() ? "" : "runtime: " + runtime + "\n");
    cpu = b.EmulatorCpu();
    double init_s = b.task.CreateAndStart(yaml);
    std::printf("1(a) sync full initialization of %d rows: %.2f s (%.0f rows/s); emulator CPU %.1f s\n", rows, init_s,
                rows / init_s, b.EmulatorCpu() - cpu);
    std::printf("RATIO full initialization: sync / curl = %.2fx\n", init_s / curl_s);
    std::printf("worker peak memory after full initialization (VmHWM): %.0f MB; worker CPU %.1f s\n",
                b.task.WorkerPeakMb(), bench::ProcessCpuSeconds(b.task.WorkerPid()));

    // ---- 2. real-time apply of one large UPDATE, and curl of its after-images.
    double statement_s = 0;
    cpu = b.EmulatorCpu();
    double apply_s = b.task.ApplyAndWait(b.my, "UPDATE b.mixed SET i = i + 1", rows, &statement_s);
    std::printf("2 sync real-time apply of a %d-row UPDATE: %.2f s (of which the UPDATE itself %.2f s); emulator CPU "
                "%.1f s\n", rows, apply_s, statement_s, b.EmulatorCpu() - cpu);
    std::printf("worker peak memory after real-time apply (VmHWM): %.0f MB; worker CPU %.1f s in all\n",
                b.task.WorkerPeakMb(), bench::ProcessCpuSeconds(b.task.WorkerPid()));
    // The peer: the same after-images into the same table, as upserts.
    auto after = bench::ReadSourceTable(b.my, "b", "mixed");
    PeerSeconds upsert;
    cpu = b.EmulatorCpu();
    auto start = Clock::now();
    auto session = Check(mc::UpsertSession::Create(b.client, {"mixed", ""}), "creating an upsert session");
    upsert.create = Seconds(start);
    std::vector<Pack> packs;
    (void)Encode(after, columns, &session, &packs);
    (void)Deflate(b, "pack", &packs);
    CurlUpsert(b, session, packs, &upsert);
    double curl_apply_s = upsert.total();
    std::printf("2 curl: upsert session, PUT of %zu packs (%d buckets, %.1f MB), commit: %s; emulator CPU %.1f s\n",
                packs.size(), session.bucket_count(), TotalBytes(packs, &Pack::deflated) / 1e6,
                upsert.ToString().c_str(), b.EmulatorCpu() - cpu);
    std::printf("RATIO real-time apply: sync / curl = %.2fx\n", apply_s / curl_apply_s);
    (void)b.cli.Run({"stop", "bench"});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "maxcompute_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
