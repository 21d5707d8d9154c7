#!/usr/bin/env bash
# The audit log: every command that touches a repository leaves one record (operation, job,
# repository, snapshot, bytes, status, error, times, host, user), hash-chained in an SQLite
# database; `audit verify` finds records altered or removed with the sqlite3 tool; a copy of
# each record in the repository lists the history after the database is lost; check and prune
# live with those copies; a command whose record cannot be written fails (read-only ones warn);
# Ctrl-C leaves an "interrupted" record; a PostgreSQL table (the seeds' backup_audit_log plus
# lifeboat's columns) receives every record, and a broken one is only a warning.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/pg_lib.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 is not installed (scripts/install-deps.sh installs it)"
REPO="${WORK}/repo"
DB="${LIFEBOAT_AUDIT_DB}"
export LIFEBOAT_PASSWORD=pw
mkdir -p "${WORK}/src/docs"
echo "first" >"${WORK}/src/docs/a.txt"
head -c 200000 /dev/urandom >"${WORK}/src/blob.bin"

# audit_json EXPRESSION [ARGS...]: `lifeboat audit --json ARGS`, then EXPRESSION over it (d).
audit_json() {
  local expression="$1"
  shift
  expect 0 audit --json "$@"
  json "${expression}"
}

step "a day of operations"
expect 0 init --repo "${REPO}"
expect 0 backup --repo "${REPO}" --job files --json "${WORK}/src"
FIRST="$(json_lines 'lines[-1]["snapshot_id"]')"
FIRST_ADDED="$(json_lines 'lines[-1]["bytes_added"]')"
FIRST_TOTAL="$(json_lines 'lines[-1]["total_bytes"]')"
echo "second" >>"${WORK}/src/docs/a.txt"
LIFEBOAT_JOB=files expect 0 backup --repo "${REPO}" "${WORK}/src"
expect 0 snapshots --repo "${REPO}"
expect 0 forget --repo "${REPO}" --keep-last 1
expect 0 prune --repo "${REPO}"
expect 0 check --repo "${REPO}"
expect 0 restore --repo "${REPO}" latest --target "${WORK}/restored" --json
RESTORED_BYTES="$(json_lines 'lines[-1]["bytes"]')"
expect 1 backup --repo "${REPO}" --job files "${WORK}/missing"
LIFEBOAT_PASSWORD=wrong expect 12 check --repo "${REPO}"

step "one record per command, in order, with what each did"
expect 0 audit --json
assert_eq "$(json '" ".join(r["operation"] for r in d)')" \
  "init backup backup snapshots forget prune check restore backup check" "operations"
assert_eq "$(json '" ".join(r["status"] for r in d)')" \
  "success success success success success success success success failed failed" "statuses"
assert_eq "$(json '" ".join(str(r["sequence"]) for r in d)')" "1 2 3 4 5 6 7 8 9 10" "sequences"
assert_eq "$(json '",".join(r["job"] for r in d)')" ",files,files,,,,,,files," "jobs"
assert_eq "$(json 'set(r["repository"] for r in d)')" "{'${REPO}'}" "repository"
assert_eq "$(json 'd[1]["snapshot_id"]')" "${FIRST}" "first backup's snapshot"
assert_eq "$(json 'd[1]["bytes_added"]')" "${FIRST_ADDED}" "first backup's bytes added"
assert_eq "$(json 'd[1]["bytes_total"]')" "${FIRST_TOTAL}" "first backup's bytes total"
assert_eq "$(json 'd[7]["snapshot_id"] == d[2]["snapshot_id"] != ""')" "True" "restore names the snapshot"
assert_eq "$(json 'd[7]["bytes_total"]')" "${RESTORED_BYTES}" "restore's bytes"
assert_eq "${RESTORED_BYTES}" "$(( $(stat -c %s "${WORK}/src/blob.bin") + $(stat -c %s "${WORK}/src/docs/a.txt") ))" \
  "restored bytes are the files' sizes"
assert_eq "$(json 'd[8]["error"]')" "the path ${WORK}/missing does not exist" "failed backup's error"
assert_eq "$(json 'd[9]["error"].startswith("wrong password: no key of the repository at ")')" \
  "True" "wrong password's error"
assert_eq "$(json 'd[0]["prev_hash"] == "" and all(d[i]["prev_hash"] == d[i-1]["hash"] for i in range(1, len(d)))')" \
  "True" "hash chain"
assert_eq "$(json 'all(r["host"] == "'"$(hostname)"'" and r["user"] == "'"$(id -un)"'" for r in d)')" \
  "True" "host and user"
assert_eq "$(json 'all(r["finished_at"] >= r["started_at"] and r["started_at"].endswith("Z") and len(r["started_at"]) == 24 for r in d)')" \
  "True" "times"
expect 0 audit --json
jq -e 'length == 10' "${WORK}/out" >/dev/null || fail "jq reads the JSON"

step "filters and formats"
assert_eq "$(audit_json '[r["sequence"] for r in d]' --status failed)" "[9, 10]" "--status failed"
assert_eq "$(audit_json '[r["sequence"] for r in d]' --operation backup --limit 2)" "[3, 9]" \
  "--operation backup --limit 2"
