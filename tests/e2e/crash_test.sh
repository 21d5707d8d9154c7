#!/usr/bin/env bash
# A backup killed with SIGKILL midway leaves the repository consistent: after `unlock`, a new
# backup succeeds, `check --read-data` finds no errors, and the restore is byte-exact.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

export LIFEBOAT_REPOSITORY="${WORK}/repo"
export LIFEBOAT_PASSWORD="crash password"

step "a 200 MB tree of random data"
src="${WORK}/src"
for dir in 0 1 2 3; do
  mkdir -p "${src}/d${dir}"
  for file in 0 1 2 3 4; do
    head -c 10000000 /dev/urandom >"${src}/d${dir}/f${file}.bin"
  done
done
printf 'small\n' >"${src}/small.txt"
expect 0 init

step "kill -9 a backup once it has written packs"
"${LIFEBOAT}" backup "${src}" >"${WORK}/bg.out" 2>"${WORK}/bg.err" &
bg_pid=$!
BACKGROUND_PIDS+=("${bg_pid}")
packs=0
for _ in $(seq 1 1200); do
  packs="$(find "${WORK}/repo/data" -type f ! -name '.tmp-*' 2>/dev/null | wc -l || true)"
  [[ "${packs}" -gt 0 ]] && break
  kill -0 "${bg_pid}" 2>/dev/null || break
  sleep 0.05
done
finished_first=0
if kill -9 "${bg_pid}" 2>/dev/null; then
  wait "${bg_pid}" 2>/dev/null || true
else
  wait "${bg_pid}" 2>/dev/null || true
  finished_first=1
fi
echo "packs written before the kill: ${packs}"
if [[ "${finished_first}" == 1 || "$(snapshot_count)" != 0 ]]; then
  # Not a lifeboat failure, but then this run did not test a crash.
  echo "WARNING: the backup finished before it could be killed; no crash was exercised" >&2
else
  [[ "${packs}" -gt 0 ]] || fail "no pack appeared before the kill"
  [[ "$(entry_count "${WORK}/repo/locks")" -gt 0 ]] || fail "the killed backup left no lock"
fi

step "check, unlock, back up again, check, restore"
# Packs the killed backup wrote are in no index: harmless, so at most warnings.
expect 0 check
expect 0 unlock
assert_eq "$(entry_count "${WORK}/repo/locks")" "0" "locks left after unlock"
expect 0 backup "${src}"
assert_out_contains " saved" "the backup after the crash"
expect 0 check --read-data
expect 0 check --json
assert_eq "$(json 'd["ok"]')" "True" "check after the crash"
expect 0 restore latest --target "${WORK}/restore"
diff -r "${src}" "${WORK}/restore${src}" >"${WORK}/diff.txt" 2>&1 ||
  fail "the restore after the crash differs: $(head -5 "${WORK}/diff.txt")"

echo "PASS: ${TEST_NAME}"
