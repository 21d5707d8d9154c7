#!/usr/bin/env bash
# What users see when things go wrong: each failure has its documented exit code and a message
# saying what happened, and a failure never changes the repository.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

src="${WORK}/src"
mkdir -p "${src}"
printf 'data\n' >"${src}/file.txt"
repo="${WORK}/repo"

step "usage errors exit with 2"
expect 2 frobnicate
assert_err_contains "lifeboat: error:" "unknown command message"
expect 2 -r "${repo}" backup --no-such-option "${src}"
expect 2 -r "${repo}" backup
assert_err_contains "nothing to back up" "backup without paths"
expect 2 snapshots
assert_err_contains "no repository given" "missing --repo"
assert_err_contains "LIFEBOAT_REPOSITORY" "missing --repo names the variable"
LIFEBOAT_PASSWORD=x expect 2 -r sftp:host:/backups snapshots
assert_err_contains "not supported yet" "an sftp: location is refused clearly"
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  LIFEBOAT_PASSWORD=x expect 2 -r s3:my-bucket/backups snapshots
  assert_err_contains "no S3 credentials for s3:my-bucket/backups" "s3: without credentials"
  assert_err_contains "hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" "the hint names them"
)
expect 2 -r "${repo}" snapshots
assert_err_contains "no password given" "no password source"
for source in --password-file --password-command LIFEBOAT_PASSWORD; do
  assert_err_contains "${source}" "the hint names ${source}"
done
expect 2 -r "${repo}" --password-file /x --password-command "echo x" snapshots
[[ ! -e "${repo}" ]] || fail "a usage error created the repository directory"

step "a missing repository exits with 10"
export LIFEBOAT_PASSWORD="the password"
expect 10 -r "${WORK}/no-such-repo" snapshots
assert_err_contains "lifeboat: error: there is no repository at ${WORK}/no-such-repo" \
  "missing repository message"
assert_err_contains "hint: " "missing repository hint"
expect 10 -r "${WORK}/no-such-repo" backup "${src}"
[[ ! -e "${WORK}/no-such-repo" ]] || fail "backup to a missing repository created it"

step "wrong password exits with 12 and changes nothing"
export LIFEBOAT_REPOSITORY="${repo}"
expect 0 init
expect 0 backup "${src}"
repo_checksums "${repo}" >"${WORK}/before.txt"
for command in "snapshots" "backup ${src}" "restore latest --target ${WORK}/r" "check" \
  "key list" "unlock"; do
  # shellcheck disable=SC2086  # the command is split into arguments on purpose
  LIFEBOAT_PASSWORD="not the password" expect 12 ${command}
  assert_err_contains "lifeboat: error: wrong password" "wrong password message (${command})"
  assert_file_lacks "${WORK}/err" "not the password" "the password is never printed"
done
LIFEBOAT_NEW_PASSWORD=new LIFEBOAT_PASSWORD="not the password" expect 12 key add
repo_checksums "${repo}" >"${WORK}/after.txt"
diff "${WORK}/before.txt" "${WORK}/after.txt" >/dev/null ||
  fail "the repository changed after wrong-password attempts"
[[ ! -e "${WORK}/r" ]] || fail "restore with a wrong password created the target"

step "password sources that fail"
expect 1 --password-file "${WORK}/no-such-file" snapshots
assert_err_contains "${WORK}/no-such-file" "a missing password file is named"
expect 1 --password-command "exit 4" snapshots
assert_err_contains "status 4" "a failing password command is reported"
: >"${WORK}/empty-password"
expect 1 --password-file "${WORK}/empty-password" snapshots
assert_err_contains "empty" "an empty password is refused"

step "unknown snapshots and paths exit with 1"
expect 1 dump deadbeef /x
assert_err_contains "deadbeef" "an unknown snapshot prefix is named"
expect 1 dump latest "${src}/no-such-file"
expect 1 backup "${WORK}/no-such-path"
assert_err_contains "${WORK}/no-such-path" "a missing backup path is named"

step "damaged data: check and restore exit with 1 and name the damage"
cp -a "${repo}" "${WORK}/damaged-repo"
head -c 2000000 /dev/urandom >"${src}/big.bin"
expect 0 -r "${WORK}/damaged-repo" backup "${src}"
biggest_pack="$(find "${WORK}/damaged-repo/data" -type f -printf '%s %p\n' | sort -n | tail -1 |
  cut -d' ' -f2)"