assert_eq "$(audit_json '[r["sequence"] for r in d]' --job files --status success)" "[2, 3]" \
  "--job files --status success"
assert_eq "$(audit_json 'len(d)' --since 1d)" "10" "--since 1d"
assert_eq "$(audit_json 'len(d)' --since 2099-01-01)" "0" "--since in the future"
expect 0 audit --csv
assert_eq "$(head -n 1 "${WORK}/out" | tr -d '\r')" \
  "sequence,id,operation,job,repository,snapshot_id,bytes_added,bytes_total,status,error,started_at,finished_at,duration_ms,host,user,prev_hash,hash" \
  "CSV header"
assert_eq "$(wc -l <"${WORK}/out")" "11" "CSV rows"
expect 0 audit
assert_out_contains "10 records" "the table's count"
expect 2 audit --status broken
assert_err_contains "--status broken is not a record status" "bad --status"
expect 2 audit --since yesterday
assert_err_contains "--since yesterday is not a duration or a date" "bad --since"

step "audit verify: intact, then tampered with"
expect 0 audit verify
assert_out_contains "audit log ${DB}: 10 records, the chain is intact" "verify"
cp "${DB}" "${WORK}/audit.orig.db"
ID9="$(sqlite3 "${DB}" 'SELECT id FROM audit_log WHERE sequence = 9')"
sqlite3 "${DB}" "UPDATE audit_log SET status = 'success', error = '' WHERE sequence = 9"
expect 4 audit verify
assert_eq "$(cat "${WORK}/out")" \
  "record #9 (id ${ID9}) was altered: its content does not match its hash" "altered record"
assert_err_contains "the audit log ${DB} failed verification: 1 problem" "verify's error"
cp "${WORK}/audit.orig.db" "${DB}"
ID5="$(sqlite3 "${DB}" 'SELECT id FROM audit_log WHERE sequence = 5')"
sqlite3 "${DB}" "DELETE FROM audit_log WHERE sequence = 4"
expect 4 audit verify --json
assert_eq "$(json 'd["problems"]')" \
  "['record #5 (id ${ID5}) follows a record that is missing: a record before it was removed']" \
  "removed record"
assert_eq "$(json 'd["intact"]')" "False" "verify --json"
cp "${WORK}/audit.orig.db" "${DB}"
expect 0 audit verify

step "records removed from the end: only the repository's copies show it"
# #9 (the failed backup) has a copy in the repository; #10 (a wrong password) could not.
sqlite3 "${DB}" "DELETE FROM audit_log WHERE sequence >= 9"
expect 0 audit verify
assert_out_contains "audit log ${DB}: 8 records, the chain is intact" "a shorter chain is whole"
expect 4 audit verify --from-repo --repo "${REPO}"
assert_eq "$(cat "${WORK}/out")" \
  "record #9 (id ${ID9}) is missing from the end of the log: the repository holds a copy" \
  "the removed tail"
cp "${WORK}/audit.orig.db" "${DB}"
expect 0 audit verify --from-repo --repo "${REPO}"

step "the repository keeps a copy of each record"
# Not for init (no repository open yet), snapshots (a listing) or a wrong password.
assert_eq "$(entry_count "${REPO}/audit")" "7" "audit files"
expect 0 prune --repo "${REPO}" --dry-run
assert_eq "$(entry_count "${REPO}/audit")" "7" "a dry run leaves no audit file"
expect 0 check --repo "${REPO}"
expect 0 prune --repo "${REPO}"
assert_eq "$(entry_count "${REPO}/audit")" "9" "prune keeps the audit files"
rm -f "${DB}" "${DB}-wal" "${DB}-shm"
expect 0 audit --from-repo --repo "${REPO}" --json
assert_eq "$(json '" ".join(r["operation"] for r in d)')" \
  "backup backup forget prune check restore backup check prune" "records in the repository"
assert_eq "$(json 'd[0]["snapshot_id"]')" "${FIRST}" "the copy's snapshot"
assert_eq "$(json 'd[6]["status"] + ": " + d[6]["error"]')" \
  "failed: the path ${WORK}/missing does not exist" "the copy of the failed backup"
assert_eq "$(audit_json 'len(d)' --from-repo --repo "${REPO}" --operation prune)" "2" \
  "filters over the repository's copies"
expect 0 audit
assert_out_contains "0 records" "a new database starts empty"

step "a record that cannot be written fails the command; a listing only warns"
touch "${WORK}/not-a-dir"
LIFEBOAT_AUDIT_DB="${WORK}/not-a-dir/audit.db" expect 1 backup --repo "${REPO}" "${WORK}/src"
assert_err_contains "lifeboat: error: opening the audit log ${WORK}/not-a-dir/audit.db: unable to open database file" \
  "unwritable audit log"
assert_err_contains "hint: set --audit-db or LIFEBOAT_AUDIT_DB to a writable place" "its hint"
assert_eq "$(LIFEBOAT_REPOSITORY="${REPO}" snapshot_count)" "1" "the backup did not run"
LIFEBOAT_AUDIT_DB="${WORK}/not-a-dir/audit.db" expect 0 snapshots --repo "${REPO}"
assert_err_contains "warning: this run is not recorded in the audit log: opening the audit log" \
  "a listing warns"

