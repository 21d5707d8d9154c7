#!/usr/bin/env bash
# Runs a command against the real S3 test server (Ceph RGW on loopback), starting the server
# first when it is not running:   tests/s3/with_test_s3.sh COMMAND [ARGS...]
# With no command, prints the server's `export` lines instead (for `eval`).
# The command sees AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, S3_ENDPOINT_URL,
# S3_BUCKET and LIFEBOAT_TEST_S3_REPO (s3:http://127.0.0.1:PORT/BUCKET).
# The server comes from the shared start script (LIFEBOAT_S3_START_SCRIPT, default
# /work/shared/s3/start-test-s3.sh), which installs Ceph with apt-get when it is missing and is
# idempotent: when the server is up it only prints the exports. Port and state directory are
# the script's defaults unless S3_TEST_PORT / S3_TEST_DIR say otherwise.
set -euo pipefail

START="${LIFEBOAT_S3_START_SCRIPT:-/work/shared/s3/start-test-s3.sh}"
if [[ ! -x "${START}" ]]; then
  echo "with_test_s3: the S3 test server script ${START} is missing;" \
    "set LIFEBOAT_S3_START_SCRIPT to start-test-s3.sh" >&2
  exit 1
fi
if ! s3env="$("${START}" -q)"; then
  echo "with_test_s3: the S3 test server did not start (see the messages above)" >&2
  exit 1
fi
if [[ $# -eq 0 ]]; then
  printf '%s\n' "${s3env}"
  exit 0
fi
eval "${s3env}"
exec "$@"
