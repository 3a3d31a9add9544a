#!/usr/bin/env bash
# The README's main job: builds sync, starts a throwaway MariaDB (binlog on, ROW)
# and PostgreSQL on 127.0.0.1, loads the Sakila sample database into MariaDB,
# creates a task, starts it (schema migration, full initialization, real-time
# sync), changes rows in MariaDB and shows them arriving in PostgreSQL and in
# `sync status`, then stops the task.
#   --keep   leave the servers running (their directory and ports are printed)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
keep=0
[ "${1:-}" = "--keep" ] && keep=1

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
    echo "servers left running: MariaDB 127.0.0.1:$MY_PORT, PostgreSQL 127.0.0.1:$PG_PORT, files in $work"
    return
  fi
  [ -f "$work/mysqld.pid" ] && kill "$(cat "$work/mysqld.pid")" 2>/dev/null || true
  "${run_pg[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
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

step "starting PostgreSQL on 127.0.0.1:$PG_PORT"
echo postgres-pw > "$work/pwfile"
chmod 644 "$work/pwfile"
"${run_pg[@]}" /usr/lib/postgresql/15/bin/initdb -D "$work/pg" -U postgres --pwfile="$work/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 >/dev/null
"${run_pg[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1" start >/dev/null

step "loading the Sakila sample database and creating the replication user"
mariadb -S "$work/mysqld.sock" < ../shared/data/sakila/sakila-schema.sql
mariadb -S "$work/mysqld.sock" < ../shared/data/sakila/sakila-data.sql
mariadb -S "$work/mysqld.sock" -e "
  CREATE USER 'repl'@'%' IDENTIFIED BY 'repl-pw';
  GRANT REPLICATION SLAVE, REPLICATION CLIENT, REPLICATION MASTER ADMIN ON *.* TO 'repl'@'%';
  GRANT SELECT ON sakila.* TO 'repl'@'%';"
PGPASSWORD=postgres-pw psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE ROLE loader LOGIN PASSWORD 'loader-pw'" \
  -c "CREATE DATABASE dw" -c "GRANT CREATE ON DATABASE dw TO loader"

export SYNC_HOME="$work/sync-home"
export SRC_PW=repl-pw DST_PW=loader-pw
cat > "$work/task.yaml" <<YAML
name: sakila-to-postgres
source:
  type: mysql
  host: 127.0.0.1
  port: $MY_PORT
  user: repl
  password: \${env:SRC_PW}
  server_id: 5401
  tables: [sakila.*]
destination:
  type: postgres
  host: 127.0.0.1
  port: $PG_PORT
  database: dw
  user: loader
  password: \${env:DST_PW}
mapping:
  schema: "ods_\${DB_NAME_SRC}"
YAML

step "sync create -f task.yaml"
cat "$work/task.yaml"
ID=$("$SYNC" create -f "$work/task.yaml")
echo "task id: $ID"

step "sync check $ID"
"$SYNC" check "$ID"

step "sync status $ID"
"$SYNC" status "$ID"

pg() { PGPASSWORD=loader-pw psql -h 127.0.0.1 -p "$PG_PORT" -U loader -d dw -Atc "$1"; }
my() { mariadb -S "$work/mysqld.sock" -Nse "$1"; }

step "sync start $ID"
"$SYNC" start "$ID"

step "waiting for the full initialization (16 tables)"
for _ in $(seq 300); do
  state=$("$SYNC" status "$ID" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["steps"]["realtime_sync"]["state"])')
  [ "$state" = running ] && break
  sleep 0.2
done
"$SYNC" status "$ID"
echo
echo "rows in MariaDB sakila.payment:      $(my 'SELECT COUNT(*) FROM sakila.payment')"
echo "rows in PostgreSQL ods_sakila.payment: $(pg 'SELECT count(*) FROM ods_sakila.payment')"

step "changing rows in MariaDB"
my "INSERT INTO sakila.actor (first_name, last_name) VALUES ('GRACE', 'HOPPER');
    UPDATE sakila.film SET rental_rate = rental_rate + 1 WHERE film_id <= 10;
    DELETE FROM sakila.payment WHERE payment_id <= 5;"
echo "MariaDB:    actor GRACE HOPPER: $(my "SELECT COUNT(*) FROM sakila.actor WHERE first_name='GRACE' AND last_name='HOPPER'"), film 1 rental_rate: $(my 'SELECT rental_rate FROM sakila.film WHERE film_id=1'), payments: $(my 'SELECT COUNT(*) FROM sakila.payment')"
sleep 2
echo "PostgreSQL: actor GRACE HOPPER: $(pg "SELECT count(*) FROM ods_sakila.actor WHERE first_name='GRACE' AND last_name='HOPPER'"), film 1 rental_rate: $(pg 'SELECT rental_rate FROM ods_sakila.film WHERE film_id=1'), payments: $(pg 'SELECT count(*) FROM ods_sakila.payment')"

step "sync status $ID"
"$SYNC" status "$ID"

step "sync logs $ID"
"$SYNC" logs -n 8 "$ID"

step "sync stop $ID"
"$SYNC" stop "$ID"
"$SYNC" list
