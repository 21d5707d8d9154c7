# shellcheck shell=bash
# Lets an end-to-end scenario run against a local or an S3 repository. Sourced after lib.sh:
#     source "$(dirname "$0")/../s3/repo_kind.sh"
#     use_test_repository
# sets LIFEBOAT_REPOSITORY to ${WORK}/repo, or, when LIFEBOAT_TEST_REPO_KIND=s3, to a fresh
# prefix of the S3 test server's bucket (started by with_test_s3.sh when it is not running), and
# REPO_IS_LOCAL to 1 or 0 for the checks that look at the repository's files.
use_test_repository() {
  case "${LIFEBOAT_TEST_REPO_KIND:-local}" in
    local)
      export LIFEBOAT_REPOSITORY="${WORK}/repo"
      REPO_IS_LOCAL=1
      ;;
    s3)
      local s3env
      s3env="$(bash "$(dirname "${BASH_SOURCE[0]}")/with_test_s3.sh")" ||
        fail "the S3 test server did not start"
      eval "${s3env}"
      export LIFEBOAT_REPOSITORY="${LIFEBOAT_TEST_S3_REPO}/${TEST_NAME}-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      REPO_IS_LOCAL=0
      ;;
    *) fail "LIFEBOAT_TEST_REPO_KIND must be local or s3, not ${LIFEBOAT_TEST_REPO_KIND}" ;;
  esac
}
