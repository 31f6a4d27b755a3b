# shellcheck shell=bash
# A throw-away single-node Slurm cluster in a temporary directory (sourced by run.sh).
#
#   cluster_up      make CLUSTER_DIR, write slurm.conf, start munged, slurmctld and slurmd,
#                   export SLURM_CONF, wait until the node is idle
#   cluster_dump    print the queue, the jobs' state, job logs and the daemons' logs
#   cluster_down    cancel every job, stop exactly the daemons cluster_up started (by pid file,
#                   after checking the pid still names that daemon), kill any process still
#                   holding a file in CLUSTER_DIR, remove CLUSTER_DIR (kept with CLUSTER_KEEP=1)
#
# No systemd, no cgroups: proctrack/linuxproc, task/none, no accounting database (so sacct has
# nothing to show; jobcomp/filetxt keeps a line per finished job instead). The daemons run as
# the invoking user (root in CI), on two free TCP ports, with munged on its own key and socket.
# Environment: CLUSTER_TMPDIR (parent of CLUSTER_DIR, default $TMPDIR or /tmp), CLUSTER_KEEP.

CLUSTER_DIR=""
CLUSTER_STARTED=()      # "name pidfile" of each daemon this shell started, in start order
CLUSTER_HOST=$(hostname -s)

clog() { printf '[cluster %s] %s\n' "$(date +%T)" "$*"; }
now_ms() { date +%s%3N; }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }

# Two TCP ports nothing listens on (the kernel picks them; tiny race, no fixed port to collide on).
cluster_ports() {
  python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))'
}

# Starts "$@" in the background in its own session (so Ctrl-C reaches run.sh's trap, not the
# daemon), remembers its pid file, and waits until that file names a live process.
cluster_start_daemon() {
  local name=$1 pidfile=$2; shift 2
  setsid "$@" >"$CLUSTER_DIR/log/$name.out" 2>&1 < /dev/null &
  local launcher=$!
  CLUSTER_STARTED+=("$name $pidfile $launcher")
  local i
  for i in $(seq 1 100); do
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
  done
  clog "$name did not start; its output:"; cat "$CLUSTER_DIR/log/$name.out" >&2
  return 1
}

cluster_start_munge() {
  local m=$CLUSTER_DIR/munge
  mkdir -p "$m" && chmod 755 "$m"     # munged wants its socket's directory searchable by all
  if command -v mungekey >/dev/null; then
    mungekey --create --keyfile="$m/munge.key"
  else
    dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 status=none
  fi
  chmod 600 "$m/munge.key"
  MUNGE_SOCKET=$m/munge.socket
  if cluster_start_daemon munged "$m/munged.pid" munged -F --socket="$MUNGE_SOCKET" \
       --key-file="$m/munge.key" --pid-file="$m/munged.pid" --seed-file="$m/munged.seed" \
     && munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null; then
    clog "munged started on $MUNGE_SOCKET"
    return 0
  fi
  # Fall back on the system's munged (its key and socket), starting it only when it is not up.
  MUNGE_SOCKET=/run/munge/munge.socket.2
  if munge -n | unmunge >/dev/null 2>&1; then
    clog "using the running system munged ($MUNGE_SOCKET)"; return 0
  fi
  mkdir -p /run/munge
  cluster_start_daemon munged-system /run/munge/munged.pid munged -F || return 1
  munge -n | unmunge >/dev/null || { clog "munge does not work"; return 1; }
  clog "system munged started"
}

cluster_write_conf() {
  local ports cpus mem user
  read -r -a ports < <(cluster_ports)
  cpus=$(nproc)
  mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 3 / 4 }' /proc/meminfo)
  user=$(id -un)
  SLURM_CONF=$CLUSTER_DIR/slurm.conf
  cat > "$SLURM_CONF" <<EOF
# written by Tests/Cluster/cluster.sh for one test run
ClusterName=warpflowtest
SlurmctldHost=$CLUSTER_HOST(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$CLUSTER_DIR/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
PropagateResourceLimits=NONE
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=$CLUSTER_DIR/state
SlurmdSpoolDir=$CLUSTER_DIR/spool
SlurmctldPidFile=$CLUSTER_DIR/run/slurmctld.pid
SlurmdPidFile=$CLUSTER_DIR/run/slurmd.pid
SlurmctldLogFile=$CLUSTER_DIR/log/slurmctld.log
SlurmdLogFile=$CLUSTER_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
TCPTimeout=2
BatchStartTimeout=10
KillWait=5
InactiveLimit=0
MinJobAge=600
Waittime=0
NodeName=$CLUSTER_HOST NodeAddr=127.0.0.1 NodeHostname=$CLUSTER_HOST CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$CLUSTER_HOST Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF
}

cluster_up() {
  local t0 i state
  t0=$(now_ms)
  CLUSTER_DIR=$(mktemp -d "${CLUSTER_TMPDIR:-${TMPDIR:-/tmp}}/warpflow-cluster.XXXXXX")
  chmod 755 "$CLUSTER_DIR"
  mkdir -p "$CLUSTER_DIR"/{state,spool,log,run,jobs}
  cluster_start_munge
  cluster_write_conf
  cluster_start_daemon slurmctld "$CLUSTER_DIR/run/slurmctld.pid" slurmctld -D -f "$SLURM_CONF"
  cluster_start_daemon slurmd "$CLUSTER_DIR/run/slurmd.pid" slurmd -D -f "$SLURM_CONF"
  for i in $(seq 1 120); do
    state=$(sinfo -h -n "$CLUSTER_HOST" -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "$state" != idle ]; then
    clog "node $CLUSTER_HOST is not idle after 60 s (state: ${state:-no answer})"
    sinfo -R 2>&1 || true
    return 1
  fi
  clog "slurm $(sinfo -V | awk '{print $2}') up in $(since "$t0"): node $CLUSTER_HOST idle, $(nproc) CPUs, conf $SLURM_CONF"
}

