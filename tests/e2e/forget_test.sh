#!/usr/bin/env bash
# forget through the real binary: a dry run changes nothing, a keep policy leaves exactly the
# snapshots it names, snapshots are forgotten by id, each group keeps its own history, and bad
# arguments are usage errors (exit 2) with exact messages. Also check --read-data-subset.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"
# Also registered as e2e_forget_test_s3, with LIFEBOAT_TEST_REPO_KIND=s3.
# shellcheck source=../s3/repo_kind.sh
source "$(dirname "$0")/../s3/repo_kind.sh"

use_test_repository
export LIFEBOAT_PASSWORD="correct horse"

expect_usage_error() {  # MESSAGE ARGS...: exit 2 and exactly this error line
  local message="$1"
  shift
  expect 2 "$@"
  assert_eq "$(head -1 "${WORK}/err")" "lifeboat: error: ${message}" "error for: $*"
}

snapshot_ids() {  # every snapshot id, oldest first, on one line
  expect 0 snapshots --json
  json '" ".join(s["id"] for s in d)'
}

step "five backups of one tree"
expect 0 init
src="${WORK}/src"
mkdir -p "${src}"
for i in 1 2 3 4 5; do
  printf 'version %s\n' "${i}" >"${src}/file.txt"
  if [[ ${i} == 2 ]]; then expect 0 backup --tag release "${src}"; else expect 0 backup "${src}"; fi
done
read -r -a ids <<<"$(snapshot_ids)"
assert_eq "${#ids[@]}" "5" "snapshots before forget"

step "bad arguments are usage errors and change nothing"
expect_usage_error "no policy given: forget without a --keep-* rule would remove every snapshot" \
  forget
expect_usage_error "no policy given: forget without a --keep-* rule would remove every snapshot" \
  forget --keep-last 0
expect_usage_error 'invalid --grace "soon": expected a duration such as 1h, 30m, 90s or 2d' \
  forget --keep-last 2 --prune --grace soon
expect_usage_error 'invalid --keep-daily "abc": expected a count (0 or more), or "unlimited"' \
  forget --keep-daily abc
expect_usage_error 'invalid --keep-within "2w": unknown unit "w"; use y, m, d or h (a week is 7d)' \
  forget --keep-within 2w
expect_usage_error 'invalid --group-by "host,user": unknown field "user"' \
  forget --keep-last 1 --group-by host,user
expect_usage_error 'unknown time zone "Mars/Olympus"' forget --keep-last 1 --time-zone Mars/Olympus
expect_usage_error \
  "snapshot ids cannot be combined with --keep-*, --host, --tag, --path or --group-by" \
  forget --keep-last 1 "${ids[0]:0:8}"
assert_eq "$(snapshot_ids)" "${ids[*]}" "snapshots after refused commands"

step "a tags-only policy that would empty a group is refused"
expect 1 forget --keep-tag no-such-tag
assert_err_contains "lifeboat: error: refusing to remove every snapshot of host " "tags-only guard"
assert_eq "$(snapshot_ids)" "${ids[*]}" "snapshots after the refused tags-only policy"

step "--dry-run removes nothing"
expect 0 snapshots --json
cp "${WORK}/out" "${WORK}/before.json"
expect 0 forget --keep-last 2 --dry-run
assert_out_contains "Applying policy: keep the last 2 snapshots" "policy line"
assert_out_contains "keep 2 snapshots:" "kept count"
assert_out_contains "remove 3 snapshots:" "removed count"
assert_out_contains "would remove 3 snapshots (dry run: nothing removed)" "dry-run summary"
assert_out_contains "no rule kept it" "reason of a removed snapshot"
expect 0 snapshots --json
cmp -s "${WORK}/out" "${WORK}/before.json" || fail "snapshots --json changed after --dry-run"

expect 0 forget --keep-last 2 --dry-run --json
assert_eq "$(json 'd["dry_run"]')" "True" "json dry_run"
assert_eq "$(json 'd["removed"]')" "[]" "json removed on a dry run"
assert_eq "$(json 'len(d["groups"])')" "1" "one group"
assert_eq "$(json 'd["groups"][0]["group"]["paths"]')" "['${src}']" "group paths"
assert_eq "$(json 'd["groups"][0]["group"]["source"]')" "files" "group source"
assert_eq "$(json '" ".join(s["id"] for s in d["groups"][0]["keep"])')" "${ids[3]} ${ids[4]}" \
  "kept ids"
