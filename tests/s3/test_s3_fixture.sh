#!/usr/bin/env bash
# ctest's setup and cleanup for the tests labelled "s3":
#   test_s3_fixture.sh start STATE_FILE   starts the S3 test server unless it runs already, and
#                                         records in STATE_FILE whether it started it
#   test_s3_fixture.sh stop STATE_FILE    stops the server only if `start` started it, so a
#                                         server a developer keeps running stays up
set -euo pipefail

action="${1:?usage: $0 start|stop STATE_FILE}"
state="${2:?usage: $0 start|stop STATE_FILE}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
START="${LIFEBOAT_S3_START_SCRIPT:-/work/shared/s3/start-test-s3.sh}"
STOP="$(dirname "${START}")/stop-test-s3.sh"
dir="${S3_TEST_DIR:-/tmp/lifeboat-s3-${S3_TEST_PORT:-7480}}"

case "${action}" in
  start)
    running=0
    if [[ -f "${dir}/s3.pid" ]] && kill -0 "$(cat "${dir}/s3.pid")" 2>/dev/null; then
      running=1
    fi
    "${here}/with_test_s3.sh" >/dev/null
    if [[ ${running} -eq 0 ]]; then echo "${dir}" >"${state}"; else rm -f "${state}"; fi
    ;;
  stop)
    if [[ -f "${state}" ]]; then
      "${STOP}" --dir "$(cat "${state}")" >/dev/null
      rm -f "${state}"
    fi
    ;;
  *)
    echo "usage: $0 start|stop STATE_FILE" >&2
    exit 2
    ;;
esac
