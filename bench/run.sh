#!/usr/bin/env bash
# Builds the benchmarks in Release mode and runs them; each prints a ratio
# against its peer measured in the same run.
# Usage: bench/run.sh [rows=1000000] [lag_seconds=60] [lag_rows_per_second=5000] [starrocks_rows=1000000]
#                     [maxcompute_rows=1000000]
#   e.g. bench/run.sh 50000 10   for a quick smoke run.
# Set SYNC_BENCH_SKIP_DEPS=1 to skip the package installation.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
lag_seconds="${2:-60}"
lag_rate="${3:-5000}"
# About 8 minutes at 1M rows: the StarRocks emulator is Python.
sr_rows="${4:-1000000}"
mc_rows="${5:-1000000}"
if [ -z "${SYNC_BENCH_SKIP_DEPS:-}" ]; then
  ./scripts/install-deps.sh
fi
# pgloader is a benchmark-only peer (postgres_bench), not a build or test dependency.
if ! command -v pgloader >/dev/null; then
  sudo_=""
  [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y pgloader
fi
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-release sync source_bench postgres_bench starrocks_bench maxcompute_bench shaping_bench init_bench scale_bench data_scale_bench realtime_bench
./build-release/bench/source_bench "$rows"
./build-release/bench/postgres_bench "$rows" "$lag_seconds" "$lag_rate"
./build-release/bench/init_bench "$rows"
./build-release/bench/starrocks_bench "$sr_rows"
./build-release/bench/maxcompute_bench "$mc_rows"
./build-release/bench/shaping_bench "$rows"
./build-release/bench/scale_bench 200,2000 2000
# Small sizes; the documented runs (bench/README.md) are blob 300, columns 100000, big 50000000.
./build-release/bench/data_scale_bench blob 30
./build-release/bench/data_scale_bench columns 10000
./build-release/bench/data_scale_bench big 2000000
# The ramp and the backlog rate of sync and the replica (about 9 minutes).
./build-release/bench/realtime_bench 20 2000,4000,8000,12000 4 6 sync,replica,parallel 300000
