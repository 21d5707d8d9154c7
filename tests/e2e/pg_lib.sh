# shellcheck shell=bash
# A real PostgreSQL server for the pg_* scenarios, sourced after lib.sh:
#     source "$(dirname "$0")/pg_lib.sh"
#     start_pg
# start_pg makes a throw-away cluster in $WORK/pg with Debian's PostgreSQL (initdb + pg_ctl, as
# the `postgres` user, since the server refuses to run as root), listening on 127.0.0.1 at a free
# port; it is stopped when the script exits. It gives:
#   $PGPORT $PGHOST $PGUSER   exported, so psql and lifeboat reach the server with no arguments
#   $PG_BIN                   the server's bin directory
#   psql_q DB SQL             runs SQL, prints unaligned tuples only, fails the test on error
#   table_digest DB TABLE     md5 over the table's rows in text form, order independent
# Authentication: user postgres is trusted on loopback; role `app` needs the password `app-secret`.

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "${PG_BIN}/initdb" ]] || fail "no PostgreSQL server installed (scripts/install-deps.sh installs it)"

pg_as_postgres() { runuser -u postgres -- "$@"; }

stop_pg() {
  if [[ -f "${WORK}/pg/data/postmaster.pid" ]]; then
    pg_as_postgres "${PG_BIN}/pg_ctl" -D "${WORK}/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
}

start_pg() {
  chmod 755 "${WORK}"
  mkdir -p "${WORK}/pg"
  chown postgres: "${WORK}/pg"
  pg_as_postgres "${PG_BIN}/initdb" -D "${WORK}/pg/data" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 >"${WORK}/pg/initdb.log" 2>&1 || fail "initdb failed: $(cat "${WORK}/pg/initdb.log")"
  cat >"${WORK}/pg/data/pg_hba.conf" <<'HBA'
local all all trust
host all app 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
HBA
  local port
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 20000))
    if pg_as_postgres "${PG_BIN}/pg_ctl" -D "${WORK}/pg/data" -w -t 60 -l "${WORK}/pg/server.log" \
      -o "-p ${port} -k ${WORK}/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1; then
      export PGHOST=127.0.0.1 PGPORT="${port}" PGUSER=postgres
      unset PGPASSWORD PGDATABASE PGSERVICE
      # lib.sh's EXIT trap removes $WORK; stop the server first.
      trap 'stop_pg; cleanup' EXIT
      psql_q postgres "CREATE ROLE app LOGIN PASSWORD 'app-secret' SUPERUSER" >/dev/null
      return 0
    fi
  done
  fail "PostgreSQL did not start: $(tail -n 5 "${WORK}/pg/server.log")"
}

psql_q() {  # DB SQL
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2" || fail "psql -d $1 failed: $2"
}

table_digest() {  # DB TABLE
  psql_q "$1" "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '-') FROM $2 t"
}
