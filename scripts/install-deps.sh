#!/usr/bin/env bash
# Installs the Debian 12 packages lifeboat needs to build, test and benchmark.
# Idempotent: asks dpkg which packages are missing and only then touches apt, so a prepared
# machine (or a CI rerun) costs a fraction of a second. Run as root, or as a user with sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format python3
  # libraries linked by the layers
  libssl-dev libzstd-dev libargon2-dev libacl1-dev libcurl4-openssl-dev libsqlite3-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev acl attr
  # the audit tests edit the audit database and read its JSON
  sqlite3 jq
  # time zones the retention tests pin (Europe/Berlin, America/New_York)
  tzdata
  # real PostgreSQL for the sources/postgres tests and drills
  postgresql postgresql-contrib postgresql-client libpq-dev
  # real S3 (Ceph RADOS Gateway on loopback) for the tests labelled "s3"
  ceph-mon ceph-osd radosgw ceph-common curl
  # an independent S3 client the bucket tests compare through
  python3-boto3
)

missing=()
for package in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "${package}" 2>/dev/null || true)"
  if [[ "${status}" != "installed" ]]; then
    missing+=("${package}")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not root and sudo is not available; install as root:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTIONS=(-o Dpkg::Use-Pty=0
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTIONS[@]}" update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get "${APT_OPTIONS[@]}" install -y -q --no-install-recommends "${missing[@]}"

echo "install-deps: done"
