#!/usr/bin/env bash
# lifeboat in one command: installs the build dependencies, builds the lifeboat binary (Release)
# and walks through a real round trip on a generated sample tree:
#   init → backup → backup again (deduplicated) → snapshots → restore → diff → check --read-data
# then a demo plan (docs/PLAN.md) with files, command, git, env and — when this user can reach
# the machine's PostgreSQL — database jobs: plan check → run → status → restore one job → audit.
# Everything happens in a fresh temporary directory, removed afterwards unless a step failed or
# LIFEBOAT_QUICKSTART_KEEP=1. Environment: BUILD_DIR (default build-release), JOBS (default nproc),
# LIFEBOAT_BIN (use this lifeboat binary instead of building one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-${ROOT}/build-release}"
JOBS="${JOBS:-$(nproc)}"

step_number=0
step() {
  step_number=$((step_number + 1))
  echo
  echo "==> ${step_number}. $*"
}
fail() {
  echo
  echo "quickstart: FAILED: $*" >&2
  if [[ -n "${WORK:-}" && -d "${WORK}" ]]; then
    echo "quickstart: the sample, repository and restore are kept in ${WORK} for inspection" >&2
  fi
  exit 1
}
# Prints the command as a user would type it, then runs it without a terminal on stdin.
run() {
  echo "\$ $*" | sed "s|${LIFEBOAT}|lifeboat|; s|${WORK:-/nonexistent}|\$WORK|g"
  "$@" </dev/null
}
bytes_of() { du -sb "$1" | cut -f1; }
human() { numfmt --to=iec-i --suffix=B "$1"; }

# 1. Build ---------------------------------------------------------------------------------------
if [[ -n "${LIFEBOAT_BIN:-}" ]]; then
  LIFEBOAT="$(realpath "${LIFEBOAT_BIN}")"
  [[ -x "${LIFEBOAT}" ]] || fail "LIFEBOAT_BIN=${LIFEBOAT_BIN} is not an executable"
else
  step "install build dependencies"
  "${ROOT}/scripts/install-deps.sh" || fail "installing dependencies (scripts/install-deps.sh)"

  step "build lifeboat (Release) in ${BUILD_DIR}"
  launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "${ROOT}" -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLIFEBOAT_BENCHMARKS=OFF "${launcher[@]}" >/dev/null || fail "cmake configure"
  cmake --build "${BUILD_DIR}" --target lifeboat -j "${JOBS}" || fail "building lifeboat"
  LIFEBOAT="${BUILD_DIR}/lifeboat"
  [[ -x "${LIFEBOAT}" ]] || fail "${LIFEBOAT} was not built"
fi
echo "using ${LIFEBOAT}"

# 2. Sample tree ---------------------------------------------------------------------------------
WORK="$(cd "$(mktemp -d -t lifeboat-quickstart.XXXXXX)" && pwd -P)"
cleanup() {
  local status=$?
  if [[ ${status} -eq 0 && "${LIFEBOAT_QUICKSTART_KEEP:-0}" != "1" ]]; then
    rm -rf "${WORK}"
  fi
}
trap cleanup EXIT
SAMPLE="${WORK}/sample"
RESTORE="${WORK}/restore"

step "generate a sample tree in ${SAMPLE}"
mkdir -p "${SAMPLE}/docs/notes/2026" "${SAMPLE}/media" "${SAMPLE}/empty-dir"
printf 'lifeboat quickstart sample\n' >"${SAMPLE}/README.txt"
printf 'host = db1\nport = 5432\n' >"${SAMPLE}/docs/app.conf"
for day in 01 02 03; do
  printf 'notes for 2026-01-%s\n' "${day}" >"${SAMPLE}/docs/notes/2026/${day}.md"
done
seq 1 20000 >"${SAMPLE}/docs/numbers.txt"
head -c $((20 * 1024 * 1024)) /dev/urandom >"${SAMPLE}/media/random.bin"
: >"${SAMPLE}/empty-file"
ln -s docs/app.conf "${SAMPLE}/config-link"
ln "${SAMPLE}/docs/numbers.txt" "${SAMPLE}/numbers-hardlink.txt"
sample_bytes="$(bytes_of "${SAMPLE}")"
echo "$(find "${SAMPLE}" | wc -l) entries, $(human "${sample_bytes}"): text files," \
  "a 20 MiB random file, nested directories, a symlink, a hard link, an empty directory" \
  "and an empty file"