python3 -c 'import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0xFF
open(path, "wb").write(bytes(data))' "${biggest_pack}"
expect 0 -r "${WORK}/damaged-repo" check
expect 1 -r "${WORK}/damaged-repo" check --read-data
assert_err_contains "lifeboat: error: repository has errors" "check reports damage"
expect 1 -r "${WORK}/damaged-repo" check --read-data --json
assert_eq "$(json 'd["ok"]')" "False" "check --json reports damage"
expect 1 -r "${WORK}/damaged-repo" restore latest --target "${WORK}/damaged-restore"
assert_err_contains "big.bin" "restore names the damaged file"
assert_err_contains "could not be restored" "restore reports the failure"
cmp -s "${src}/file.txt" "${WORK}/damaged-restore${src}/file.txt" ||
  fail "restore from a damaged repository lost an undamaged file"
rm "${src}/big.bin"

step "a garbage config is an error, not a crash"
cp -a "${repo}" "${WORK}/garbage-repo"
printf 'this is not a config' >"${WORK}/garbage-repo/config"
expect 1 -r "${WORK}/garbage-repo" snapshots
assert_err_contains "lifeboat: error:" "garbage config message"
assert_err_contains "config" "the message names the config"
head -c 4096 /dev/urandom >"${WORK}/garbage-repo/config"
expect 1 -r "${WORK}/garbage-repo" backup "${src}"
rm -f "${WORK}/garbage-repo/keys/"*
expect 1 -r "${WORK}/garbage-repo" snapshots
assert_err_contains "key" "a repository without keys says so"

step "a lock left by a killed process is stale, and unlock removes it"
"${LIFEBOAT}" backup --stdin-from-command -- sleep 30 >"${WORK}/bg.out" 2>"${WORK}/bg.err" &
bg_pid=$!
BACKGROUND_PIDS+=("${bg_pid}")
for _ in $(seq 1 200); do
  [[ "$(entry_count "${repo}/locks")" -gt 0 ]] && break
  sleep 0.05
done
[[ "$(entry_count "${repo}/locks")" -gt 0 ]] || fail "the running backup took no lock"
sleep_pid="$(pgrep -P "${bg_pid}" || true)"
kill -9 "${bg_pid}"
wait "${bg_pid}" 2>/dev/null || true
[[ -z "${sleep_pid}" ]] || kill "${sleep_pid}" 2>/dev/null || true
assert_eq "$(entry_count "${repo}/locks")" "1" "the killed backup left its lock"
expect 0 backup "${src}"  # a stale lock does not block
expect 0 unlock
assert_out_contains "removed 1 lock" "unlock reports the stale lock"
assert_eq "$(entry_count "${repo}/locks")" "0" "locks left after unlock"
expect 0 unlock
assert_out_contains "no stale locks" "a second unlock finds nothing"

step "SIGINT and SIGTERM exit with 130 and 143, release the lock and stop the command"
for signal in INT TERM; do
  want=$([[ "${signal}" == INT ]] && echo 130 || echo 143)
  before="$(snapshot_count)"
  # Background jobs of a script start with SIGINT ignored; give the backup the default back.
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "${LIFEBOAT}" backup --stdin-from-command -- sleep 30 \
    >"${WORK}/bg.out" 2>"${WORK}/bg.err" &
  bg_pid=$!
  BACKGROUND_PIDS+=("${bg_pid}")
  child_pid=""
  for _ in $(seq 1 200); do
    child_pid="$(pgrep -P "${bg_pid}" || true)"
    [[ -n "${child_pid}" && "$(entry_count "${repo}/locks")" -gt 0 ]] && break
    sleep 0.05
  done
  [[ -n "${child_pid}" ]] || fail "the backup did not start its command"
  kill "-${signal}" "${bg_pid}"
  code=0
  wait "${bg_pid}" || code=$?
  assert_eq "${code}" "${want}" "exit code after SIG${signal}"
  assert_file_contains "${WORK}/bg.err" "lifeboat: " "SIG${signal} is reported"
  assert_eq "$(entry_count "${repo}/locks")" "0" "locks left after SIG${signal}"
  assert_eq "$(snapshot_count)" "${before}" "snapshots after SIG${signal}"
  for _ in $(seq 1 100); do
    kill -0 "${child_pid}" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "${child_pid}" 2>/dev/null; then
    kill "${child_pid}"
    fail "the command kept running after SIG${signal}"
  fi
done

echo "PASS: ${TEST_NAME}"
