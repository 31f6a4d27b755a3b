#!/usr/bin/env bash
# `make cluster-test`: a real single-node Slurm cluster builds a dataset from the sample clips
# with Samples/cluster/build-dataset.sbatch as a 3-task array job, merge-dataset.sbatch merges
# it as a dependent job, and the result must equal an unsharded build of the same inputs:
# manifest.jsonl and stats.json byte-identical, every .safetensors shard byte-identical, clip
# reports identical except their timings. A local run with SLURM_ARRAY_TASK_ID=2/COUNT=3 over
# three clips must write clip 2 only (the CLI reads the shard from Slurm's variables), and the
# sbatch script must refuse an array that does not start at 0.
#
# Installs slurm-wlm and munge with apt when missing; starts munged, slurmctld and slurmd in a
# temporary directory (Tests/Cluster/cluster.sh) and stops exactly those on every exit path.
# Exits non-zero on any failure, after printing the queue, the jobs and the daemons' logs.
#
# Environment:
#   WARPFLOW_BIN          warpflow binary to test (default: a release build, made here)
#   SWIFT, SWIFT_SCRATCH  swift command and --scratch-path of that build (default: swift, .build)
#   CLUSTER_JOB_TIMEOUT   seconds allowed for each Slurm job to finish (default 1800)
#   CLUSTER_KEEP=1        keep the temporary directory (config, logs, both datasets)
#   CLUSTER_TMPDIR        where the temporary directory goes (default $TMPDIR or /tmp)
# Stand-in for developing the harness: WARPFLOW_BIN=Tests/Cluster/fake-warpflow.py.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
here=$root/Tests/Cluster
# shellcheck source=Tests/Cluster/cluster.sh
. "$here/cluster.sh"
start=$(now_ms)
timeout_s=${CLUSTER_JOB_TIMEOUT:-1800}
# Short windows for speed; camera motion kept so that the panning and rotating clips give
# samples too; trajectories and two samples per shard file so that more tensors and more shard
# files are compared (14 samples in 9 files from the 6 sample clips).
build_options=(--window 30 --stride 30 --size 128x80 --flow-preset fast --max-camera-motion 1000 --trajectories --samples-per-shard 2)
unset SHARDS OUT    # read by the sbatch scripts; the jobs get theirs from --export

# --- packages -------------------------------------------------------------------------------
missing=()
for tool in slurmctld slurmd sbatch munged munge; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "cluster-test: ${missing[*]} missing and no apt-get; install Slurm and MUNGE" >&2; exit 1; }
  sudo=""; if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  clog "installing slurm-wlm and munge (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 ||
    { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q slurm-wlm munge >/dev/null; }
fi
command -v python3 >/dev/null || { echo "cluster-test: python3 is needed (compare.py)" >&2; exit 1; }

# --- warpflow -------------------------------------------------------------------------------
if [ -z "${WARPFLOW_BIN:-}" ]; then
  t=$(now_ms)
  scratch=(); [ -n "${SWIFT_SCRATCH:-}" ] && scratch=(--scratch-path "$SWIFT_SCRATCH")
  ${SWIFT:-swift} build -c release --product warpflow ${scratch[@]+"${scratch[@]}"}
  WARPFLOW_BIN="$(${SWIFT:-swift} build -c release ${scratch[@]+"${scratch[@]}"} --show-bin-path)/warpflow"
  clog "release build of warpflow: $(since "$t")"
fi
WARPFLOW_BIN=$(cd "$(dirname "$WARPFLOW_BIN")" && pwd)/$(basename "$WARPFLOW_BIN")
if ! "$WARPFLOW_BIN" dataset --help >/dev/null 2>&1; then
  echo "cluster-test: $WARPFLOW_BIN has no working 'dataset' command ('$WARPFLOW_BIN dataset --help' failed)" >&2
  exit 1