# 3. Round trip ----------------------------------------------------------------------------------
export LIFEBOAT_REPOSITORY="${WORK}/repo"
export LIFEBOAT_PASSWORD="quickstart-demo"
echo
echo "LIFEBOAT_REPOSITORY=\$WORK/repo, LIFEBOAT_PASSWORD=quickstart-demo (WORK=${WORK})"
echo "(a real setup keeps the password out of the environment and the shell history:"
echo " LIFEBOAT_PASSWORD_FILE=/path/to/password-file)"

step "create the repository"
run "${LIFEBOAT}" init || fail "lifeboat init"

step "first backup"
start=${SECONDS}
run "${LIFEBOAT}" backup "${SAMPLE}" || fail "lifeboat backup (first)"
first_backup_seconds=$((SECONDS - start))
repo_after_first="$(bytes_of "${LIFEBOAT_REPOSITORY}")"

step "second backup of the unchanged tree (deduplicated: stores almost nothing new)"
start=${SECONDS}
run "${LIFEBOAT}" backup "${SAMPLE}" || fail "lifeboat backup (second)"
second_backup_seconds=$((SECONDS - start))
repo_after_second="$(bytes_of "${LIFEBOAT_REPOSITORY}")"
growth=$((repo_after_second - repo_after_first))
echo "repository: $(human "${repo_after_first}") after the first backup," \
  "grew by $(human "${growth}") with the second"

step "list snapshots"
run "${LIFEBOAT}" snapshots || fail "lifeboat snapshots"

step "restore the latest snapshot"
start=${SECONDS}
run "${LIFEBOAT}" restore latest --target "${RESTORE}" || fail "lifeboat restore"
restore_seconds=$((SECONDS - start))

step "compare the restored tree with the original"
RESTORED="${RESTORE}${SAMPLE}"
[[ -d "${RESTORED}" ]] || fail "restore did not create ${RESTORED}"
run diff -r "${SAMPLE}" "${RESTORED}" || fail "restored files differ from the sample (diff above)"
[[ -L "${RESTORED}/config-link" ]] || fail "config-link was not restored as a symlink"
[[ "$(readlink "${RESTORED}/config-link")" == "docs/app.conf" ]] ||
  fail "config-link points to '$(readlink "${RESTORED}/config-link")', not 'docs/app.conf'"
[[ -d "${RESTORED}/empty-dir" ]] || fail "empty-dir was not restored"
[[ -f "${RESTORED}/empty-file" && ! -s "${RESTORED}/empty-file" ]] ||
  fail "empty-file was not restored as an empty file"
if [[ "${RESTORED}/docs/numbers.txt" -ef "${RESTORED}/numbers-hardlink.txt" ]]; then
  hardlink_note="hard link preserved"
else
  hardlink_note="hard link restored as two copies"
fi
echo "identical: contents, symlink target, empty directory, empty file; ${hardlink_note}"

step "verify the repository, reading every pack"
run "${LIFEBOAT}" check --read-data || fail "lifeboat check --read-data"

# 4. A plan: every source kind, run, status, restore one job ------------------------------------
step "write a demo plan (docs/PLAN.md): files, command output, git, environment names$(
  command -v psql >/dev/null 2>&1 && psql -d postgres -Atc 'select 1' >/dev/null 2>&1 &&
    echo ", and this machine's PostgreSQL")"
PLAN="${WORK}/plan.yaml"
PLAN_REPO="${WORK}/plan-repo"
echo "quickstart-plan-demo" >"${WORK}/plan-password"
chmod 600 "${WORK}/plan-password"
GIT_DEMO="${WORK}/app.git"
git init -q "${GIT_DEMO}" && git -C "${GIT_DEMO}" -c user.name=demo -c user.email=demo@example.com \
  commit -q --allow-empty -m "first commit" && git -C "${GIT_DEMO}" tag v1.0 ||
  fail "creating a demo git repository"
