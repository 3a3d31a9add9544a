#!/usr/bin/env bash
# The long fuzzing run of bench/README.md ("Fuzzing"): each libFuzzer target
# in turn (one process at a time), until 10,000,000 executions or SECONDS
# seconds, whichever comes first, from a copy of its seeds; then one table
# line per target. A crash or sanitizer report stops that target's run and
# leaves its input in WORK/<target>-crash-*; the next target still runs.
#
#   tests/fuzz/long-run.sh BUILD_DIR WORK_DIR [SECONDS] [TARGET...]
#
# BUILD_DIR is a clang build configured as in tests/fuzz/CMakeLists.txt.
# binlog_decoder's seeds are the binlog fixtures cut at event boundaries
# (tests/fuzz/binlog-seeds.py: a small binlog per run of events, with its
# format description and table maps), its inputs at most 64 KiB: whole files
# of up to 1.4 MB made each execution decode and print the whole file.
# ASan keeps no allocation stacks (malloc_context_size=0): recording one per
# malloc and free took a tenth of the time; every error is still reported, and
# replaying the crash input without that option gives the stacks.
# FUZZ_TIMEOUT (seconds, 25 by default) is libFuzzer's -timeout for one
# input; it counts wall time, so a run paused with SIGSTOP (to benchmark on a
# quiet machine) reports a timeout on resuming unless the pause is shorter.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "$1"); work=$(realpath -m "$2"); seconds=${3:-1500}
shift $(( $# < 3 ? $# : 3 ))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(binlog_decoder ddl_parser task_spec starrocks_response maxcompute_response)
shared=${SYNC_SHARED_DIR:-../shared}
mkdir -p "$work"
for t in "${targets[@]}"; do
  seeds=(tests/fuzz/corpus/$t)
  options=()
  if [ "$t" = binlog_decoder ]; then
    rm -rf "$work/$t-seeds"
    tests/fuzz/binlog-seeds.py "$work/$t-seeds" "$shared/fixtures/binlog" tests/data/binlog || exit 1
    seeds=("$work/$t-seeds")
    options=(-max_len=65536)
  fi
  if [ "$t" = task_spec ]; then  # the example task files, not the SQL beside them
    rm -rf "$work/$t-seeds" && mkdir -p "$work/$t-seeds" && cp examples/*.yaml "$work/$t-seeds/"
    seeds+=("$work/$t-seeds")
  fi
  rm -rf "$work/$t" && mkdir -p "$work/$t"
  start=$(date +%s)
  ASAN_OPTIONS=malloc_context_size=0 UBSAN_OPTIONS=print_stacktrace=1 nice -n 19 "$build/tests/fuzz/${t}_fuzz" \
    -runs=10000000 -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-25}" -print_final_stats=1 "${options[@]}" \
    -artifact_prefix="$work/$t-" "$work/$t" "${seeds[@]}" >"$work/$t.log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
  [ -z "$runs" ] && runs=$(grep -oE '^#[0-9]+' "$work/$t.log" | tail -1 | tr -d '#')
  crashes=$(find "$work" -maxdepth 1 -type f \( -name "$t-crash-*" -o -name "$t-leak-*" -o -name "$t-timeout-*" \
    -o -name "$t-oom-*" \) | wc -l)
  reports=$(grep -cE 'runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$work/$t.log")
  start_corpus=$(sed -n 's/.*INITED.* corp: \([0-9]*\).*/\1/p' "$work/$t.log" | head -1)
  printf '%s rc=%s executions=%s seconds=%s exec/s=%s crashes=%s reports=%s corpus=%s->%s\n' "$t" "$rc" \
    "${runs:-0}" "$elapsed" "$(( ${runs:-0} / (elapsed > 0 ? elapsed : 1) ))" "$crashes" "$reports" \
    "${start_corpus:-?}" "$(ls "$work/$t" | wc -l)"
done
