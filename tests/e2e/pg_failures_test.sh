#!/usr/bin/env bash
# PostgreSQL backups that cannot or must not succeed, against a real server: an unreachable
# server, a wrong password, an unknown table, pg_dump dying midway, an extension the target
# lacks, a target older than the source — each gives its own clear error and stores no
# snapshot; and a backup taken while a writer inserts continuously restores exactly the rows
# its manifest counts, with tables written in one transaction still in step.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/pg_lib.sh"

start_pg
REPO="${WORK}/repo"
export LIFEBOAT_PASSWORD=pw LIFEBOAT_REPOSITORY="${REPO}"
expect 0 init --repo "${REPO}"
psql_q postgres "CREATE DATABASE app" >/dev/null
psql_q app "CREATE TABLE users (id serial PRIMARY KEY, name text); INSERT INTO users (name) SELECT 'u' || g FROM generate_series(1, 1000) g" >/dev/null
expect 0 pg backup --repo "${REPO}" --dbname "dbname=app"
assert_eq "$(snapshot_count)" "1" "one good snapshot"

step "a server that is not there"
closed_port=$((PGPORT + 1))
expect 1 pg backup --repo "${REPO}" --dbname "postgresql://postgres@127.0.0.1:${closed_port}/app"
assert_err_contains "cannot connect to PostgreSQL at 127.0.0.1:${closed_port}/app: " "names where"
assert_err_contains "Connection refused" "says why"
assert_err_contains "is the server running" "hints"

step "a wrong password never shows in messages"
expect 1 pg backup --repo "${REPO}" --dbname "postgresql://app:wrong-secret@127.0.0.1:${PGPORT}/app"
assert_err_contains 'password authentication failed for user "app"' "libpq's reason"
assert_err_contains "check the user and password" "hint"
assert_file_lacks "${WORK}/err" "wrong-secret" "the password is not echoed"

step "an unknown table"
expect 1 pg backup --repo "${REPO}" --dbname "dbname=app" --table nosuch
assert_err_contains 'no table matches "nosuch" in database app' "named"
expect 1 pg backup --repo "${REPO}" --dbname "dbname=app" --tier 2
assert_err_contains "the selection leaves no table to back up in database app" "empty tier"
expect 2 pg backup --repo "${REPO}" --dbname "dbname=app" --tier-tables users
assert_err_contains '--tier-tables "users" is not TIER=PATTERN[,PATTERN]' "bad tier rule"
assert_eq "$(snapshot_count)" "1" "no snapshot from failed backups"

step "the password reaches pg_dump through its environment only"
mkdir -p "${WORK}/bin"
cat >"${WORK}/bin/pg_dump" <<SH
#!/bin/sh
echo "\$*" >>"${WORK}/pg_dump.args"
env | grep '^PGPASSWORD=' >>"${WORK}/pg_dump.env" || true
exec "${PG_BIN}/pg_dump" "\$@"
SH
chmod +x "${WORK}/bin/pg_dump"
LIFEBOAT_PG_BINDIR="${WORK}/bin" expect 0 pg backup --repo "${REPO}" \
  --dbname "postgresql://app:app-secret@127.0.0.1:${PGPORT}/app"
assert_file_lacks "${WORK}/pg_dump.args" "app-secret" "not on pg_dump's command line"
assert_file_contains "${WORK}/pg_dump.env" "PGPASSWORD=app-secret" "in its environment"
assert_eq "$(snapshot_count)" "2" "the backup as app worked"

step "pg_dump dying midway stores no snapshot"
cat >"${WORK}/bin/pg_dump" <<SH
#!/bin/sh
case "\$*" in *--version*) exec "${PG_BIN}/pg_dump" --version;; esac
"${PG_BIN}/pg_dump" "\$@" | head -c 300
kill -9 \$\$
SH
LIFEBOAT_PG_BINDIR="${WORK}/bin" expect 1 pg backup --repo "${REPO}" --dbname "dbname=app"
assert_err_contains "pg_dump failed: command" "clear"
assert_err_contains "no snapshot was saved" "nothing stored"
assert_err_contains "killed by signal 9" "says how"
assert_eq "$(snapshot_count)" "2" "no snapshot from the failed dump"
expect 0 check --repo "${REPO}" --read-data

step "the server dropping the backup's connections stores no snapshot"
# pg_dump starts while the backup's own connections hold the exported snapshot; this one ends
# them all first, as a crashing or restarting server would.
cat >"${WORK}/bin/pg_dump" <<SH
#!/bin/sh
case "\$*" in *--version*) exec "${PG_BIN}/pg_dump" --version;; esac
psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'app' AND pid <> pg_backend_pid()" >/dev/null
exec "${PG_BIN}/pg_dump" "\$@"
SH
LIFEBOAT_PG_BINDIR="${WORK}/bin" expect 1 pg backup --repo "${REPO}" --dbname "dbname=app"
assert_err_contains "no snapshot was saved" "says nothing was stored"
assert_eq "$(snapshot_count)" "2" "no snapshot from the dropped connections"
expect 0 check --repo "${REPO}" --read-data

