#!/usr/bin/env bash
# The README's main job: builds sync, starts a throwaway MariaDB (binlog on, ROW)
# and PostgreSQL (or the StarRocks or MaxCompute emulator) on 127.0.0.1, loads the sample store database
# (examples/sample-store.sql: six tables, about 350,000 rows, generated) into MariaDB,
# creates a task, starts it (schema migration, full initialization, real-time
# sync), changes rows in MariaDB and shows them arriving in PostgreSQL and in
# `sync status`, then stops the task.
#   --keep            leave the servers running (their directory and ports are printed)
#   --to starrocks    sync into StarRocks instead: the StarRocks emulator of
#                     tests/emulators/starrocks/ (Python's standard library)
#                     stands in for a cluster
#   --to maxcompute   sync into MaxCompute instead: the MaxCompute emulator of
#                     tests/emulators/maxcompute/ (Python's standard library)
#                     stands in for the service, as project p1 in Asia/Shanghai;
#                     the rows are shown with its admin SQL hook
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
keep=0
to=postgres
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --to) to="${2:-}"; shift ;;
    *) echo "usage: $0 [--keep] [--to postgres|starrocks|maxcompute]" >&2; exit 2 ;;
  esac
  shift
done
case "$to" in postgres|starrocks|maxcompute) ;; *) echo "--to takes postgres, starrocks or maxcompute" >&2; exit 2 ;; esac

