#!/usr/bin/env bash
# `lifeboat run`, `status` and `daemon` on a plan with files, command and git jobs, a local
# primary and an offsite copy: runs in tier order, copies, retention, hooks, the audit log,
# staleness, SIGHUP with a broken plan, SIGTERM mid-backup.
source "$(dirname "$0")/lib.sh" "$@"

export LIFEBOAT_AUDIT_DB="${WORK}/audit.db"
echo "plan-secret-pw" >"${WORK}/password"
mkdir -p "${WORK}/uploads/a" "${WORK}/logs"
head -c 300000 /dev/urandom >"${WORK}/uploads/a/photo.bin"
echo "hello" >"${WORK}/uploads/readme.txt"
echo "log line" >"${WORK}/logs/app.log"

write_plan() { # $1: file, $2: schedule of the uploads job, $3: extra job text
  cat >"$1" <<YAML
version: 1
repositories:
  local:
    primary: true
    location: ${WORK}/repo
    password: {file: ${WORK}/password}
  offsite:
    location: ${WORK}/offsite
    password: {env: OFFSITE_PASSWORD}
tiers:
  critical:
    level: 1
    rpo: 1h
    rto: 15m
    retention: {keep_last: 2}
  standard:
    level: 2
    rpo: 1d
    rto: 4h
jobs:
  - name: logs
    tier: standard
    schedule: "0 3 * * *"
    copy_to: []
    files: {paths: [${WORK}/logs]}
  - name: uploads
    tier: critical
    schedule: "$2"
    copy_to: [offsite]
    before:
      - command: "echo before-\$LIFEBOAT_JOB >> ${WORK}/hooks.log"
    after:
      - command: "echo after-\$LIFEBOAT_JOB_STATUS >> ${WORK}/hooks.log"
    files: {paths: [${WORK}/uploads], exclude: ["*.tmp"]}
$3
YAML
}

export OFFSITE_PASSWORD=offsite-pw
step "init both repositories"
expect 0 init --repo "${WORK}/repo" --password-file "${WORK}/password"
LIFEBOAT_PASSWORD=offsite-pw expect 0 init --repo "${WORK}/offsite"

write_plan "${WORK}/plan.yaml" "0 * * * *" ""
step "status before any run: every job never ran (exit 5)"
expect 5 status "${WORK}/plan.yaml" --json
python3 - "${WORK}/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
states = {j["job"]: j["state"] for j in doc["jobs"]}
assert states == {"logs": "never", "uploads": "never"}, states
assert doc["all_fresh"] is False
PY

step "run: tier 1 first, hooks, copy to offsite"
expect 0 run "${WORK}/plan.yaml"
grep -q '^uploads .*success' "${WORK}/out" || fail "uploads not reported as success"
grep -q '^logs .*success' "${WORK}/out" || fail "logs not reported as success"
# tier order in the event log: uploads (critical) started before logs (standard)
first=$(grep -o 'job_started task=[a-z]*' "${WORK}/err" | head -1)
[[ "${first}" == "job_started task=uploads" ]] || fail "first job started was: ${first}"
[[ "$(cat "${WORK}/hooks.log")" == $'before-uploads\nafter-success' ]] || fail "hooks: $(cat "${WORK}/hooks.log")"
expect 0 snapshots --repo "${WORK}/repo" --password-file "${WORK}/password" --json --tag job=uploads
[[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "${WORK}/out")" == 1 ]] ||
  fail "one uploads snapshot expected in the primary"
LIFEBOAT_PASSWORD=offsite-pw expect 0 snapshots --repo "${WORK}/offsite" --json --tag job=uploads
[[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "${WORK}/out")" == 1 ]] ||
  fail "the uploads snapshot was not copied offsite"
step "the copy restores byte for byte"
LIFEBOAT_PASSWORD=offsite-pw expect 0 restore --repo "${WORK}/offsite" latest --target "${WORK}/restored"
diff -r "${WORK}/uploads" "${WORK}/restored${WORK}/uploads" || fail "offsite restore differs"

step "status: both fresh, exit 0"
expect 0 status "${WORK}/plan.yaml" --json
python3 - "${WORK}/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
jobs = {j["job"]: j for j in doc["jobs"]}
assert doc["all_fresh"] is True
u = jobs["uploads"]
assert u["state"] == "ok" and u["fresh"] is True, u
assert u["rpo_seconds"] == 3600 and u["stale_after_seconds"] == 3600, u
assert len(u["last_success"]["snapshot_id"]) == 64, u
assert u["last_success"]["operation"] == "backup", u
assert 0 <= u["age_seconds"] < 120, u
PY

step "audit: each step recorded with its job"
expect 0 audit --json --job uploads
python3 - "${WORK}/out" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))
records = records["records"] if isinstance(records, dict) else records
ops = [r["operation"] for r in records]
assert ops == ["backup", "copy", "forget", "forget"], ops
assert all(r["status"] == "success" for r in records), records
PY