fi
shopt -s nullglob
clips=(Samples/clips/*.mp4)
[ "${#clips[@]}" -ge 3 ] || { echo "cluster-test: fewer than 3 clips in Samples/clips" >&2; exit 1; }

# --- cluster --------------------------------------------------------------------------------
finish() {
  local status=$?
  set +e
  trap - INT TERM HUP
  if [ "$status" != 0 ] && [ -n "$CLUSTER_DIR" ]; then
    echo "cluster-test: FAILED (status $status); state and logs follow" >&2
    cluster_dump >&2
  fi
  cluster_down
  clog "total $(since "$start")"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
t=$(now_ms)
cluster_up
up_time=$(since "$t")
sharded=$CLUSTER_DIR/sharded
unsharded=$CLUSTER_DIR/unsharded
jobs=$CLUSTER_DIR/jobs

# Submits a job (sbatch --parsable) and prints its id.
submit() {
  sbatch --parsable --chdir="$root" --time=60 --export=ALL,OUT="$sharded",WARPFLOW_BIN="$WARPFLOW_BIN" "$@"
}

# Is job $1 (or any task of array $1) still pending, running or completing? Exits the test
# when a daemon has died or squeue fails for another reason than a job already purged.
queued() {
  local out d
  for d in slurmctld slurmd; do cluster_alive "$d" || { clog "$d has died"; exit 1; }; done
  out=$(squeue -h -j "$1" -o %i 2>&1) || {
    [[ "$out" == *"Invalid job id"* ]] && return 1
    clog "squeue failed: $out"; exit 1
  }
  [ -n "$out" ]
}

# Fails the test once the time $1 (seconds since the epoch) has passed, naming the jobs $2, the
# allowance $3 (seconds) and why they are still pending (a request the node cannot meet pends
# forever: PartitionConfig).
in_time() {
  [ "$(date +%s)" -ge "$1" ] || return 0
  clog "jobs $2 not finished after $3 s:"; squeue -a -o '%i %T %r' 2>&1 || true
  exit 1
}

# The job-completion records of job $1 (an array's tasks too): one line per finished job, as
# sacct would list them if there were an accounting database. Waits briefly for the last one.
records() {
  local i
  for i in $(seq 1 20); do
    awk -v id="$1" '$1 == "JobId=" id || index($0, " ArrayJobId=" id " ")' "$CLUSTER_DIR/log/jobcomp.txt" 2>/dev/null |
      grep . && return 0
    sleep 0.25
  done
  return 1
}

# Every record of job $1 COMPLETED with exit code 0, and $2 of them? Prints one line per task.
check_job() {
  local recs ok
  recs=$(records "$1") || { clog "job $1: no completion record"; return 1; }
  echo "$recs" | awk '{ printf " "; for (i = 1; i <= NF; i++)
    if ($i ~ /^(JobId|ArrayTaskId|JobState|StartTime|EndTime|ExitCode)=/) printf " %s", $i; print "" }'
  ok=$(echo "$recs" | grep -c ' JobState=COMPLETED .* ExitCode=0:0' || true)
  [ "$ok" = "$2" ] || { clog "job $1: $ok of $2 tasks completed with exit code 0"; return 1; }
}

# The README's pattern: the array, then the merge with afterok on it, both submitted at once.
# (Not `sbatch --wait`: it polls every 2, 8, then 32 s, which would add up to half a minute per
# job; squeue is polled here every second instead.)
clog "submitting build-dataset.sbatch as --array=0-2 over ${#clips[@]} clips (${build_options[*]}), then merge-dataset.sbatch"
t=$(now_ms)
build_id=$(submit --array=0-2 --cpus-per-task=1 --output="$jobs/build-%A_%a.out" \
  Samples/cluster/build-dataset.sbatch "${clips[@]}" "${build_options[@]}")
merge_id=$(submit --dependency=afterok:"$build_id" --kill-on-invalid-dep=yes --output="$jobs/merge-%j.out" \
  Samples/cluster/merge-dataset.sbatch)
deadline=$(( $(date +%s) + timeout_s ))
array_time=""
while queued "$build_id" || queued "$merge_id"; do
  if [ -z "$array_time" ] && ! queued "$build_id"; then array_time=$(since "$t"); fi
  in_time "$deadline" "$build_id $merge_id" "$timeout_s"
  sleep 1
done
[ -n "$array_time" ] || array_time=$(since "$t")
jobs_time=$(since "$t")
check_job "$build_id" 3
for task in 0 1 2; do
  grep -q "shard $task/3 of job $build_id" "$jobs/build-${build_id}_$task.out" ||
    { clog "task $task's log does not name shard $task/3"; exit 1; }
done
check_job "$merge_id" 1
clog "array job $build_id: 3 tasks done in $array_time; merge job $merge_id (afterok) done at $jobs_time"

# The script refuses an array that is not 0-(N-1) without SHARDS, before running warpflow.
bad_id=$(submit --array=1-2 --cpus-per-task=1 --output="$jobs/bad-%A_%a.out" \
  Samples/cluster/build-dataset.sbatch "${clips[@]}")
deadline=$(( $(date +%s) + 60 ))
while queued "$bad_id"; do in_time "$deadline" "$bad_id" 60; sleep 1; done
bad=$(records "$bad_id" | grep -c ' JobState=FAILED .* ExitCode=2:0' || true)
if [ "$bad" != 2 ] || ! grep -q "the array must be 0-(N-1)" "$jobs/bad-${bad_id}_1.out"; then
  clog "--array=1-2: expected 2 tasks refused with exit code 2, got $bad"; exit 1
fi
clog "--array=1-2 without SHARDS: both tasks refused"

# --- the same inputs unsharded, and the shard selection from Slurm's variables -----------------
t=$(now_ms)
"$WARPFLOW_BIN" dataset build "${clips[@]}" "${build_options[@]}" -o "$unsharded" > "$jobs/unsharded.out" 2>&1 ||
  { clog "unsharded build failed:"; cat "$jobs/unsharded.out"; exit 1; }
unsharded_time=$(since "$t")
clog "unsharded build done in $unsharded_time"

one=$CLUSTER_DIR/shard-2-of-3
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 "$WARPFLOW_BIN" dataset build "${clips[@]:0:3}" \
  "${build_options[@]}" -o "$one" > "$jobs/shard-2-of-3.out" 2>&1 ||
  { clog "build with SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 failed:"; cat "$jobs/shard-2-of-3.out"; exit 1; }
written=$(find "$one/clips" -maxdepth 1 -name '*.json' -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ' || true)
[ "$written" = "clip-000002.json " ] ||
  { clog "SLURM_ARRAY_TASK_ID=2 of 3 over clips 0-2 wrote '${written}', expected clip-000002.json only"; exit 1; }
[ ! -e "$one/manifest.jsonl" ] || { clog "a sharded build wrote manifest.jsonl (only merge should)"; exit 1; }
clog "SLURM_ARRAY_TASK_ID=2/COUNT=3 over clips 0-2: clip 2 only, no merge"

t=$(now_ms)
python3 "$here/compare.py" "$sharded" "$unsharded"
compare_time=$(since "$t")

cat <<EOF
cluster-test: PASSED ($(sbatch -V), $(munged -V 2>&1 | head -n1 | awk '{print $1}'), ${#clips[@]} clips, ${build_options[*]})
  cluster up:         $up_time
  array job (3 tasks, 1 CPU each, 2 at a time): $array_time
  array + merge jobs: $jobs_time
  unsharded build:    $unsharded_time
  compare:            $compare_time
EOF
