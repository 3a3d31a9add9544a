#!/usr/bin/env bash
# Builds the benchmarks in Release mode and runs them; each prints a ratio
# against its peer measured in the same run. Usage: bench/run.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-release sync source_bench
./build-release/bench/source_bench "${1:-1000000}"
