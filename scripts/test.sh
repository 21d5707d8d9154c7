#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, configures build/ (RelWithDebInfo,
# Ninja, ccache, warnings as errors), builds everything and runs every ctest test (unit and e2e).
# Exits with ctest's status. Environment: BUILD_DIR (default build), JOBS (default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-${ROOT}/build}"
JOBS="${JOBS:-$(nproc)}"
cd "${ROOT}"

stage_start=0
stage() {
  stage_start=${SECONDS}
  echo
  echo "==> $*"
}
stage_done() { echo "    ($((SECONDS - stage_start)) s)"; }
fail() {
  echo
  echo "test.sh: FAILED: $*" >&2
  exit 1
}

stage "dependencies"
"${ROOT}/scripts/install-deps.sh" || fail "installing dependencies (scripts/install-deps.sh)"
stage_done

# A build directory made by another generator cannot be reused: start it afresh.
if [[ -f "${BUILD_DIR}/CMakeCache.txt" ]] &&
  ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${BUILD_DIR}/CMakeCache.txt"; then
  echo "test.sh: ${BUILD_DIR} was configured with another generator; reconfiguring from scratch"
  rm -rf "${BUILD_DIR}/CMakeCache.txt" "${BUILD_DIR}/CMakeFiles"
fi

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

stage "configure ${BUILD_DIR} (RelWithDebInfo, -Werror)"
cmake -S "${ROOT}" -B "${BUILD_DIR}" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLIFEBOAT_WERROR=ON \
  "${launcher[@]}" || fail "cmake configure"
stage_done

stage "build (-j${JOBS})"
cmake --build "${BUILD_DIR}" -j "${JOBS}" || fail "build (see the compiler errors above)"
stage_done

stage "ctest (-j${JOBS})"
set +e
ctest --test-dir "${BUILD_DIR}" --output-on-failure --no-tests=error -j "${JOBS}"
status=$?
set -e
stage_done

echo
if [[ ${status} -eq 0 ]]; then
  echo "test.sh: PASSED: all tests in ${BUILD_DIR} passed (${SECONDS} s in total)"
else
  echo "test.sh: FAILED: ctest exited with ${status}; failing tests are listed above" \
    "(rerun one with: ctest --test-dir ${BUILD_DIR} -R <name> --output-on-failure)" >&2
fi
exit ${status}
