#!/usr/bin/env bash
# A repository written by lifeboat's format version 1 (tests/fixtures/repo-v1, password
# "fixture-v1") must stay readable by every later build: it checks clean, and restores to the
# recorded contents, symlink and modification time. If this fails, the format changed in a way
# that breaks existing repositories: bump the format version and keep reading version 1.
source "$(dirname "$0")/lib.sh" "$@"

FIXTURE="$(cd "$(dirname "$0")/../fixtures" && pwd)"
cp -a "${FIXTURE}/repo-v1" "${WORK}/repo"
export LIFEBOAT_REPOSITORY="${WORK}/repo" LIFEBOAT_PASSWORD=fixture-v1

expect 0 check --read-data
expect 0 snapshots --json
python3 - "${WORK}/out" <<'PY'
import json, sys
snapshots = json.load(open(sys.argv[1]))
assert len(snapshots) == 1, snapshots
assert snapshots[0]["paths"] == ["/tmp/fx/src/app"], snapshots[0]["paths"]
assert snapshots[0]["hostname"] == "fixture", snapshots[0]["hostname"]
PY

expect 0 restore latest --target "${WORK}/restore"
(cd "${WORK}/restore/tmp/fx/src" && sha256sum --check --quiet "${FIXTURE}/repo-v1.sha256") ||
  fail "restored contents differ from tests/fixtures/repo-v1.sha256"
[[ "$(readlink "${WORK}/restore/tmp/fx/src/app/latest")" == "uploads/photo.bin" ]] ||
  fail "symlink target differs"
[[ -d "${WORK}/restore/tmp/fx/src/app/empty" ]] || fail "empty directory missing"
[[ "$(stat -c %Y "${WORK}/restore/tmp/fx/src/app/README")" == 1767323045 ]] ||
  fail "modification time differs"

# A wrong password still fails cleanly on the old format.
LIFEBOAT_PASSWORD=wrong expect 12 snapshots
echo "PASS: ${TEST_NAME}"
