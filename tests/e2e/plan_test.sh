#!/usr/bin/env bash
# `lifeboat plan check` and `plan show`: the seed examples validate, a broken plan gets every
# error as FILE:LINE:COLUMN with exit code 2, and `show` prints next run times in the job's zone
# and UTC, and never a secret.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

examples="$(cd "$(dirname "$0")/../../examples" && pwd)"

step "the examples validate"
expect 0 plan check "${examples}/plan-clutter.yaml"
assert_out_contains "plan-clutter.yaml: ok: 2 repositories, 2 tiers, 5 jobs, 1 drill, 9 alert rules" \
  "one-line summary"
expect 0 plan check "${examples}/plan-repspheres.yaml"
assert_out_contains "ok: 2 repositories, 3 tiers, 5 jobs, 2 drills, 7 alert rules" "summary"

step "a broken plan: each error with its place, exit 2"
cat >"${WORK}/broken.yaml" <<'YAML'
version: 1
repositories:
  main:
    location: /srv/backup
    password: {value: hunter2}
tiers:
  critical: {rpo: 24, rto: 4h}
jobs:
  - name: db
    tier: critical
    schedule: "0 25 * * *"
    files: {paths: [/srv/data]}
YAML
expect 2 plan check "${WORK}/broken.yaml"
assert_err_contains "${WORK}/broken.yaml:5:23: repository \"main\" password is written into the plan without insecure_inline: true" \
  "inline password"
assert_err_contains "${WORK}/broken.yaml:7:19: tier \"critical\" rpo: duration \"24\" has no unit" \
  "duration without unit"
assert_err_contains "${WORK}/broken.yaml:11:15: job \"db\": hour field \"25\" of cron expression \"0 25 * * *\": 25 is out of range 0-23" \
  "bad cron"
assert_err_contains "hint: add a unit" "hints are printed"
assert_file_lacks "${WORK}/err" "hunter2" "the secret is never printed"
[[ ! -s "${WORK}/out" ]] || fail "nothing on stdout for a broken plan"

step "check --json lists the errors"
expect 2 --json plan check "${WORK}/broken.yaml"
assert_eq "$(json 'len(d["errors"])')" "3" "three errors"
assert_eq "$(json 'd["errors"][2]["line"]')" "11" "line of the cron error"
assert_eq "$(json 'd["errors"][2]["column"]')" "15" "column of the cron error"

step "a missing plan file"
expect 2 plan check "${WORK}/nope.yaml"
assert_err_contains "nope.yaml: cannot read the plan file" "missing file"

step "show: jobs in tier order with next runs in their zone and UTC"
cat >"${WORK}/berlin.yaml" <<'YAML'
version: 1
repositories:
  main: {location: /srv/backup, password: {value: hunter2, insecure_inline: true}}
tiers:
  low: {level: 2, rpo: 1d, rto: 4h}
  high: {level: 1, rpo: 1h, rto: 15m, retention: {keep_hourly: 48, keep_daily: 30}}
jobs:
  - name: logs
    tier: low
    schedule: "0 3 * * *"
    files: {paths: [/var/log/app]}
  - name: db
    tier: high
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    postgres: {connection: {env: DATABASE_URL}}
YAML
# 2026-03-28 12:00 UTC: the next night Berlin skips 02:00-03:00, so 02:30 runs at 03:00 CEST.
expect 0 plan show "${WORK}/berlin.yaml" --now 2026-03-28T12:00:00Z
assert_out_contains "  db (tier 1 high)" "db first"
assert_out_contains "next runs:  2026-03-29 03:00 Europe/Berlin (2026-03-29 01:00 UTC)" "gap run"
assert_out_contains "            2026-03-30 02:30 Europe/Berlin (2026-03-30 00:30 UTC)" "next day"
assert_out_contains "retention:  keep 48 hourly, 30 daily snapshots (tier default)" "retention"
assert_out_contains "password from inline (insecure)" "the source, not the secret"
assert_file_lacks "${WORK}/out" "hunter2" "show never prints a secret"
db_line="$(grep -n '  db (tier' "${WORK}/out" | cut -d: -f1)"
logs_line="$(grep -n '  logs (tier' "${WORK}/out" | cut -d: -f1)"
(( db_line < logs_line )) || fail "tier 1 job listed before tier 2"