step "Ctrl-C leaves an interrupted record"
mkfifo "${WORK}/fifo"
"${LIFEBOAT}" --repo "${REPO}" backup --stdin <"${WORK}/fifo" >"${WORK}/int.out" 2>"${WORK}/int.err" &
PID=$!
exec 3>"${WORK}/fifo"  # the backup waits for data while the fifo stays open
for _ in $(seq 1 300); do
  [[ "$(entry_count "${REPO}/locks")" != "0" ]] && break
  sleep 0.1
done
[[ "$(entry_count "${REPO}/locks")" != "0" ]] || fail "the backup did not start"
kill -INT "${PID}"
CODE=0
wait "${PID}" || CODE=$?
exec 3>&-
assert_eq "${CODE}" "130" "interrupted backup's exit code"
assert_eq "$(audit_json 'd[-1]["operation"] + " " + d[-1]["status"] + ": " + d[-1]["error"]')" \
  "backup interrupted: interrupted by a signal before the command finished" "interrupted record"

step "a second sink in PostgreSQL: the seeds' table, extended"
start_pg
# The table as the seed's team already has it, with one of their rows.
psql_q postgres "CREATE TABLE backup_audit_log (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  backup_type VARCHAR(50) NOT NULL,
  backup_location TEXT NOT NULL,
  backup_size BIGINT,
  status VARCHAR(20) NOT NULL,
  created_at TIMESTAMP DEFAULT NOW(),
  created_by VARCHAR(255)
);
INSERT INTO backup_audit_log (backup_type, backup_location, backup_size, status, created_by)
VALUES ('full_database', 's3://clutter-ai-backups/database/db_20240122.dump.gz', 524288000, 'success', 'cron')" >/dev/null
export LIFEBOAT_AUDIT_POSTGRES="host=127.0.0.1 port=${PGPORT} user=postgres dbname=postgres"
expect 0 backup --repo "${REPO}" --job files --json "${WORK}/src"
SNAP="$(json_lines 'lines[-1]["snapshot_id"]')"
expect 1 backup --repo "${REPO}" --audit-postgres "${LIFEBOAT_AUDIT_POSTGRES}" "${WORK}/missing"
audit_json 'd' --limit 2
ROW="$(json 'd[0]["id"] + "|backup|'"${REPO}"'|" + str(d[0]["bytes_total"]) + "|success|'"$(id -un)"'|" + str(d[0]["sequence"]) + "|files|" + d[0]["snapshot_id"] + "|" + str(d[0]["bytes_added"]) + "||" + d[0]["hash"] + "|" + d[0]["prev_hash"]')"
assert_eq "$(psql_q postgres "SELECT id, backup_type, backup_location, backup_size, status, created_by, sequence, job, snapshot_id, bytes_added, error, hash, prev_hash FROM backup_audit_log WHERE snapshot_id IS NOT NULL AND snapshot_id <> ''")" \
  "${ROW}" "the backup's row in PostgreSQL"
assert_eq "$(json 'd[0]["snapshot_id"]')" "${SNAP}" "the row's snapshot"
assert_eq "$(psql_q postgres "SELECT status || ': ' || error FROM backup_audit_log WHERE backup_type = 'backup' AND status = 'failed'")" \
  "failed: the path ${WORK}/missing does not exist" "the failed backup's row"
assert_eq "$(psql_q postgres "SELECT count(*) FROM backup_audit_log")" "3" "the seed's row and two of lifeboat's"
assert_eq "$(psql_q postgres "SELECT bool_and(created_at = (finished_at AT TIME ZONE 'UTC')) FROM backup_audit_log WHERE hash IS NOT NULL")" \
  "t" "created_at is the UTC end time"

step "nested commands are recorded by their path: pg backup"
psql_q postgres "CREATE DATABASE app" >/dev/null
psql_q app "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)" >/dev/null
unset LIFEBOAT_AUDIT_POSTGRES
expect 0 pg backup --repo "${REPO}" --job orders --dbname "dbname=app" --json
PGSNAP="$(json_lines 'lines[-1]["snapshot_id"]')"
assert_eq "$(audit_json 'd[-1]["operation"] + "|" + d[-1]["job"] + "|" + d[-1]["status"] + "|" + d[-1]["snapshot_id"] + "|" + str(d[-1]["bytes_added"] > 0)')" \
  "pg backup|orders|success|${PGSNAP}|True" "pg backup's record"

step "a broken second sink is a warning; the record is in SQLite"
expect 0 backup --repo "${REPO}" --audit-postgres "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=5" "${WORK}/src"
assert_err_contains "warning: the audit record was not written to PostgreSQL (it is in ${DB}): " \
  "the PostgreSQL warning"
assert_eq "$(audit_json 'd[-1]["operation"] + " " + d[-1]["status"]')" "backup success" \
  "the record is in SQLite"
expect 0 audit verify
assert_out_contains "records, the chain is intact" "the chain after everything"
