#!/usr/bin/env bash
# A backup that cannot read everything still saves what it could: an unreadable file is a
# warning naming it, the exit code is 3, the snapshot exists and everything else restores
# exactly. Root reads every file, so the backup runs as the unprivileged user `nobody`.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

if [[ "$(id -u)" != 0 ]] || ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null; then
  echo "SKIP: ${TEST_NAME} needs root, the user nobody and setpriv"
  exit 0
fi

# nobody must reach the binary, the tree and the repository.
chmod 0711 "${WORK}"
home="${WORK}/nobody"
install -d -o nobody -g "$(id -g nobody)" -m 0755 "${home}"
export LIFEBOAT_AUDIT_DB="${home}/audit.db"  # nobody cannot write lib.sh's, in root's ${WORK}
cp "${LIFEBOAT}" "${home}/lifeboat"
chmod 0755 "${home}/lifeboat"
as_nobody() {
  setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups -- "$@"
}

src="${home}/src"
as_nobody mkdir -p "${src}/dir" "${src}/closed-dir"
as_nobody sh -c "printf 'readable\n' >'${src}/ok.txt'"
as_nobody sh -c "head -c 200000 /dev/urandom >'${src}/dir/ok.bin'"
as_nobody sh -c "printf 'inside\n' >'${src}/closed-dir/hidden.txt'"
as_nobody sh -c "printf 'top secret\n' >'${src}/secret.txt'"
as_nobody chmod 000 "${src}/secret.txt"

export LIFEBOAT_REPOSITORY="${home}/repo"
export LIFEBOAT_PASSWORD="partial password"
LIFEBOAT="${home}/lifeboat"

step "init and back up as nobody"
LAST_COMMAND="lifeboat init (as nobody)"
as_nobody "${LIFEBOAT}" init >"${WORK}/out" 2>"${WORK}/err" || fail "init as nobody failed"
LAST_COMMAND="lifeboat backup (as nobody)"
CODE=0
as_nobody "${LIFEBOAT}" --json backup "${src}" >"${WORK}/out" 2>"${WORK}/err" || CODE=$?
assert_eq "${CODE}" "3" "exit code of a partial backup"
assert_err_contains "warning: " "a warning is printed"
assert_err_contains "${src}/secret.txt" "the warning names the unreadable file"
assert_eq "$(json 'd["partial"]')" "True" "the JSON summary says partial"
[[ "$(json 'd["errors"] >= 1')" == "True" ]] || fail "the summary counts no errors"
snap="$(json 'd["short_id"]')"

step "the snapshot exists and restores what was readable"
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "1" "the partial snapshot was saved"
assert_eq "$(json 'd[0]["short_id"]')" "${snap}" "the saved snapshot is the reported one"
[[ "$(json 'd[0]["summary"]["errors"] >= 1')" == "True" ]] || fail "the snapshot records no errors"
expect 0 restore "${snap}" --target "${WORK}/restore"
restored="${WORK}/restore${src}"
cmp -s "${src}/ok.txt" "${restored}/ok.txt" || fail "ok.txt differs after restore"
cmp -s "${src}/dir/ok.bin" "${restored}/dir/ok.bin" || fail "dir/ok.bin differs after restore"
[[ ! -e "${restored}/secret.txt" ]] || fail "the unreadable file appears in the restore"
expect 0 check --read-data

step "a directory that cannot be listed is a warning too"
as_nobody chmod 000 "${src}/closed-dir"
LAST_COMMAND="lifeboat backup (as nobody, closed dir)"
CODE=0
as_nobody "${LIFEBOAT}" backup "${src}" >"${WORK}/out" 2>"${WORK}/err" || CODE=$?
assert_eq "${CODE}" "3" "exit code with an unreadable directory"
assert_err_contains "${src}/closed-dir" "the warning names the unreadable directory"
assert_eq "$(snapshot_count)" "2" "the second partial snapshot was saved"

echo "PASS: ${TEST_NAME}"