./scripts/install-deps.sh
if [ ! -x build/apps/sync/sync ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C build sync >/dev/null
SYNC="$root/build/apps/sync/sync"

work=$(mktemp -d /tmp/sync-quickstart-XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MY_PORT=$(free_port)
PG_PORT=$(free_port)
SR_PORT=$(free_port)
SR_HTTP=$(free_port)
SR_BE=$(free_port)
MC_PORT=$(free_port)
as_root_flag=""
run_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_root_flag="--user=root"
  chown postgres:postgres "$work"
  run_pg=(runuser -u postgres --)
fi

cleanup() {
  [ -n "${ID:-}" ] && "$SYNC" stop "$ID" >/dev/null 2>&1 || true
  if [ "$keep" = 1 ]; then
    if [ "$to" = starrocks ]; then
      echo "servers left running: MariaDB 127.0.0.1:$MY_PORT, StarRocks emulator 127.0.0.1:$SR_PORT (HTTP $SR_HTTP), files in $work"
    elif [ "$to" = maxcompute ]; then
      echo "servers left running: MariaDB 127.0.0.1:$MY_PORT, MaxCompute emulator http://127.0.0.1:$MC_PORT/api (project p1), files in $work"
    else
      echo "servers left running: MariaDB 127.0.0.1:$MY_PORT, PostgreSQL 127.0.0.1:$PG_PORT, files in $work"
    fi
    return
  fi
  [ -f "$work/mysqld.pid" ] && kill "$(cat "$work/mysqld.pid")" 2>/dev/null || true
  [ -n "${SR_PID:-}" ] && kill "$SR_PID" 2>/dev/null || true
  [ -n "${MC_PID:-}" ] && kill "$MC_PID" 2>/dev/null || true
  [ "$to" = postgres ] && { "${run_pg[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; }
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "starting MariaDB on 127.0.0.1:$MY_PORT (binlog_format=ROW)"
mkdir -p "$work/mysql"
mariadb-install-db --no-defaults --datadir="$work/mysql" $as_root_flag --skip-test-db >/dev/null
mariadbd --no-defaults --datadir="$work/mysql" --port="$MY_PORT" --bind-address=127.0.0.1 \
  --socket="$work/mysqld.sock" --pid-file="$work/mysqld.pid" --log-bin="$work/mysql/binlog" \
  --server-id=1 --binlog-format=ROW --log-error="$work/mysqld.err" $as_root_flag &
for _ in $(seq 100); do mariadb -S "$work/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done

if [ "$to" = postgres ]; then
  step "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  echo postgres-pw > "$work/pwfile"
  chmod 644 "$work/pwfile"
  "${run_pg[@]}" /usr/lib/postgresql/15/bin/initdb -D "$work/pg" -U postgres --pwfile="$work/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  "${run_pg[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$work/pg" -l "$work/pg.log" -w \
    -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1" start >/dev/null
elif [ "$to" = starrocks ]; then
  step "starting the StarRocks emulator on 127.0.0.1:$SR_PORT (FE HTTP $SR_HTTP)"
  python3 tests/emulators/starrocks/emulator.py --data-dir "$work/starrocks" --query-port "$SR_PORT" \
    --http-port "$SR_HTTP" --be-http-port "$SR_BE" --user root --password sr-pw \
    --ports-file "$work/starrocks.ports" 2>"$work/starrocks.log" &
  SR_PID=$!
  for _ in $(seq 100); do [ -f "$work/starrocks.ports" ] && break; sleep 0.1; done
else
  step "starting the MaxCompute emulator on http://127.0.0.1:$MC_PORT/api (project p1, time zone Asia/Shanghai)"
  python3 tests/emulators/maxcompute/emulator.py --data-dir "$work/maxcompute" --port "$MC_PORT" \
    --ports-file "$work/maxcompute.ports" --timezone Asia/Shanghai 2>"$work/maxcompute.log" &
  MC_PID=$!
  for _ in $(seq 100); do [ -f "$work/maxcompute.ports" ] && break; sleep 0.1; done
fi

step "loading the sample store database (examples/sample-store.sql) and creating the replication user"
mariadb -S "$work/mysqld.sock" < examples/sample-store.sql
mariadb -S "$work/mysqld.sock" -e "
  CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw';
  GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'repl'@'%';
  GRANT SELECT ON store.* TO 'repl'@'%';"
if [ "$to" = postgres ]; then
  PGPASSWORD=postgres-pw psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE ROLE loader LOGIN PASSWORD 'loader-pw'" \
    -c "CREATE DATABASE dw" -c "GRANT CREATE ON DATABASE dw TO loader"
  DST_PW=loader-pw
  destination="type: postgres
  host: 127.0.0.1
  port: $PG_PORT
  database: dw
  user: loader
  password: \${env:DST_PW}"
elif [ "$to" = starrocks ]; then
  DST_PW=sr-pw
  destination="type: starrocks
  host: 127.0.0.1
  port: $SR_PORT
  http_port: $SR_HTTP
  database: ods_store
  user: root
  password: \${env:DST_PW}
  replication_num: 1"
else
  # The emulator's AccessKey pair; the tunnel endpoint is asked of the service.
  DST_PW=testAccessKeySecret
  destination="type: maxcompute
  endpoint: http://127.0.0.1:$MC_PORT/api
  project: p1
  access_id: testAccessId
  access_key: \${env:DST_PW}"
fi
# A MaxCompute project has no schemas: tables are named ods_store_<table> in it.
if [ "$to" = maxcompute ]; then
  mapping='table: "ods_${DB_NAME_SRC}_${TABLE_NAME_SRC}"'
  T=ods_store_
else
  mapping='schema: "ods_${DB_NAME_SRC}"'
  T=ods_store.
fi

export SYNC_HOME="$work/sync-home"
export SRC_PW=repl-pw DST_PW
cat > "$work/task.yaml" <<YAML
name: store-to-$to
source:
  type: mysql
  host: 127.0.0.1
  port: $MY_PORT
  user: repl
  password: \${env:SRC_PW}
  server_id: 5401
  tables: [store.*]
destination:
  $destination
mapping:
  $mapping
YAML

step "sync create -f task.yaml"
cat "$work/task.yaml"
ID=$("$SYNC" create -f "$work/task.yaml")
echo "task id: $ID"

step "sync check $ID"
"$SYNC" check "$ID"

step "sync status $ID"
"$SYNC" status "$ID"

if [ "$to" = postgres ]; then
  dst() { PGPASSWORD=loader-pw psql -h 127.0.0.1 -p "$PG_PORT" -U loader -d dw -Atc "$1"; }
  DST_NAME=PostgreSQL
elif [ "$to" = starrocks ]; then
  dst() { mariadb -h 127.0.0.1 -P "$SR_PORT" -u root -psr-pw -Nse "$1"; }
  DST_NAME=StarRocks
else
  # MaxCompute SQL through the emulator's admin hook (POST /__emulator/sql, no
  # signing): the result is CSV with a header row, NULL as \N.
  dst() {
    python3 - "$MC_PORT" "$1" <<'PY'
import csv, io, json, sys, urllib.request
body = json.dumps({"project": "p1", "query": sys.argv[2] + ";",
                   "settings": {"odps.sql.type.system.odps2": "true", "odps.sql.decimal.odps2": "true"}})
req = urllib.request.Request("http://127.0.0.1:%s/__emulator/sql" % sys.argv[1], body.encode(),
                             {"Content-Type": "application/json"})
answer = json.load(urllib.request.urlopen(req))
if answer.get("status") != "Success":
    sys.exit("MaxCompute SQL failed: %s" % answer.get("result"))
for row in list(csv.reader(io.StringIO(answer["result"])))[1:]:
    print("|".join("NULL" if v == "\\N" else v for v in row))
PY
  }
  DST_NAME=MaxCompute
fi
my() { mariadb -S "$work/mysqld.sock" -Nse "$1"; }

step "sync start $ID"
"$SYNC" start "$ID"

step "waiting for the full initialization (6 tables, about 350,000 rows)"
for _ in $(seq 1500); do
  state=$("$SYNC" status "$ID" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["steps"]["realtime_sync"]["state"])')
  [ "$state" = running ] && break
  sleep 0.2
done
"$SYNC" status "$ID"
echo
echo "rows in MariaDB store.order_items: $(my 'SELECT COUNT(*) FROM store.order_items')"
echo "rows in $DST_NAME ${T}order_items: $(dst "SELECT count(*) FROM ${T}order_items")"

step "changing rows in MariaDB"
my "INSERT INTO store.customers (email, full_name, country, tier, signup_at) VALUES
      ('grace@example.com', 'Grace Hopper', 'US', 'enterprise', '2024-12-09 10:00:00.123');
    UPDATE store.products SET price = price + 1 WHERE id <= 10;
    DELETE FROM store.order_items WHERE order_id <= 5;
    DELETE FROM store.orders WHERE id <= 5;"
echo "MariaDB:    customer Grace Hopper: $(my "SELECT COUNT(*) FROM store.customers WHERE full_name='Grace Hopper'"), product 1 price: $(my 'SELECT price FROM store.products WHERE id=1'), orders: $(my 'SELECT COUNT(*) FROM store.orders')"
# StarRocks batches for flush_ms (5 s by default): few large loads keep its versions few.
# MaxCompute batches for 30 s by default: each batch costs SQL instances and session commits.
waits=150
if [ "$to" = maxcompute ]; then
  waits=600
  echo "(MaxCompute writes a batch every runtime.flush_ms, 30 s by default: waiting for it)"
fi
for _ in $(seq $waits); do
  [ "$(dst "SELECT count(*) FROM ${T}orders")" = "$(my 'SELECT COUNT(*) FROM store.orders')" ] && break
  sleep 0.2
done
echo "$DST_NAME: customer Grace Hopper: $(dst "SELECT count(*) FROM ${T}customers WHERE full_name='Grace Hopper'"), product 1 price: $(dst "SELECT price FROM ${T}products WHERE id=1"), orders: $(dst "SELECT count(*) FROM ${T}orders")"
if [ "$to" = maxcompute ]; then
  # DATETIME is read in the project's time zone, so MaxCompute SQL shows MySQL's wall clock.
  echo "order 6 placed_at: MariaDB $(my 'SELECT placed_at FROM store.orders WHERE id=6'), MaxCompute $(dst "SELECT placed_at FROM ${T}orders WHERE id=6")"
fi

# sync status reads what the worker reports once a second.
for _ in $(seq 50); do
  applied=$("$SYNC" status "$ID" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["steps"]["realtime_sync"].get("rows_applied", 0))')
  [ "${applied:-0}" -gt 0 ] && break
  sleep 0.2
done

step "sync status $ID"
"$SYNC" status "$ID"

step "sync logs $ID"
"$SYNC" logs -n 8 "$ID"

step "sync stop $ID"
"$SYNC" stop "$ID"
"$SYNC" list