assert_eq "$(json '[s["reasons"] for s in d["groups"][0]["keep"]]')" "[['last 2'], ['last 1']]" \
  "kept reasons"
assert_eq "$(json '" ".join(s["id"] for s in d["groups"][0]["remove"])')" \
  "${ids[0]} ${ids[1]} ${ids[2]}" "removed ids"

step "forget with a policy"
expect 0 forget --keep-last 2 --keep-tag release
assert_out_contains "removed 2 snapshots" "summary"
assert_eq "$(snapshot_ids)" "${ids[1]} ${ids[3]} ${ids[4]}" "survivors of --keep-last 2 --keep-tag release"
expect 0 forget --keep-last 2 --keep-tag release
assert_out_contains "removed 0 snapshots" "a second run removes nothing"

step "forget by id"
expect 0 forget "${ids[1]:0:8}"
assert_out_contains "remove 1 snapshot:" "by-id table"
assert_out_contains "named on the command line" "by-id reason"
assert_out_contains "removed 1 snapshot" "by-id summary"
assert_eq "$(snapshot_ids)" "${ids[3]} ${ids[4]}" "survivors after forgetting by id"
expect 1 forget "${ids[1]:0:8}"
assert_err_contains "lifeboat: error: no snapshot has an id starting with ${ids[1]:0:8}" \
  "forgetting a forgotten snapshot"
expect 0 --json forget --dry-run "${ids[3]}" "${ids[3]:0:8}"
assert_eq "$(json 'len(d["groups"][0]["remove"])')" "1" "an id given twice is forgotten once"
assert_eq "$(json 'd["groups"][0]["group"]')" "None" "by-id forget has no group"

step "each group keeps its own history"
printf 'dump\n' >"${WORK}/dump.sql"
lb_stdin "${WORK}/dump.sql" backup --stdin --stdin-filename dump.sql
assert_eq "${CODE}" "0" "stdin backup"
lb_stdin "${WORK}/dump.sql" backup --stdin --stdin-filename dump.sql
read -r -a all <<<"$(snapshot_ids)"
assert_eq "${#all[@]}" "4" "two file and two stdin snapshots"
expect 0 forget --keep-last 1 --json --time-zone UTC
assert_eq "$(json 'len(d["groups"])')" "2" "groups by paths and source"
assert_eq "$(snapshot_ids)" "${all[1]} ${all[3]}" "the newest of each group survives"
expect 0 forget --keep-last 1 --group-by '' --dry-run
assert_out_contains "snapshots of all snapshots:" "one group with --group-by ''"
assert_out_contains "would remove 1 snapshot (dry run: nothing removed)" "one group keeps one"

step "check --read-data-subset"
expect_usage_error \
  'invalid --read-data-subset "0/3": n must be between 1 and t (3)' check --read-data-subset 0/3
expect_usage_error \
  'invalid --read-data-subset "5": expected n/t (e.g. 2/7) or a percentage (e.g. 10%)' \
  check --read-data-subset 5
expect_usage_error \
  'invalid --read-data-subset "150%": the percentage must be above 0 and at most 100' \
  check --read-data-subset 150%
expect_usage_error "--read-data and --read-data-subset cannot be combined" \
  check --read-data --read-data-subset 1/2
expect_usage_error "--read-data-seed needs --read-data-subset with a percentage" \
  check --read-data-subset 1/2 --read-data-seed 3
expect 0 check --json
packs="$(json 'd["packs"]')"
read_total=0
for part in 1 2 3; do
  expect 0 check --json --read-data-subset "${part}/3"
  assert_eq "$(json 'd["ok"]')" "True" "check of part ${part}/3"
  read_total=$((read_total + $(json 'd["packs_read"]')))
done
assert_eq "${read_total}" "${packs}" "parts 1/3..3/3 read every pack once"
expect 0 check --json --read-data-subset 100% --read-data-seed 7
assert_eq "$(json 'd["packs_read"]')" "${packs}" "100% reads every pack"
assert_eq "$(json 'd["read_data_seed"]')" "7" "the seed is reported"
expect 0 check --read-data-subset 50%
assert_err_contains "reading the data of packs subset 50% (seed " "the subset and its seed are shown"
assert_out_contains "no errors were found" "subset check summary"

echo "PASS: ${TEST_NAME}"
