#!/usr/bin/env bash
# prune_compare.sh -- retention and verification against restic on the benchmark corpus:
# three backups with a day of change (../shared/bench/mutate-dataset.sh) between them, then
# `forget --keep-last 1 --prune` and `check --read-data`, each tool alternately, same data.
#
# Usage: prune_compare.sh DATASET WORK_DIR    (DATASET from ../shared/bench/make-dataset.sh;
#   it is copied to WORK_DIR/data first, so the original is not mutated)
#   LIFEBOAT_BIN (required); RESTIC (default restic).
# lifeboat's prune is two-phase (docs/FORMAT.md "Pruning"): the forget run marks and a later
# run deletes. To compare like with like, lb_prune_sweep runs `prune --grace 0` right after,
# and the total of both is what frees the space restic's one run frees.
# Output: WORK_DIR/results.tsv (step wall_s user_s sys_s maxrss_kb size_bytes rc).
set -euo pipefail
DATASET=${1:?usage: prune_compare.sh DATASET WORK_DIR}
W=${2:?usage: prune_compare.sh DATASET WORK_DIR}
LB=${LIFEBOAT_BIN:?set LIFEBOAT_BIN}
RESTIC=${RESTIC:-restic}
HERE=$(cd "$(dirname "$0")" && pwd)
MUTATE=${MUTATE:-$HERE/../../shared/bench/mutate-dataset.sh}
export RESTIC_PASSWORD=bench LIFEBOAT_PASSWORD=bench
rm -rf "$W"; mkdir -p "$W"; W=$(realpath "$W")
cp -a "$DATASET" "$W/data"
TSV=$W/results.tsv LOG=$W/run.log
printf 'step\twall_s\tuser_s\tsys_s\tmaxrss_kb\tsize_bytes\trc\n' >"$TSV"; : >"$LOG"
measure() {  # STEP SIZE_PATH -- CMD
  local step=$1 sp=$2; shift 3
  local tf=$W/time.out t0 t1 rc sz=0
  echo "[$(date +%T)] $step: $*" | tee -a "$LOG"
  t0=$(date +%s.%N); set +e
  /usr/bin/time -v -o "$tf" bash -o pipefail -c "$*" >>"$LOG" 2>&1; rc=$?
  set -e; t1=$(date +%s.%N)
  [ -n "$sp" ] && [ -e "$sp" ] && sz=$(du -sb "$sp" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$step" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')" \
    "$(awk -F': ' '/User time/{print $2}' "$tf")" "$(awk -F': ' '/System time/{print $2}' "$tf")" \
    "$(awk -F': ' '/Maximum resident/{print $2}' "$tf")" "$sz" "$rc" >>"$TSV"
  [ $rc -eq 0 ] || echo "  !! $step exited $rc (see $LOG)"
}
"$RESTIC" -r "$W/restic" init >>"$LOG" 2>&1
"$LB" init --repo "$W/lb" >>"$LOG" 2>&1
for day in 1 2 3; do
  measure "restic_backup$day" "$W/restic" -- "$RESTIC -r $W/restic backup --host bench $W/data"
  measure "lb_backup$day" "$W/lb" -- "$LB backup --repo $W/lb --host bench $W/data"
  [ $day = 3 ] || "$MUTATE" "$W/data" >>"$LOG" 2>&1
done
measure restic_forget_prune "$W/restic" -- "$RESTIC -r $W/restic forget --keep-last 1 --prune"
measure lb_forget_prune "$W/lb" -- "$LB forget --repo $W/lb --keep-last 1 --prune --grace 0"
measure lb_prune_sweep "$W/lb" -- "$LB prune --repo $W/lb --grace 0"
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
measure restic_check_read_data "" -- "$RESTIC -r $W/restic check --read-data"
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
measure lb_check_read_data "" -- "$LB check --repo $W/lb --read-data"
column -t "$TSV"
