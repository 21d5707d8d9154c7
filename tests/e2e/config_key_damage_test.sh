#!/usr/bin/env bash
# The rest of the corruption matrix (packs, index files and snapshots are in ops/repair_test.cc
# and prune_test.sh): a flipped byte, a truncation or a deletion in the config or the key file
# each gets its own precise error and exit code, and changes nothing stored.
source "$(dirname "$0")/lib.sh" "$@"

REPO="${WORK}/repo"
export LIFEBOAT_PASSWORD=pw
expect 0 init --repo "${REPO}"
mkdir -p "${WORK}/src" && echo "hello" >"${WORK}/src/f"
expect 0 backup --repo "${REPO}" "${WORK}/src"
cp -a "${REPO}" "${WORK}/pristine"
KEY="$(basename "$(ls "${REPO}"/keys/*)")"

flip_middle() {  # FILE: flips one bit in the middle of FILE
  python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1; open(p, "wb").write(b)' "$1"
}
reset_repo() { rm -rf "${REPO}"; cp -a "${WORK}/pristine" "${REPO}"; }
damaged_check() {  # CODE MESSAGE: check fails with CODE naming MESSAGE, and the damage stays as it was
  local before
  before="$(repo_checksums "${REPO}")"
  expect "$1" check --repo "${REPO}"
  assert_err_contains "$2" "the damage is named"
  assert_eq "$(repo_checksums "${REPO}")" "${before}" "nothing stored changed"
}

step "config: flipped byte, truncated, deleted"
reset_repo; flip_middle "${REPO}/config"
damaged_check 1 "config is damaged: it cannot be decrypted"
reset_repo; truncate -s 10 "${REPO}/config"
damaged_check 1 "config is damaged"
reset_repo; rm "${REPO}/config"
damaged_check 10 "there is no repository at ${REPO}"

step "key file: flipped byte, truncated, deleted"
reset_repo; flip_middle "${REPO}/keys/${KEY}"
damaged_check 1 "key file ${KEY:0:8} is damaged (content does not match the name)"
reset_repo; truncate -s 5 "${REPO}/keys/${KEY}"
damaged_check 1 "key file ${KEY:0:8} is damaged"
reset_repo; rm "${REPO}/keys/${KEY}"
damaged_check 1 "has no key files"

step "a wrong password is still a wrong password"
reset_repo
LIFEBOAT_PASSWORD=nope expect 12 check --repo "${REPO}"
assert_err_contains "wrong password" "exit 12"
expect 0 check --repo "${REPO}" --read-data
echo "PASS: ${TEST_NAME}"
