#!/usr/bin/env bash
# prune through the real binary: forget --prune marks what the forgotten snapshots alone used,
# a later prune (--grace 0 here) deletes it, check --read-data passes and the kept snapshot
# restores identical; prune --dry-run changes no file of the repository; bad options are usage
# errors; repair index rebuilds a lost index.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

export LIFEBOAT_REPOSITORY="${WORK}/repo"
export LIFEBOAT_PASSWORD="prune password"

repo_files() {  # every object of the repository with its size, sorted (locks excluded)
  (cd "${WORK}/repo" && find . -type f ! -path './locks/*' -printf '%p %s\n' | sort)
}

step "three backups, each with data of its own"
expect 0 init
src="${WORK}/src"
mkdir -p "${src}"
for i in 1 2 3; do
  head -c 3000000 /dev/urandom >"${src}/data-${i}.bin"
  printf 'version %s\n' "${i}" >"${src}/version.txt"
  expect 0 backup "${src}"
  if [[ ${i} != 3 ]]; then rm "${src}/data-${i}.bin"; fi
done
cp -a "${src}" "${WORK}/expected"

step "bad prune options are usage errors"
expect 2 prune --max-unused 5
assert_eq "$(head -1 "${WORK}/err")" \
  'lifeboat: error: invalid --max-unused "5": expected a percentage (e.g. 5%) or "unlimited"' \
  "--max-unused error"
expect 2 prune --grace 1w
assert_eq "$(head -1 "${WORK}/err")" \
  'lifeboat: error: invalid --grace "1w": expected a duration such as 1h, 30m, 90s or 2d' \
  "--grace error"

step "forget --keep-last 1 --prune marks the forgotten data and deletes nothing yet"
(cd "${WORK}/repo" && find data -type f | sort) >"${WORK}/packs-before.txt"
expect 0 forget --keep-last 1 --prune
assert_out_contains "removed 2 snapshots" "forget summary"
assert_out_contains "mark: will mark " "prune plan"
assert_out_contains "which a prune after " "prune summary"
assert_eq "$(snapshot_count)" "1" "snapshots after forget"
(cd "${WORK}/repo" && find data -type f | sort) >"${WORK}/packs-marked.txt"
comm -23 "${WORK}/packs-before.txt" "${WORK}/packs-marked.txt" >"${WORK}/gone.txt"
[[ ! -s "${WORK}/gone.txt" ]] || fail "the mark deleted packs: $(head -3 "${WORK}/gone.txt")"
assert_eq "$(entry_count "${WORK}/repo/garbage")" "1" "garbage markers after the mark"
expect 0 check --read-data

step "within the grace period prune deletes nothing"
expect 0 prune --json
assert_eq "$(json 'd["packs_swept"]')" "0" "packs swept within the grace period"
assert_eq "$(json 'd["markers_waiting"]')" "1" "markers waiting"

step "prune --dry-run changes nothing"
repo_files >"${WORK}/files-before.txt"
expect 0 prune --grace 0 --dry-run --json
marked="$(json 'd["packs_swept"]')"
[[ "${marked}" -ge 2 ]] || fail "expected at least the two forgotten data packs to be due, got ${marked}"
expect 0 prune --grace 0 --dry-run
assert_out_contains "sweep: would delete ${marked} packs" "dry-run plan"
assert_out_contains "dry run: nothing was changed" "dry-run summary"
repo_files >"${WORK}/files-after.txt"
diff "${WORK}/files-before.txt" "${WORK}/files-after.txt" >"${WORK}/diff.txt" ||
  fail "prune --dry-run changed the repository: $(head -5 "${WORK}/diff.txt")"

step "a later prune deletes the marked packs"
packs_marked="$(find "${WORK}/repo/data" -type f | wc -l)"
expect 0 prune --grace 0 --json
assert_eq "$(json 'd["packs_swept"]')" "${marked}" "packs swept"
assert_eq "$(json 'd["markers_swept"]')" "1" "markers swept"
assert_eq "$(find "${WORK}/repo/data" -type f | wc -l)" "$((packs_marked - marked))" "packs after"
assert_eq "$(entry_count "${WORK}/repo/garbage")" "0" "garbage markers after the sweep"

step "check --read-data passes and the kept snapshot restores identical"
expect 0 check --read-data
assert_file_lacks "${WORK}/err" "warning" "check warnings after prune"
expect 0 restore latest --target "${WORK}/restore"
diff -r "${WORK}/expected" "${WORK}/restore${src}" >"${WORK}/diff.txt" 2>&1 ||
  fail "the restore after prune differs: $(head -5 "${WORK}/diff.txt")"

step "repair index brings back a deleted index file"
rm "${WORK}"/repo/index/*
expect 1 check
assert_err_contains "is not in the index; used by snapshot" "check after losing the index"
expect 0 repair index --json
assert_eq "$(json 'd["packs"]')" "$(find "${WORK}/repo/data" -type f | wc -l)" "packs indexed"
assert_eq "$(json 'd["index_files_removed"]')" "0" "index files replaced"
expect 0 check --read-data
expect 0 repair snapshots
assert_out_contains "0 of 1 snapshots needed repair" "repair snapshots summary"

echo "PASS: ${TEST_NAME}"
