#!/bin/bash
# An experiment for bench/README.md (realtime_bench, "writers on one core"): run it beside
# realtime_bench so that the writers cannot take the consumer's core.
# Pins the writers' side (realtime_bench, the source mariadbd) to CPU 0 and the consumer's side
# (sync-worker, PostgreSQL, the replica mariadbd) to CPU 1, every second, until the bench exits.
while pgrep -x realtime_bench > /dev/null; do
  for p in $(pgrep -x realtime_bench); do taskset -a -p -c 0 $p > /dev/null 2>&1; done
  for p in $(pgrep -x mariadbd); do
    if tr '\0' ' ' < /proc/$p/cmdline | grep -q -- "--server-id=2"; then taskset -a -p -c 1 $p > /dev/null 2>&1; else taskset -a -p -c 0 $p > /dev/null 2>&1; fi
  done
  for p in $(pgrep -x postgres) $(pgrep -x sync-worker); do taskset -a -p -c 1 $p > /dev/null 2>&1; done
  sleep 1
done