step "retention: keep_last 2 after three runs, on both repositories"
expect 0 run "${WORK}/plan.yaml" uploads
expect 0 run "${WORK}/plan.yaml" uploads
expect 0 snapshots --repo "${WORK}/repo" --password-file "${WORK}/password" --json --tag job=uploads
[[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "${WORK}/out")" == 2 ]] ||
  fail "keep_last 2 not applied on the primary"
LIFEBOAT_PASSWORD=offsite-pw expect 0 snapshots --repo "${WORK}/offsite" --json --tag job=uploads
[[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "${WORK}/out")" == 2 ]] ||
  fail "keep_last 2 not applied offsite"

step "an unknown job is a usage error"
expect 2 run "${WORK}/plan.yaml" nosuchjob
grep -q 'has no job "nosuchjob"' "${WORK}/err" || fail "no message about the unknown job"

step "a failing before hook: no backup, after hooks still run, exit 1, status failing"
write_plan "${WORK}/bad-hook.yaml" "0 * * * *" "  - name: broken
    tier: critical
    schedule: \"0 * * * *\"
    before:
      - command: \"echo hook-says-no >&2; exit 7\"
    after:
      - command: \"echo broken-after-\$LIFEBOAT_JOB_STATUS >> ${WORK}/hooks.log\"
    files: {paths: [${WORK}/logs]}"
expect 1 run "${WORK}/bad-hook.yaml" broken
grep -q 'before hook 1' "${WORK}/out" || fail "the failed step is not named"
grep -q 'hook-says-no' "${WORK}/err" || fail "the hook's stderr is not shown"
tail -1 "${WORK}/hooks.log" | grep -qx 'broken-after-failed' || fail "after hook did not run"
expect 0 snapshots --repo "${WORK}/repo" --password-file "${WORK}/password" --json --tag job=broken
[[ "$(cat "${WORK}/out")" == "[]" ]] || fail "a snapshot was saved despite the failed hook"

step "a repository password that cannot be read fails the job and names its source"
unset OFFSITE_PASSWORD
expect 1 run "${WORK}/plan.yaml" uploads
grep -q 'OFFSITE_PASSWORD' "${WORK}/out" "${WORK}/err" || fail "the missing variable is not named"
export OFFSITE_PASSWORD=offsite-pw

step "daemon: runs an every-minute job, survives a broken plan on SIGHUP, stops on SIGTERM"
write_plan "${WORK}/daemon.yaml" "* * * * *" ""
cp "${WORK}/daemon.yaml" "${WORK}/daemon-good.yaml"
before=$(sqlite3 "${LIFEBOAT_AUDIT_DB}" "select count(*) from audit_log where job='uploads' and operation='backup'" 2>/dev/null || echo x)
"${LIFEBOAT}" daemon "${WORK}/daemon.yaml" --log-format json >"${WORK}/daemon.out" 2>"${WORK}/daemon.log" &
daemon_pid=$!
BACKGROUND_PIDS+=("${daemon_pid}")
for _ in $(seq 1 90); do
  grep -q '"event":"job_finished","task":"uploads"' "${WORK}/daemon.log" && break
  sleep 1
done
grep -q '"event":"job_finished","task":"uploads","status":"success"' "${WORK}/daemon.log" ||
  fail "the daemon did not run the uploads job within 90 s: $(cat "${WORK}/daemon.log")"
echo "jobs: [oops" >"${WORK}/daemon.yaml"
kill -HUP "${daemon_pid}"
for _ in $(seq 1 20); do grep -q plan_reload_failed "${WORK}/daemon.log" && break; sleep 0.5; done
grep -q '"event":"plan_reload_failed"' "${WORK}/daemon.log" || fail "no plan_reload_failed event"
kill -0 "${daemon_pid}" || fail "the daemon died on a broken plan"
# A good plan again: reloaded, and the log stays JSON as --log-format said (the plan says text).
cp "${WORK}/daemon-good.yaml" "${WORK}/daemon.yaml"
kill -HUP "${daemon_pid}"
for _ in $(seq 1 20); do grep -q '"event":"plan_reloaded"' "${WORK}/daemon.log" && break; sleep 0.5; done
grep -q '"event":"plan_reloaded"' "${WORK}/daemon.log" || fail "no plan_reloaded event in JSON"
kill -TERM "${daemon_pid}"
status=0
wait "${daemon_pid}" || status=$?
[[ ${status} -eq 0 ]] || fail "daemon exit status ${status} after SIGTERM"
grep -q '"event":"daemon_stopped"' "${WORK}/daemon.log" || fail "no daemon_stopped event"
python3 - "${WORK}/daemon.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)  # every line is one JSON object
PY
expect 0 audit --json --operation "plan reload"
grep -q '"status":"failed"' "${WORK}/out" || fail "the failed reload is not in the audit log"

step "SIGTERM mid-backup: the step is stopped after the grace period, the repository checks"
cat >>"${WORK}/daemon-good.yaml" <<YAML
  - name: slow
    tier: critical
    schedule: "* * * * *"
    command:
      run: "sleep 600"
      name: slow.out
daemon:
  shutdown_grace: 2s
  missed_runs: skip
YAML
"${LIFEBOAT}" daemon "${WORK}/daemon-good.yaml" >"${WORK}/daemon2.out" 2>"${WORK}/daemon2.log" &
daemon_pid=$!
BACKGROUND_PIDS+=("${daemon_pid}")
for _ in $(seq 1 90); do
  grep -q 'step_started task=slow step=backup' "${WORK}/daemon2.log" && break
  sleep 1
done
grep -q 'step_started task=slow step=backup' "${WORK}/daemon2.log" || fail "slow job never started"
sleep 1
kill -TERM "${daemon_pid}"
status=0
wait "${daemon_pid}" || status=$?
[[ ${status} -eq 0 ]] || fail "daemon exit status ${status}"
grep -q 'grace_period_over' "${WORK}/daemon2.log" || fail "no grace_period_over event"
grep -q 'job_finished task=slow status=interrupted' "${WORK}/daemon2.log" ||
  fail "the slow job was not reported interrupted: $(cat "${WORK}/daemon2.log")"
pgrep -f "sleep 600" && fail "the slow job's command outlived the daemon"
expect 0 check --repo "${WORK}/repo" --password-file "${WORK}/password"
expect 0 snapshots --repo "${WORK}/repo" --password-file "${WORK}/password" --json --tag job=slow
[[ "$(cat "${WORK}/out")" == "[]" ]] || fail "an interrupted run saved a snapshot"

echo "PASS: ${TEST_NAME}"
