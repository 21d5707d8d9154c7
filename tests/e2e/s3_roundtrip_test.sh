#!/usr/bin/env bash
# A repository on a real S3 server (Ceph RGW on loopback, started by tests/s3/with_test_s3.sh
# when it is not running): init, backup, snapshots, restore byte-exact, diff, check
# --read-data, and the errors a user meets first — wrong secret, missing bucket, nothing
# listening. Each run uses a fresh prefix of the test bucket.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

s3env="$(bash "$(dirname "$0")/../s3/with_test_s3.sh")" || fail "the S3 test server did not start"
eval "${s3env}"
prefix="e2e-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export LIFEBOAT_REPOSITORY="${LIFEBOAT_TEST_S3_REPO}/${prefix}"
export LIFEBOAT_PASSWORD="correct horse"

step "init needs no directory and refuses a second time"
expect 10 snapshots
assert_err_contains "there is no repository at ${LIFEBOAT_REPOSITORY}" "missing repository"
expect 0 -o s3.storage-class=STANDARD init
assert_out_contains "created lifeboat repository at ${LIFEBOAT_REPOSITORY}" "init message"
expect 1 init
assert_err_contains "a repository already exists" "a second init is refused"

step "backup"
src="${WORK}/src"
mkdir -p "${src}/dir/sub"
printf 'hello\n' >"${src}/a.txt"
head -c 3000000 /dev/urandom >"${src}/dir/big.bin"
: >"${src}/empty"
ln -s a.txt "${src}/link"
printf 'deep\n' >"${src}/dir/sub/deep.txt"
expect 0 --json backup "${src}"
snap1="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["files_new"]')" "4" "new files in the first backup"
printf 'changed\n' >"${src}/a.txt"
printf 'new\n' >"${src}/new.txt"
expect 0 --json -o s3.storage-class=STANDARD backup "${src}"
snap2="$(json 'd["snapshot_id"]')"

step "snapshots"
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "2" "snapshot count"
assert_eq "$(json 'sorted(s["id"] for s in d) == sorted(["'"${snap1}"'", "'"${snap2}"'"])')" \
  "True" "snapshot ids"

step "restore is byte-exact"
expect 0 restore "${snap2:0:8}" --target "${WORK}/restore"
diff -r --no-dereference "${src}" "${WORK}/restore${src}" >"${WORK}/diff.txt" 2>&1 ||
  fail "restored content differs: $(head -5 "${WORK}/diff.txt")"

step "diff"
expect 0 diff "${snap1:0:8}" "${snap2:0:8}"
assert_out_contains "+    ${src}/new.txt" "diff shows the added file"
assert_out_contains "M    ${src}/a.txt" "diff shows the modified file"

step "check --read-data"
expect 0 check --read-data
expect 0 check --json
assert_eq "$(json 'd["ok"]')" "True" "check --json"

step "copy local -> S3 -> local restores byte-exact"
near="${WORK}/near-repo"
far="${WORK}/far-repo"
LIFEBOAT_PASSWORD="near secret" expect 0 -r "${near}" init
LIFEBOAT_PASSWORD="near secret" expect 0 -r "${near}" --json backup "${src}"
near_snap="$(json 'd["snapshot_id"]')"
expect 0 copy --from-repo "${near}" --from-password-command "printf 'near secret'" latest
assert_out_contains "1 snapshot copied, 0 already there" "copied into S3"
expect 0 copy --from-repo "${near}" --from-password-command "printf 'near secret'" latest
assert_out_contains "0 snapshots copied, 1 already there" "copying into S3 again copies nothing"
LIFEBOAT_PASSWORD="far secret" expect 0 -r "${far}" init
LIFEBOAT_PASSWORD="far secret" LIFEBOAT_FROM_PASSWORD="correct horse" \
  expect 0 -r "${far}" copy --from-repo "${LIFEBOAT_REPOSITORY}" latest
assert_out_contains "1 snapshot copied, 0 already there" "copied out of S3"
LIFEBOAT_PASSWORD="far secret" expect 0 -r "${far}" snapshots --json
assert_eq "$(json 'd[0]["original"]')" "${near_snap}" "a copy of a copy names the first original"
LIFEBOAT_PASSWORD="far secret" expect 0 -r "${far}" restore latest --target "${WORK}/far-restore"
diff -r --no-dereference "${src}" "${WORK}/far-restore${src}" >"${WORK}/diff.txt" 2>&1 ||
  fail "content copied through S3 differs: $(head -5 "${WORK}/diff.txt")"
LIFEBOAT_PASSWORD="far secret" expect 0 -r "${far}" check --read-data
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "3" "the S3 repository holds the copy besides its own snapshots"

step "errors name their cause"
AWS_SECRET_ACCESS_KEY=not-the-secret expect 1 snapshots
assert_err_contains "rejected the credentials: SignatureDoesNotMatch" "wrong secret"
assert_err_contains "hint: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" "credentials hint"
assert_file_lacks "${WORK}/err" "${AWS_SECRET_ACCESS_KEY}" "the secret is never printed"
expect 10 -r "s3:${S3_ENDPOINT_URL}/lifeboat-no-such-bucket/repo" snapshots
assert_err_contains "bucket \"lifeboat-no-such-bucket\" does not exist at ${S3_ENDPOINT_URL}" \
  "missing bucket"
expect 1 -r "s3:${S3_ENDPOINT_URL}/lifeboat-no-such-bucket/repo" init
assert_err_contains "bucket \"lifeboat-no-such-bucket\" does not exist" "init into a missing bucket"
expect 2 -o s3.storage-class= snapshots
assert_err_contains "unknown or malformed option -o s3.storage-class=" "empty option value"

echo "PASS: ${TEST_NAME}"
