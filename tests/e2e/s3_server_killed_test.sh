#!/usr/bin/env bash
# The S3 server dies in the middle of a backup: the backup must fail with a clear error and
# leave no snapshot; once the server is back, a new backup succeeds and check --read-data
# passes. The test starts its own gateway (its own port and directory, memstore), because it
# kills it, and other tests may be using the shared one.
#
# "Mid-backup" is made certain rather than timed: the backup reads a pipe, the test writes
# 40 MB into it (the pipe blocks until the backup has read them, so the repository is open and
# locked and packs are being uploaded), kills the gateway with SIGKILL, then writes the rest.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

START="${LIFEBOAT_S3_START_SCRIPT:-/work/shared/s3/start-test-s3.sh}"
STOP="$(dirname "${START}")/stop-test-s3.sh"
PORT="${LIFEBOAT_S3_KILL_TEST_PORT:-7493}"
S3DIR="${WORK}/s3"
start_gateway() {
  s3env="$("${START}" -q -p "${PORT}" -d "${S3DIR}" -b killtest --store memstore --size-gb 2)" ||
    fail "the S3 test server did not start on port ${PORT}"
  eval "${s3env}"
}
stop_all() { "${STOP}" --dir "${S3DIR}" -q >/dev/null 2>&1 || true; }
trap 'stop_all; cleanup' EXIT

start_gateway
export LIFEBOAT_REPOSITORY="s3:${S3_ENDPOINT_URL}/killtest/repo"
export LIFEBOAT_PASSWORD="correct horse"


step "init and a first backup"
expect 0 init
src="${WORK}/src"
mkdir -p "${src}"
head -c 2000000 /dev/urandom >"${src}/a.bin"
printf 'hello\n' >"${src}/b.txt"
expect 0 --json backup "${src}"
first="$(json 'd["snapshot_id"]')"

step "the gateway is killed while a backup uploads"
mkfifo "${WORK}/pipe"
"${LIFEBOAT}" backup --stdin --stdin-filename db.dump <"${WORK}/pipe" \
  >"${WORK}/killed.out" 2>"${WORK}/killed.err" &
backup_pid=$!
BACKGROUND_PIDS+=("${backup_pid}")
exec 3>"${WORK}/pipe"
head -c 40000000 /dev/urandom >&3
"${STOP}" --dir "${S3DIR}" --rgw-only --kill -q || fail "stop-test-s3.sh --rgw-only --kill failed"
# The backup may stop reading once it fails; a write into a closed pipe ends here.
head -c 60000000 /dev/urandom >&3 2>/dev/null || true
exec 3>&-
code=0
wait "${backup_pid}" || code=$?
LAST_COMMAND="lifeboat backup --stdin (gateway killed)"
CODE=${code}
cp "${WORK}/killed.out" "${WORK}/out"
# The audit record of the failed run is in the local audit log; its copy in the repository
# cannot be written while the gateway is down, which is one warning line before the error.
audit_warning="warning: the audit record was not copied to the repository: "
assert_eq "$(grep -c "^${audit_warning}" "${WORK}/killed.err")" "1" "one warning about the audit copy"
grep -v "^${audit_warning}" "${WORK}/killed.err" >"${WORK}/err" || true
assert_eq "${code}" "1" "exit code of the interrupted backup"
# The pack being uploaded when the gateway died is named; the rest of the message is fixed.
refused="cannot reach endpoint ${S3_ENDPOINT_URL}: Failed to connect to 127.0.0.1 port ${PORT} after [0-9]+ ms: Couldn't connect to server \\(gave up after 8 attempts\\)"
assert_eq "$(sed -n 1p "${WORK}/err" | grep -cE "^lifeboat: error: writing pack [0-9a-f]{8}: writing data/[0-9a-f]{2}/[0-9a-f]{64}: ${refused}\$")" \
  "1" "the error names the pack, the endpoint and the retries ($(sed -n 1p "${WORK}/err"))"
assert_eq "$(sed -n 2p "${WORK}/err")" \
  "hint: check the host and port in the repository location and that the server runs" \
  "the error says what to do"
assert_eq "$(wc -l <"${WORK}/err")" "2" "the error is two lines"
assert_file_lacks "${WORK}/out" "snapshot" "no snapshot is announced"

step "while the gateway is down, commands fail with the same error"
expect 1 snapshots
assert_eq "$(sed -n 1p "${WORK}/err" | grep -cE "^lifeboat: error: reading the repository config: checking config: ${refused}\$")" \
  "1" "snapshots names the endpoint ($(sed -n 1p "${WORK}/err"))"

step "after a restart, no snapshot of the killed run exists"
start_gateway
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "1" "snapshot count after the killed backup"
assert_eq "$(json 'd[0]["id"]')" "${first}" "the only snapshot is the first one"

step "a new backup succeeds and check --read-data passes"
printf 'more\n' >"${src}/c.txt"
expect 0 --json backup "${src}"
second="$(json 'd["snapshot_id"]')"
expect 0 check --read-data
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "2" "snapshot count after the new backup"
expect 0 restore "${second:0:8}" --target "${WORK}/restore"
diff -r --no-dereference "${src}" "${WORK}/restore${src}" >"${WORK}/diff.txt" 2>&1 ||
  fail "restored content differs: $(head -5 "${WORK}/diff.txt")"
echo "PASS: ${TEST_NAME}"