cat >"${PLAN}" <<YAML
version: 1
repositories:
  local:
    primary: true
    location: ${PLAN_REPO}
    password: {file: ${WORK}/plan-password}
audit:
  sqlite: ${WORK}/audit.db
tiers:
  critical: {level: 1, rpo: 1h, rto: 15m, retention: {keep_last: 7}}
  standard: {level: 2, rpo: 1d, rto: 4h, retention: {keep_daily: 30}}
jobs:
  - name: uploads
    tier: critical
    schedule: "0 * * * *"
    files: {paths: [${SAMPLE}], exclude: ["*.tmp"]}
  - name: system-info
    tier: standard
    schedule: "0 3 * * *"
    command: {run: "uname -a; df -h /", name: system-info.txt}
  - name: code
    tier: standard
    schedule: "0 3 * * *"
    git: {repository: ${GIT_DEMO}}
  - name: env
    tier: standard
    schedule: "0 3 * * 0"
    env: {variables: [HOME, PATH, DATABASE_URL]}
YAML
if command -v psql >/dev/null 2>&1 && psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  cat >>"${PLAN}" <<YAML
  - name: database
    tier: critical
    schedule: "*/15 * * * *"
    postgres: {connection: "dbname=postgres"}
YAML
else
  echo "(no PostgreSQL this user can reach without a password: the plan has no database job)"
fi
echo "the plan is ${PLAN}"
run "${LIFEBOAT}" plan check "${PLAN}" || fail "lifeboat plan check"
run "${LIFEBOAT}" init --repo "${PLAN_REPO}" --password-file "${WORK}/plan-password" \
  --audit-db "${WORK}/audit.db" || fail "lifeboat init (plan repository)"

step "run every job of the plan now, tier 1 first"
run "${LIFEBOAT}" run "${PLAN}" || fail "lifeboat run"

step "status: every job's last success against its objective"
run "${LIFEBOAT}" status "${PLAN}" || fail "lifeboat status (a job is not fresh)"

step "restore one job (uploads) from the plan's repository"
uploads_snapshot="$("${LIFEBOAT}" snapshots --repo "${PLAN_REPO}" --password-file "${WORK}/plan-password" \
  --audit-db "${WORK}/audit.db" --json --tag job=uploads | jq -r '.[-1].id')"
run "${LIFEBOAT}" restore "${uploads_snapshot}" --repo "${PLAN_REPO}" \
  --password-file "${WORK}/plan-password" --audit-db "${WORK}/audit.db" \
  --target "${WORK}/plan-restore" || fail "lifeboat restore (uploads job)"
run diff -r "${SAMPLE}" "${WORK}/plan-restore${SAMPLE}" || fail "the uploads job's restore differs"

step "the audit log: every operation, hash-chained"
run "${LIFEBOAT}" audit --audit-db "${WORK}/audit.db" || fail "lifeboat audit"
run "${LIFEBOAT}" audit verify --audit-db "${WORK}/audit.db" || fail "lifeboat audit verify"

# 5. Summary -------------------------------------------------------------------------------------
echo
echo "quickstart: PASSED"
echo "  sample tree        $(human "${sample_bytes}")"
echo "  first backup       ${first_backup_seconds} s, repository $(human "${repo_after_first}")"
echo "  second backup      ${second_backup_seconds} s, repository grew by $(human "${growth}")"
echo "  restore            ${restore_seconds} s, identical to the original (diff -r)"
echo "  check --read-data  no errors"
echo "  plan               ${PLAN}: every job backed up into ${PLAN_REPO}, status fresh,"
echo "                     the uploads job restored to ${WORK}/plan-restore, identical"
echo "  audit log          ${WORK}/audit.db (lifeboat audit --audit-db ...)"
if [[ "${LIFEBOAT_QUICKSTART_KEEP:-0}" != "1" ]]; then
  echo "  (all of it is removed now; LIFEBOAT_QUICKSTART_KEEP=1 keeps it to look at)"
fi
if [[ "${LIFEBOAT_QUICKSTART_KEEP:-0}" == "1" ]]; then
  echo "  kept in            ${WORK}"
fi
echo "Next: lifeboat --help, and README.md for every command, exit code and variable."
