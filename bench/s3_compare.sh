#!/usr/bin/env bash
# s3_compare.sh -- backup and restore of a corpus to a real S3 server on loopback (Ceph RGW from
# ../shared/s3/start-test-s3.sh, its own port and directory), restic against lifeboat in the same
# run, each tool alternately, with the gateway's CPU seconds measured per step (it costs about
# 6 CPU-seconds per GiB uploaded on 2 cores and competes with the tool).
#
# Usage: s3_compare.sh [-r REPS] [-p PORT] DATASET WORK_DIR
#   LIFEBOAT_BIN (required); RESTIC (default restic).
# Output: WORK_DIR/results.tsv (rep step wall_s user_s sys_s maxrss_kb rgw_cpu_s rc).
set -euo pipefail
REPS=2 PORT=7600
while getopts "r:p:" o; do
  case $o in r) REPS=$OPTARG ;; p) PORT=$OPTARG ;; *) sed -n '2,10p' "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
DATASET=${1:?usage: s3_compare.sh [-r REPS] [-p PORT] DATASET WORK_DIR}
W=${2:?usage: s3_compare.sh [-r REPS] [-p PORT] DATASET WORK_DIR}
LB=${LIFEBOAT_BIN:?set LIFEBOAT_BIN}
RESTIC=${RESTIC:-restic}
HERE=$(cd "$(dirname "$0")" && pwd)
S3=${S3_SCRIPTS:-$HERE/../../shared/s3}
export RESTIC_PASSWORD=bench LIFEBOAT_PASSWORD=bench
rm -rf "$W"; mkdir -p "$W"; W=$(realpath "$W")
s3env=$("$S3/start-test-s3.sh" -q -p "$PORT" -d "$W/s3" -b bench) || exit 1
eval "$s3env"
trap '"$S3/stop-test-s3.sh" --dir "$W/s3" >/dev/null 2>&1 || true' EXIT
RGW_PID=$(cat "$W/s3/s3.pid")
TSV=$W/results.tsv LOG=$W/run.log
printf 'rep\tstep\twall_s\tuser_s\tsys_s\tmaxrss_kb\trgw_cpu_s\trc\n' >"$TSV"; : >"$LOG"
rgw_ticks() { awk '{print $14 + $15}' "/proc/$RGW_PID/stat"; }
measure() {  # REP STEP -- CMD
  local rep=$1 step=$2; shift 3
  local tf=$W/time.out t0 t1 rc r0 r1
  echo "[$(date +%T)] rep=$rep $step: $*" | tee -a "$LOG"
  r0=$(rgw_ticks); t0=$(date +%s.%N); set +e
  /usr/bin/time -v -o "$tf" bash -o pipefail -c "$*" >>"$LOG" 2>&1; rc=$?
  set -e; t1=$(date +%s.%N); r1=$(rgw_ticks)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$step" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" \
    "$(awk -F': ' '/User time/{print $2}' "$tf")" "$(awk -F': ' '/System time/{print $2}' "$tf")" \
    "$(awk -F': ' '/Maximum resident/{print $2}' "$tf")" \
    "$(awk -v a="$r0" -v b="$r1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')" "$rc" >>"$TSV"
  [ $rc -eq 0 ] || echo "  !! $step exited $rc (see $LOG)"
}
for rep in $(seq 1 "$REPS"); do
  R="s3:${S3_ENDPOINT_URL}/bench/restic-$rep" L="s3:${S3_ENDPOINT_URL}/bench/lb-$rep"
  "$RESTIC" -r "$R" init >>"$LOG" 2>&1
  "$LB" init --repo "$L" >>"$LOG" 2>&1
  measure "$rep" restic_backup -- "$RESTIC -r $R backup --host bench $DATASET"
  measure "$rep" lb_backup -- "$LB backup --repo $L --host bench $DATASET"
  # Each restore goes into a directory of its own, and all are removed only at the end: ext4
  # skips inodes freed less than 30 s ago when it allocates new ones (recently_deleted()), so
  # restoring 30 k files just after deleting 30 k others costs several CPU-seconds in the
  # kernel, which would fall on whichever tool restores after the other's files are removed.
  measure "$rep" restic_restore -- "$RESTIC -r $R restore latest --target $W/restore-restic-$rep"
  measure "$rep" lb_restore -- "$LB restore latest --repo $L --target $W/restore-lb-$rep"
  diff -r "$DATASET" "$W/restore-lb-$rep$DATASET" >/dev/null || echo "  !! lifeboat's restore differs from the dataset"
done
rm -rf "$W"/restore-*
column -t "$TSV"
