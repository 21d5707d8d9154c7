#!/usr/bin/env bash
# pg_compare.sh -- lifeboat's PostgreSQL backup and restore against pg_dump, pg_restore and
# `pg_dump | restic backup --stdin`, in the same run on the same database (pgbench with the md5
# filler of ../shared/bench/pg-anchors.sh -f md5, so dumps compress 2-3x like real data).
#
# Usage: pg_compare.sh [-s SCALE] [-r REPS] [-p PORT] WORK_DIR
#   LIFEBOAT_BIN (required) the binary under test; PGBIN (default Debian's 15); RESTIC=restic.
# Per rep, one after another so all share the noise:
#   dump_fc         pg_dump -Fc -f FILE
#   dump_fc_z0      pg_dump -Fc -Z0 -f FILE
#   restic_stdin    pg_dump -Fc -Z0 | restic backup --stdin        (fresh repository)
#   lb_pg           lifeboat pg backup --jobs 2                     (fresh repository)
#   pg_restore_j2   pg_restore -j 2 of the -Fc file into a new database
#   lb_restore_j2   lifeboat pg restore --jobs 2 --create into a new database
# then pgbench -T 20 -c 2 (scattered updates) and, once:
#   restic_stdin_2 / lb_pg_2   the second backup into the same repositories: time, bytes added
# Output: WORK_DIR/results.tsv (rep step wall_s user_s sys_s maxrss_kb size_bytes rc).
set -euo pipefail
SCALE=50 REPS=3 PORT=5455
while getopts "s:r:p:" o; do
  case $o in s) SCALE=$OPTARG ;; r) REPS=$OPTARG ;; p) PORT=$OPTARG ;; *) sed -n '2,20p' "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
W=${1:?usage: pg_compare.sh [-s SCALE] [-r REPS] [-p PORT] WORK_DIR}
LB=${LIFEBOAT_BIN:?set LIFEBOAT_BIN}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
RESTIC=${RESTIC:-restic}
export RESTIC_PASSWORD=bench LIFEBOAT_PASSWORD=bench PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
mkdir -p "$W"; W=$(realpath "$W"); chown postgres: "$W"
TSV=$W/results.tsv LOG=$W/run.log
printf 'rep\tstep\twall_s\tuser_s\tsys_s\tmaxrss_kb\tsize_bytes\trc\n' >"$TSV"; : >"$LOG"
asp() { runuser -u postgres -- "$@"; }
cleanup() { asp "$PGBIN/pg_ctl" -D "$W/pgdata" -m fast stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

measure() {  # REP STEP SIZE_PATH -- CMD
  local rep=$1 step=$2 sp=$3; shift 4
  local tf=$W/time.out t0 t1 rc sz=0
  echo "[$(date +%T)] rep=$rep $step: $*" | tee -a "$LOG"
  t0=$(date +%s.%N); set +e
  /usr/bin/time -v -o "$tf" bash -o pipefail -c "$*" >>"$LOG" 2>&1; rc=$?
  set -e; t1=$(date +%s.%N)
  [ -n "$sp" ] && [ -e "$sp" ] && sz=$(du -sb "$sp" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$step" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" \
    "$(awk -F': ' '/User time/{print $2}' "$tf")" "$(awk -F': ' '/System time/{print $2}' "$tf")" \
    "$(awk -F': ' '/Maximum resident/{print $2}' "$tf")" "$sz" "$rc" >>"$TSV"
  [ $rc -eq 0 ] || echo "  !! $step exited $rc (see $LOG)"
}

asp "$PGBIN/initdb" -D "$W/pgdata" -A trust -U postgres --no-sync >>"$LOG" 2>&1
cat >>"$W/pgdata/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$W'
shared_buffers = 512MB
max_wal_size = 4GB
EOF
asp "$PGBIN/pg_ctl" -D "$W/pgdata" -l "$W/pg.log" -w start >>"$LOG" 2>&1
"$PGBIN/createdb" bench
"$PGBIN/pgbench" -i -s "$SCALE" -q bench >>"$LOG" 2>&1
"$PGBIN/psql" -q -c "UPDATE pgbench_accounts SET filler = md5(aid::text) || md5((aid * 7)::text) || substr(md5((aid * 13)::text), 1, 20)" \
  -c 'VACUUM FULL pgbench_accounts' -c 'VACUUM ANALYZE' -c CHECKPOINT bench
echo "database size: $("$PGBIN/psql" -qAt -c "SELECT pg_size_pretty(pg_database_size('bench'))" bench)"

for rep in $(seq 1 "$REPS"); do
  rm -rf "$W"/dump.* "$W"/restic "$W"/lb
  "$RESTIC" -r "$W/restic" init >>"$LOG" 2>&1
  "$LB" init --repo "$W/lb" >>"$LOG" 2>&1
  "$PGBIN/dropdb" --if-exists r_pg; "$PGBIN/dropdb" --if-exists r_lb
  measure "$rep" dump_fc "$W/dump.fc" -- "$PGBIN/pg_dump -Fc -f $W/dump.fc bench"
  measure "$rep" dump_fc_z0 "$W/dump.z0" -- "$PGBIN/pg_dump -Fc -Z0 -f $W/dump.z0 bench"
  measure "$rep" restic_stdin "$W/restic" -- "$PGBIN/pg_dump -Fc -Z0 bench | $RESTIC -r $W/restic backup --stdin --stdin-filename bench.dump"
  measure "$rep" lb_pg "$W/lb" -- "$LB pg backup --repo $W/lb --dbname dbname=bench --jobs 2"
  "$PGBIN/createdb" r_pg
  measure "$rep" pg_restore_j2 "" -- "$PGBIN/pg_restore -j 2 -d r_pg $W/dump.fc"
  measure "$rep" lb_restore_j2 "" -- "$LB pg restore latest --repo $W/lb --dbname dbname=r_lb --create --jobs 2"
done
"$PGBIN/pgbench" -T 20 -c 2 bench >>"$LOG" 2>&1
measure 1 restic_stdin_2 "$W/restic" -- "$PGBIN/pg_dump -Fc -Z0 bench | $RESTIC -r $W/restic backup --stdin --stdin-filename bench.dump"
measure 1 lb_pg_2 "$W/lb" -- "$LB pg backup --repo $W/lb --dbname dbname=bench --jobs 2"
column -t "$TSV"