step "a pg_dump older than the server is refused"
cat >"${WORK}/bin/pg_dump" <<'SH'
#!/bin/sh
echo "pg_dump (PostgreSQL) 9.6.24"
SH
LIFEBOAT_PG_BINDIR="${WORK}/bin" expect 1 pg backup --repo "${REPO}" --dbname "dbname=app"
assert_err_contains "pg_dump is too old for a PostgreSQL 15 server: ${WORK}/bin/pg_dump is version 9.6.24" "named"
assert_err_contains "install postgresql-client-15 or set LIFEBOAT_PG_BINDIR" "what to do"
rm -f "${WORK}/bin/pg_dump"
LIFEBOAT_PG_BINDIR="${WORK}/bin" expect 1 pg backup --repo "${REPO}" --dbname "dbname=app"
assert_err_contains "no pg_dump found for a PostgreSQL 15 server" "missing pg_dump"
assert_eq "$(snapshot_count)" "2" "still no new snapshot"

step "an extension missing on the target is named before anything changes"
ext_dir="$("${PG_BIN}/pg_config" --sharedir)/extension"
ext="lifeboat_test_ext_$$"
printf "default_version = '1.0'\nrelocatable = true\n" >"${ext_dir}/${ext}.control"
echo "CREATE FUNCTION ${ext}_answer() RETURNS int LANGUAGE sql AS 'SELECT 42';" >"${ext_dir}/${ext}--1.0.sql"
trap 'rm -f "${ext_dir}/${ext}.control" "${ext_dir}/${ext}--1.0.sql"; stop_pg; cleanup' EXIT
psql_q app "CREATE EXTENSION ${ext}" >/dev/null
expect 0 pg backup --repo "${REPO}" --dbname "dbname=app"
rm -f "${ext_dir}/${ext}.control" "${ext_dir}/${ext}--1.0.sql"
psql_q postgres "CREATE DATABASE target" >/dev/null
expect 1 pg restore latest --repo "${REPO}" --dbname "dbname=target"
assert_err_contains "extension \"${ext}\" (version 1.0 in the backup) is not available on the target server" "named"
assert_err_contains "install it on the target server" "what to do"
assert_eq "$(psql_q target "SELECT count(*) FROM pg_class WHERE relname = 'users'")" "0" "nothing restored"
psql_q app "DROP EXTENSION ${ext}" >/dev/null

step "a backup under continuous writes is one consistent instant"
psql_q app "CREATE TABLE orders (id bigserial PRIMARY KEY, n int); CREATE TABLE order_lines (id bigserial PRIMARY KEY, n int)" >/dev/null
psql_q app "INSERT INTO orders (n) SELECT g FROM generate_series(1, 200000) g; INSERT INTO order_lines (n) SELECT g FROM generate_series(1, 200000) g" >/dev/null
(
  while true; do
    psql -X -q -d app -c "BEGIN; INSERT INTO orders (n) SELECT 1 FROM generate_series(1, 50); INSERT INTO order_lines (n) SELECT 1 FROM generate_series(1, 50); COMMIT" >/dev/null 2>&1 || true
  done
) &
BACKGROUND_PIDS+=($!)
sleep 1
expect 0 pg backup --repo "${REPO}" --dbname "dbname=app" --jobs 2
sleep 1
kill "${BACKGROUND_PIDS[-1]}" 2>/dev/null || true
wait "${BACKGROUND_PIDS[-1]}" 2>/dev/null || true
expect 0 snapshots --repo "${REPO}" --json
orders=$(json '{t["name"]: t["rows"] for t in d[-1]["manifest"]["tables"]}["orders"]')
lines=$(json '{t["name"]: t["rows"] for t in d[-1]["manifest"]["tables"]}["order_lines"]')
assert_eq "${orders}" "${lines}" "tables written together are counted at one instant"
live=$(psql_q app "SELECT count(*) FROM orders")
(( live > orders )) || fail "the writer did not write during the backup (live ${live}, backup ${orders})"
expect 0 pg restore latest --repo "${REPO}" --dbname "dbname=consistent" --create
assert_eq "$(psql_q consistent "SELECT count(*) FROM orders")" "${orders}" "restored orders = manifest"
assert_eq "$(psql_q consistent "SELECT count(*) FROM order_lines")" "${lines}" "restored lines = manifest"
expect 0 check --repo "${REPO}" --read-data
echo "PASS: ${TEST_NAME}"