expect 0 --json plan show "${WORK}/berlin.yaml" --now 2026-03-28T12:00:00Z
assert_eq "$(json 'd["jobs"][0]["name"]')" "db" "json job order"
assert_eq "$(json 'd["jobs"][0]["next_runs"][0]["utc"]')" "2026-03-29T01:00:00.000000000Z" "json next run"
assert_eq "$(json 'd["jobs"][0]["next_runs"][0]["local"]')" "2026-03-29 03:00" "json local time"
assert_eq "$(json 'd["jobs"][0]["rpo_seconds"]')" "3600" "json rpo"
assert_eq "$(json 'd["repositories"][0]["password"]')" "inline (insecure)" "json password source"
assert_file_lacks "${WORK}/out" "hunter2" "json never prints a secret"

expect 2 plan show "${WORK}/berlin.yaml" --now yesterday
assert_err_contains "--now \"yesterday\" is not an RFC 3339 time" "bad --now"

step "the command lines a plan's jobs map onto are accepted by lifeboat itself"
mkdir -p "${WORK}/app/uploads"
printf 'photo\n' >"${WORK}/app/uploads/a.jpg"
printf 'temp\n' >"${WORK}/app/uploads/b.tmp"
printf 'port: 8080\n' >"${WORK}/app/config.yaml"
cat >"${WORK}/run.yaml" <<YAML
version: 1
repositories:
  main: {location: ${WORK}/repo, password: {env: TEST_REPO_PASSWORD}}
tiers:
  t: {rpo: 1h, rto: 1h, retention: {keep_last: 1}}
jobs:
  - name: uploads
    tier: t
    schedule: "@hourly"
    files: {paths: [${WORK}/app/uploads], exclude: ["*.tmp"]}
  - name: config
    tier: t
    schedule: "@daily"
    env: {variables: [HOME], services: {stripe: [STRIPE_SECRET_KEY]}, files: [${WORK}/app/config.yaml]}
  - name: version
    tier: t
    schedule: "@daily"
    command: {run: "echo plan-version-1", name: version.txt}
YAML
export LIFEBOAT_PASSWORD=plan-secret
expect 0 init -r "${WORK}/repo"
expect 0 --json plan show "${WORK}/run.yaml"
python3 -c 'import json, sys; [print(j["command"]) for j in json.load(open(sys.argv[1]))["jobs"]]' \
  "${WORK}/out" >"${WORK}/commands"
assert_file_contains "${WORK}/commands" "--job uploads" "the job's name is passed on"
while IFS= read -r command; do
  # The daemon resolves {env: TEST_REPO_PASSWORD} into the child's LIFEBOAT_PASSWORD.
  eval "set -- ${command}"
  shift  # "lifeboat"
  STRIPE_SECRET_KEY=sk_live_x expect 0 "$@"
done <"${WORK}/commands"
expect 0 -r "${WORK}/repo" snapshots --json
assert_eq "$(json 'sorted(t for s in d for t in s.get("tags", []))')" \
  "['job=config', 'job=uploads', 'job=version']" "one snapshot per job, tagged with its name"
uploads_id="$(json '[s["id"] for s in d if "job=uploads" in s.get("tags", [])][0]')"
expect 0 -r "${WORK}/repo" ls "${uploads_id}"
assert_out_contains "a.jpg" "the uploads are backed up"
assert_file_lacks "${WORK}/out" "b.tmp" "the plan's exclude applies"
expect 0 --json plan show "${WORK}/run.yaml"
assert_file_lacks "${WORK}/out" "plan-secret" "no password in the command lines"

echo "PASS: ${TEST_NAME}"
