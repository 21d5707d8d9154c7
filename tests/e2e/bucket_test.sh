#!/usr/bin/env bash
# Buckets as a source, against the real S3 test server (Ceph RGW on loopback): a media bucket
# of 52 objects — nested keys, an empty object, 20 MiB of video, keys with spaces, unicode,
# "a//b", "/leading", "x/../y", a key "dir" beside "dir/..." — is backed up, restored into a new
# bucket (the big object in parts) and compared object by object through boto3: key, SHA-256,
# Content-Type and user metadata. Then --prefix on both sides, --include, dedup of an unchanged
# bucket, and the errors: a missing source bucket, a missing target, wrong credentials.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh" "$@"

s3env="$(bash "$(dirname "$0")/../s3/with_test_s3.sh")" || fail "the S3 test server did not start"
eval "${s3env}"
# Debian's python3-boto3 (scripts/install-deps.sh) serves /usr/bin/python3; another python3
# first on PATH may bring its own boto3.
PYTHON=python3
if ! "${PYTHON}" -c 'import boto3' 2>/dev/null && [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; fi
tool() { "${PYTHON}" "$(dirname "$0")/bucket_tool.py" "$@"; }
run_id="$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
source_bucket="media-${run_id}"
restored="media-${run_id}-recovery"
partial="media-${run_id}-uploads"
cleanup_buckets() {
  for b in "${source_bucket}" "${restored}" "${partial}"; do tool drop "${b}" >/dev/null 2>&1 || true; done
}
trap 'cleanup_buckets; cleanup' EXIT
export LIFEBOAT_REPOSITORY="${WORK}/repo"
export LIFEBOAT_PASSWORD="correct horse"
endpoint="s3:${S3_ENDPOINT_URL}"

step "seed the media bucket"
assert_eq "$(tool seed "${source_bucket}")" "52" "objects seeded"
expect 0 init

step "backup"
expect 0 --json bucket backup "${endpoint}/${source_bucket}" --tag media
snap1="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["objects"]')" "52" "objects backed up"
assert_eq "$(json 'd["bytes"] > 20 * 2**20')" "True" "bytes backed up"
expect 0 snapshots --json
assert_eq "$(json 'd[0]["source"]')" "bucket" "snapshot source"
assert_eq "$(json 'd[0]["paths"]')" "['s3://${source_bucket}']" "snapshot path"
assert_eq "$(json 'd[0]["tags"]')" "['media']" "snapshot tags"
assert_eq "$(json 'd[0]["manifest"]["objects"], d[0]["manifest"]["bucket"]')" \
  "(52, '${source_bucket}')" "manifest in the snapshot record"
expect 0 ls latest
assert_out_contains "/objects/a/%/b" "a//b keeps its empty part"
assert_out_contains "/objects/x/%2E%2E/y" ".. is escaped"
assert_out_contains "/objects/dir%/inner.json" "a directory beside a key of its name is marked"
assert_out_contains "/objects.jsonl" "object records"

step "restore into a new bucket, the 20 MiB object in parts"
expect 1 bucket restore latest --to "${endpoint}/${restored}"
assert_err_contains "bucket \"${restored}\" does not exist at ${S3_ENDPOINT_URL}" "missing target"
assert_err_contains "hint: create it, or pass --create-bucket" "missing target hint"
expect 0 --json bucket restore latest --to "${endpoint}/${restored}" --create-bucket \
  --multipart-threshold 5242880
assert_eq "$(json 'd["restored"], d["failed"]')" "(52, 0)" "restore counts"
tool describe "${source_bucket}" >"${WORK}/source.jsonl"
tool describe "${restored}" >"${WORK}/restored.jsonl"
assert_eq "$(wc -l <"${WORK}/restored.jsonl")" "52" "restored objects"
diff "${WORK}/source.jsonl" "${WORK}/restored.jsonl" >"${WORK}/diff.txt" ||
  fail "restored bucket differs: $(head -5 "${WORK}/diff.txt")"
assert_eq "$(tool etag "${restored}" big/video.bin | grep -c -- '-4"')" "1" \
  "the big object went up in 4 parts"

step "--prefix and --include"
expect 0 --json bucket restore latest --to "${endpoint}/${partial}" --create-bucket \
  --prefix uploads/a/ --include '*-0?.txt' --include '*-1?.txt'
assert_eq "$(json 'd["restored"], d["skipped"]')" "(10, 42)" "filtered restore counts"
expect 0 --json bucket backup "${endpoint}/${source_bucket}/uploads" --prefix b/
snap_prefix="$(json 'd["snapshot_id"]')"
assert_eq "$(json 'd["objects"], d["prefix"]')" "(20, 'uploads/b/')" "prefix backup"
tool drop "${partial}"
expect 0 bucket restore "${snap_prefix:0:8}" --to "${endpoint}/${partial}" --create-bucket
tool describe "${partial}" >"${WORK}/partial.jsonl"
tool describe "${source_bucket}" uploads/b/ >"${WORK}/source-b.jsonl"
diff "${WORK}/source-b.jsonl" "${WORK}/partial.jsonl" >"${WORK}/diff.txt" ||
  fail "prefix restore differs: $(head -5 "${WORK}/diff.txt")"

step "objects that fail are named, the others restored"
tool drop "${partial}"
tool deny-puts "${partial}" uploads/a/
expect 1 bucket restore "${snap1:0:8}" --to "${endpoint}/${partial}"
assert_err_contains "object \"uploads/a/file-00.txt\": the S3 server at ${S3_ENDPOINT_URL} denied access: AccessDenied (HTTP 403)" \
  "a refused object is named"
assert_eq "$(grep -c '^error: object "uploads/a/' "${WORK}/err")" "20" "each refused object is named"
assert_err_contains "20 of 52 objects could not be restored" "failure count"
assert_out_contains "restored snapshot ${snap1:0:8}: 32 objects" "the others are restored"
assert_eq "$(tool describe "${partial}" | wc -l)" "32" "objects in the partly refused bucket"

step "a second backup of the unchanged bucket adds nearly nothing"
expect 0 --json bucket backup "${endpoint}/${source_bucket}"
assert_eq "$(json 'd["objects"]')" "52" "objects in the second backup"
assert_eq "$(json 'd["bytes_added"] < 64 * 1024')" "True" \
  "bytes added by an unchanged bucket ($(json 'd["bytes_added"]'))"

step "errors"
expect 1 bucket backup "${endpoint}/no-such-media-${run_id}"
assert_err_contains "bucket \"no-such-media-${run_id}\" does not exist at ${S3_ENDPOINT_URL}" \
  "missing source bucket"
assert_err_contains "hint: check the bucket name in the source location; no snapshot was saved" \
  "missing source hint"
AWS_SECRET_ACCESS_KEY=not-the-secret expect 1 bucket backup "${endpoint}/${source_bucket}"
assert_err_contains "rejected the credentials: SignatureDoesNotMatch" "wrong secret"
assert_err_contains "hint: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" "credentials hint"
assert_file_lacks "${WORK}/err" "not-the-secret" "the secret is never printed"
AWS_SECRET_ACCESS_KEY=not-the-secret expect 1 bucket restore "${snap1:0:8}" \
  --to "${endpoint}/${restored}"
assert_err_contains "rejected the credentials: SignatureDoesNotMatch" "wrong secret on restore"
expect 1 bucket restore latest --to "${endpoint}/${restored}/sub"
assert_err_contains "has a prefix; objects are restored under their own keys" "target prefix"
expect 2 bucket restore latest --to "${endpoint}/${restored}" --multipart-threshold 0
assert_err_contains "--multipart-threshold must be 1 byte to 5 GiB" "threshold out of range"
expect 2 bucket backup "${endpoint}/${source_bucket}" --jobs 0
assert_err_contains "--jobs must be 1 to 64" "jobs out of range"
expect 0 snapshots --json
assert_eq "$(json 'len(d)')" "3" "failed backups saved no snapshot"
printf 'not a bucket\n' >"${WORK}/file.txt"
expect 0 --json backup "${WORK}/file.txt"
files_snap="$(json 'd["snapshot_id"]')"
expect 1 bucket restore "${files_snap:0:8}" --to "${endpoint}/${restored}"
assert_err_contains "the snapshot is not a bucket backup (its source is \"files\")" \
  "a files snapshot is refused"
expect 0 bucket restore latest --to "${endpoint}/${restored}" --include empty
assert_out_contains ": 1 objects" "latest means the latest bucket snapshot"

step "with a repository on S3, the -o s3.* options apply to the buckets too"
s3repo="${LIFEBOAT_TEST_S3_REPO}/bucket-e2e-${run_id}"
expect 0 -r "${s3repo}" init
expect 2 -r "${s3repo}" -o s3.no-such=1 bucket backup "${endpoint}/${source_bucket}"
assert_err_contains "unknown or malformed option -o s3.no-such=1" "an unknown option is named"
assert_err_contains "s3.ca-file=PEM" "the known options are listed"
expect 0 -r "${s3repo}" -o s3.bucket-lookup=path --json bucket backup "${endpoint}/${source_bucket}"
assert_eq "$(json 'd["objects"]')" "52" "objects backed up into the S3 repository"
tool drop "${restored}" >/dev/null
expect 0 -r "${s3repo}" -o s3.storage-class=STANDARD --json bucket restore latest \
  --to "${endpoint}/${restored}" --create-bucket
assert_eq "$(json 'd["restored"], d["failed"]')" "(52, 0)" "restore counts from the S3 repository"
tool describe "${restored}" >"${WORK}/restored.jsonl"
diff "${WORK}/source.jsonl" "${WORK}/restored.jsonl" >"${WORK}/diff.txt" ||
  fail "bucket restored from the S3 repository differs: $(head -5 "${WORK}/diff.txt")"

echo "PASS: ${TEST_NAME}"
