#!/usr/bin/env bash
# The daemon on a plan with a real PostgreSQL and a real S3 server: a database job every minute
# into a local primary, copied to an offsite repository on S3, checked through `status --json`
# and the audit log; then the database's rows restored from the S3 copy.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"
# shellcheck source=pg_lib.sh
source "$(dirname "$0")/pg_lib.sh"

s3env="$(bash "$(dirname "$0")/../s3/with_test_s3.sh")" || fail "the S3 test server did not start"
eval "${s3env}"
prefix="plan-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
OFFSITE="${LIFEBOAT_TEST_S3_REPO}/${prefix}"

start_pg
psql_q postgres "CREATE DATABASE app"
psql_q app "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 5000) g"
psql_q postgres "ALTER ROLE app PASSWORD 'app-secret'" 2>/dev/null || true

echo "local-pw" >"${WORK}/local-password"
export OFFSITE_PASSWORD="offsite-pw"
export APP_DATABASE_URL="host=127.0.0.1 port=${PGPORT} user=postgres dbname=app"
cat >"${WORK}/plan.yaml" <<YAML
version: 1
repositories:
  local:
    primary: true
    location: ${WORK}/repo
    password: {file: ${WORK}/local-password}
  offsite:
    location: ${OFFSITE}
    password: {env: OFFSITE_PASSWORD}
tiers:
  critical: {level: 1, rpo: 5m, rto: 15m, retention: {keep_last: 3}}
jobs:
  - name: database
    tier: critical
    schedule: "* * * * *"
    postgres: {connection: {env: APP_DATABASE_URL}}
daemon:
  log_format: json
YAML

step "init the primary and the S3 offsite repository"
expect 0 init --repo "${WORK}/repo" --password-file "${WORK}/local-password"
LIFEBOAT_PASSWORD="${OFFSITE_PASSWORD}" expect 0 init --repo "${OFFSITE}"

step "the daemon runs the database job within a minute"
"${LIFEBOAT}" daemon "${WORK}/plan.yaml" >"${WORK}/daemon.out" 2>"${WORK}/daemon.log" &
daemon_pid=$!
BACKGROUND_PIDS+=("${daemon_pid}")
for _ in $(seq 1 100); do
  grep -q '"event":"job_finished","task":"database"' "${WORK}/daemon.log" && break
  sleep 1
done
grep -q '"event":"job_finished","task":"database","status":"success"' "${WORK}/daemon.log" ||
  fail "no successful database run within 100 s: $(cat "${WORK}/daemon.log")"
# The connection string came from the environment, never the command line.
grep -q "host=127.0.0.1 port=${PGPORT}" "${WORK}/daemon.log" && fail "the connection string is in the log"
kill -TERM "${daemon_pid}"
wait "${daemon_pid}" || fail "the daemon exited with $?"

step "status --json: fresh, with the snapshot and its size"
expect 0 status "${WORK}/plan.yaml" --json
python3 - "${WORK}/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["all_fresh"] is True, doc
job = doc["jobs"][0]
assert job["job"] == "database" and job["state"] == "ok" and job["source"] == "postgres", job
assert job["rpo_seconds"] == 300 and job["stale_after_seconds"] == 300, job
assert job["last_success"]["operation"] == "pg backup", job
assert len(job["last_success"]["snapshot_id"]) == 64, job
assert job["last_success"]["bytes_total"] > 0, job
PY

step "the audit log: pg backup, copy to S3 and retention, all with the job's name"
expect 0 audit --json --job database
python3 - "${WORK}/out" "${OFFSITE}" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))
records = records["records"] if isinstance(records, dict) else records
ops = [(r["operation"], r["status"]) for r in records[:4]]
assert ops == [("pg backup", "success"), ("copy", "success"), ("forget", "success"), ("forget", "success")], ops
assert records[1]["repository"] == sys.argv[2], records[1]
PY
expect 0 audit verify

step "the rows come back from the S3 copy"
LIFEBOAT_PASSWORD="${OFFSITE_PASSWORD}" expect 0 pg restore latest --repo "${OFFSITE}" \
  --dbname "host=127.0.0.1 port=${PGPORT} user=postgres dbname=app_restored" --create
assert_eq "$(table_digest app_restored orders)" "$(table_digest app orders)" "restored orders"
echo "PASS: ${TEST_NAME}"
