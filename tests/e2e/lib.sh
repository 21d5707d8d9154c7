# shellcheck shell=bash
# Shared helpers for the end-to-end scenarios. Each tests/e2e/<name>_test.sh is run by ctest as
# `bash <name>_test.sh /path/to/lifeboat` and starts with:
#     source "$(dirname "$0")/lib.sh" "$@"
# which gives it:
#   $LIFEBOAT   the binary under test (absolute path)
#   $WORK       a fresh directory, removed when the script exits
#   lb ARGS...           runs lifeboat; stdout in $WORK/out, stderr in $WORK/err, exit code in
#                        $CODE. Never fails by itself, so the script can assert on the result.
#   lb_stdin FILE ARGS...  lb with stdin read from FILE
#   expect CODE ARGS...  lb, then fails unless the exit code is CODE
#   fail MESSAGE         prints MESSAGE (and the last command's output) and exits 1
# plus the assert_* helpers below. Keys are created with cheap KDF settings
# (LIFEBOAT_KDF_PARAMS), which only tests may do.
set -Eeuo pipefail
# A command failing outside an assertion would otherwise end the test without a word.
trap 'echo "FAIL: ${0##*/}: unexpected failure (exit $?) at line ${LINENO}: ${BASH_COMMAND}" >&2' ERR

LIFEBOAT="$(readlink -f "${1:?usage: $0 PATH_TO_LIFEBOAT}")"
[[ -x "${LIFEBOAT}" ]] || { echo "FAIL: ${LIFEBOAT} is not an executable" >&2; exit 1; }
TEST_NAME="$(basename "$0" .sh)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-${TEST_NAME}.XXXXXX")"

# Background processes a test started, killed by pid on exit.
BACKGROUND_PIDS=()
cleanup() {
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do kill -9 "${pid}" 2>/dev/null || true; done
  # Tests chmod files to 000; make everything removable again first.
  chmod -R u+rwX "${WORK}" 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

# A test never depends on the caller's environment, and never waits at a password prompt.
unset LIFEBOAT_REPOSITORY LIFEBOAT_PASSWORD LIFEBOAT_PASSWORD_FILE LIFEBOAT_PASSWORD_COMMAND \
  LIFEBOAT_NEW_PASSWORD LIFEBOAT_FROM_REPOSITORY LIFEBOAT_FROM_PASSWORD LIFEBOAT_FROM_PASSWORD_FILE \
  LIFEBOAT_FROM_PASSWORD_COMMAND LIFEBOAT_JOB LIFEBOAT_AUDIT_POSTGRES LIFEBOAT_PG_DBNAME
export LIFEBOAT_KDF_PARAMS=1,8192,1
# Every command that touches a repository appends to the audit log; tests keep theirs in $WORK,
# never in the home directory of whoever runs them.
export LIFEBOAT_AUDIT_DB="${WORK}/audit.db"
exec </dev/null
export LC_ALL=C

CODE=0
LAST_COMMAND=""

step() { echo "--- ${TEST_NAME}: $*"; }

fail() {
  echo "FAIL: ${TEST_NAME}: $*" >&2
  if [[ -n "${LAST_COMMAND}" ]]; then
    echo "  last command: ${LAST_COMMAND} (exit ${CODE})" >&2
    echo "  stdout:" >&2
    head -c 4000 "${WORK}/out" 2>/dev/null | sed 's/^/    /' >&2 || true
    echo "  stderr:" >&2
    head -c 4000 "${WORK}/err" 2>/dev/null | sed 's/^/    /' >&2 || true
  fi
  exit 1
}

lb() {
  LAST_COMMAND="lifeboat $*"
  CODE=0
  "${LIFEBOAT}" "$@" >"${WORK}/out" 2>"${WORK}/err" || CODE=$?
}

lb_stdin() {
  local input="$1"
  shift
  LAST_COMMAND="lifeboat $* < ${input}"
  CODE=0
  "${LIFEBOAT}" "$@" <"${input}" >"${WORK}/out" 2>"${WORK}/err" || CODE=$?
}

expect() {
  local want="$1"
  shift
  lb "$@"
  [[ "${CODE}" == "${want}" ]] || fail "expected exit code ${want}, got ${CODE}"
}

assert_eq() {  # ACTUAL EXPECTED MESSAGE
  [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

assert_file_contains() {  # FILE FIXED-STRING MESSAGE
  grep -qF -- "$2" "$1" || fail "$3: '$2' not found in $(basename "$1")"
}

assert_file_lacks() {  # FILE FIXED-STRING MESSAGE
  if grep -qF -- "$2" "$1"; then fail "$3: '$2' found in $(basename "$1")"; fi
}

assert_out_contains() { assert_file_contains "${WORK}/out" "$1" "$2"; }
assert_err_contains() { assert_file_contains "${WORK}/err" "$1" "$2"; }

# json EXPRESSION: evaluates a Python expression over the JSON document on the last stdout
# (bound to `d`) and prints the result.
json() {
  python3 -c 'import json, sys; d = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' \
    "$1" "${WORK}/out" || fail "stdout is not the expected JSON ($1)"
}

# json_lines EXPRESSION: the same over a stdout of one JSON object per line (bound to `lines`).
json_lines() {
  python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
print(eval(sys.argv[1]))' "$1" "${WORK}/out" || fail "stdout is not JSON lines ($1)"
}

# tree_listing DIR: one line per entry below DIR with type, mode, size, owner, mtime (ns) and
# symlink target, sorted — what a faithful restore must reproduce.
tree_listing() {
  # A directory's own size depends on its history in the file system, not on its content.
  (cd "$1" && find . -mindepth 1 -printf '%P|%y|%m|%s|%U:%G|%T@|%l\n' |
    awk -F'|' 'BEGIN { OFS = "|" } $2 == "d" { $4 = "-" } { print }' | sort)
}

# repo_checksums DIR: every file of a repository with its checksum, sorted.
repo_checksums() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# entry_count DIR: how many entries DIR holds (0 when it does not exist).
entry_count() {
  find "$1" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

snapshot_count() {
  expect 0 snapshots --json
  json 'len(d)'
}
