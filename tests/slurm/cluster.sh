#!/usr/bin/env bash
# A one-node Slurm cluster in a temp folder, for Chorus's Slurm tests (tests/Chorus.Slurm.Tests).
#
#   tests/slurm/cluster.sh DIR
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge when they are missing (root, or sudo), writes DIR/slurm.conf,
# starts munged, slurmctld and slurmd as children of this script (in the foreground: no systemd, no stray daemons),
# waits until the node is idle, prints "READY SLURM_CONF=DIR/slurm.conf", and then waits. On SIGTERM/SIGINT, or when any
# daemon dies, or when the process CHORUS_CLUSTER_PARENT names exits, it stops them all by PID and waits for them, so
# nothing outlives it. Clients use SLURM_CONF=DIR/slurm.conf. CHORUS_SLURMCTLD_PORT and CHORUS_SLURMD_PORT choose the
# ports (default 16817 and 16818).
set -euo pipefail
dir=$(realpath -m "${1:?usage: cluster.sh DIR}")
mkdir -p "$dir"/{state,spool,log,jobs}
# munged runs as the munge user: its socket folder must be reachable by it even when DIR's parents are private (mktemp -d).
munge_dir=$(mktemp -d /tmp/chorus-munge.XXXXXX)
chmod 755 "$munge_dir"
ln -sfn "$munge_dir" "$dir/munge"

sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "Installing slurmctld slurmd slurm-client munge..." >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; }
fi
PATH="$PATH:/usr/sbin:/sbin"

# The node as slurmd sees it (a RealMemory above the real one drains the node).
read -r cpus mem < <(slurmd -C | awk '/^NodeName/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "CPUs") c = kv[2]; if (kv[1] == "RealMemory") m = kv[2] } print c, m }')
host=$(hostname -s)
user=$(id -un)

cat > "$dir/slurm.conf" <<CONF
ClusterName=chorus-test
SlurmctldHost=$host
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_dir/munge.socket,cred_expire=5
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=${CHORUS_SLURMCTLD_PORT:-16817}
SlurmdPort=${CHORUS_SLURMD_PORT:-16818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MpiDefault=none
MaxArraySize=1000
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
RequeueExit=75
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
export SLURM_CONF="$dir/slurm.conf"

pids=()
stop() {
  trap - EXIT TERM INT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$munge_dir" "$dir/munge"
  echo "STOPPED" >&2
}
trap stop EXIT
trap 'exit 0' TERM INT

chown munge: "$munge_dir" 2>/dev/null || true
if [ "$(id -u)" -eq 0 ]; then
  runuser -u munge -- munged -F --socket="$munge_dir/munge.socket" --pid-file="$munge_dir/munged.pid" --log-file="$munge_dir/munged.log" --seed-file="$munge_dir/munged.seed" &
else
  munged -F --socket="$munge_dir/munge.socket" --pid-file="$munge_dir/munged.pid" --log-file="$munge_dir/munged.log" --seed-file="$munge_dir/munged.seed" &
fi
pids+=($!)
for _ in $(seq 100); do [ -S "$munge_dir/munge.socket" ] && break; sleep 0.1; done
[ -S "$munge_dir/munge.socket" ] || { echo "munged did not start; see $munge_dir/munged.log" >&2; cat "$munge_dir/munged.log" >&2 2>/dev/null; exit 1; }

slurmctld -D -i -f "$SLURM_CONF" >>"$dir/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >>"$dir/log/slurmd.out" 2>&1 &
pids+=($!)

state=""
for _ in $(seq 300); do
  state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a Slurm daemon exited; see $dir/log" >&2; exit 1; }; done
  sleep 0.2
done
[ "$state" = "idle" ] || { echo "the node did not become idle (state '$state'); see $dir/log" >&2; exit 1; }
echo "READY SLURM_CONF=$SLURM_CONF"

# Until told to stop, until a daemon dies, or until the process named by CHORUS_CLUSTER_PARENT (the test host) is gone.
parent=${CHORUS_CLUSTER_PARENT:-}
while true; do
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a Slurm daemon exited; see $dir/log" >&2; exit 1; }; done
  if [ -n "$parent" ] && ! kill -0 "$parent" 2>/dev/null; then echo "parent $parent is gone; stopping" >&2; exit 0; fi
  sleep 1
done