cluster_dump() {
  [ -n "$CLUSTER_DIR" ] && [ -d "$CLUSTER_DIR" ] || return 0
  local q=(timeout 15)     # client commands wait for a slow slurmctld; a dead one is not asked
  if cluster_alive slurmctld; then
    echo "===== squeue"; "${q[@]}" squeue -a 2>&1 || true
    echo "===== sinfo"; "${q[@]}" sinfo -N -l 2>&1 || true; "${q[@]}" sinfo -R 2>&1 || true
    echo "===== scontrol show job"; "${q[@]}" scontrol show job 2>&1 || true
    echo "===== sacct"; "${q[@]}" sacct -a -X 2>&1 || true
  else
    echo "===== slurmctld is not running: no squeue, sinfo or scontrol"
  fi
  echo "===== finished jobs ($CLUSTER_DIR/log/jobcomp.txt)"; cat "$CLUSTER_DIR/log/jobcomp.txt" 2>/dev/null || true
  local f
  for f in "$CLUSTER_DIR"/jobs/* "$CLUSTER_DIR"/log/*.out "$CLUSTER_DIR"/log/slurmctld.log "$CLUSTER_DIR"/log/slurmd.log; do
    [ -f "$f" ] || continue
    [[ "$f" == */slurm*.out && -s "${f%.out}.log" ]] && continue    # the same lines as the .log
    echo "===== $f (last 60 lines)"; tail -n 60 "$f"
  done
}

# Is $1 a live process whose command name starts with $2?
cluster_is() { [ -r "/proc/$1/comm" ] && [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == "$2"* ]]; }

# Is the daemon this shell started under the name $1 still running?
cluster_alive() {
  local entry name pidfile launcher
  for entry in ${CLUSTER_STARTED[@]+"${CLUSTER_STARTED[@]}"}; do
    read -r name pidfile launcher <<< "$entry"
    [ "$name" = "$1" ] || continue
    cluster_is "$(cat "$pidfile" 2>/dev/null || echo "$launcher")" "${name%-system}" && return 0
  done
  return 1
}

cluster_stop_pid() {
  local name=$1 pid=$2 i
  cluster_is "$pid" "${name%-system}" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do cluster_is "$pid" "${name%-system}" || return 0; sleep 0.1; done
  clog "$name ($pid) ignored SIGTERM for 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Processes (other than this shell) with an open file, working directory or executable in
# CLUSTER_DIR: job steps or slurmstepd left behind. Prints their pids.
cluster_leftovers() {
  local p link
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    [ "$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)" = $$ ] && continue
    for link in "/proc/$p/cwd" "/proc/$p/exe" /proc/"$p"/fd/*; do
      if [[ "$(readlink "$link" 2>/dev/null)" == "$CLUSTER_DIR"/* ]]; then echo "$p"; break; fi
    done
  done
}

cluster_down() {
  [ -n "$CLUSTER_DIR" ] || return 0
  local t0 i name pidfile launcher pid
  t0=$(now_ms)
  local ids=()
  if cluster_alive slurmctld; then mapfile -t ids < <(timeout 15 squeue -h -o %A 2>/dev/null); fi
  if [ "${#ids[@]}" -gt 0 ]; then
    clog "cancelling jobs still queued or running: ${ids[*]}"
    timeout 15 scancel --full --quiet "${ids[@]}" 2>/dev/null || true
    for i in $(seq 1 60); do [ -z "$(timeout 5 squeue -h -o %A 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  # Stop in reverse start order: slurmd, slurmctld, munged.
  for ((i = ${#CLUSTER_STARTED[@]} - 1; i >= 0; i--)); do
    read -r name pidfile launcher <<< "${CLUSTER_STARTED[$i]}"
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] || pid=$launcher
    cluster_stop_pid "$name" "$pid"
    [ "$pid" = "$launcher" ] || cluster_stop_pid "$name" "$launcher"
    wait "$launcher" 2>/dev/null || true
  done
  CLUSTER_STARTED=()
  local left=()
  mapfile -t left < <(cluster_leftovers)
  if [ "${#left[@]}" -gt 0 ]; then
    clog "killing processes left holding files in $CLUSTER_DIR:"
    for pid in "${left[@]}"; do ps -o pid=,comm=,args= -p "$pid" 2>/dev/null || true; done
    kill -KILL "${left[@]}" 2>/dev/null || true
    for i in $(seq 1 50); do [ -z "$(cluster_leftovers)" ] && break; sleep 0.1; done
  fi
  if [ "${CLUSTER_KEEP:-0}" = 1 ]; then
    clog "daemons stopped in $(since "$t0"); kept $CLUSTER_DIR"
  else
    rm -rf "$CLUSTER_DIR"
    clog "daemons stopped and $CLUSTER_DIR removed in $(since "$t0")"
  fi
  CLUSTER_DIR=""
}
