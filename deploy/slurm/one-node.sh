#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for tests and to try the
# sharded run: installs slurm-wlm and munge (Debian) where missing, writes a
# slurm.conf into a folder of its own, starts munged, slurmctld and slurmd,
# and waits until the node takes jobs.
#
#   deploy/slurm/one-node.sh start DIR   # prints the slurm.conf path on stdout
#   deploy/slurm/one-node.sh stop DIR    # stops the daemons it started
#
# Then: SLURM_CONF=DIR/slurm.conf srun -O -n 4 imgwire bench ...
# Needs root (munged runs as the munge user, the Slurm daemons as root).
set -euo pipefail
action="${1:?usage: one-node.sh start|stop DIR}"
dir="${2:?usage: one-node.sh start|stop DIR}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# Stops the daemons this folder's PID files name and waits (up to 10 s
# each, then SIGKILL) until they are gone, so their ports are free for the
# next start.
stop() {
  local daemon pid
  for daemon in slurmd slurmctld; do
    [ -f "$dir/$daemon.pid" ] || continue
    pid="$(cat "$dir/$daemon.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/$daemon.pid"
  done
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi
[ "$action" = start ] || { echo "one-node.sh: unknown action $action (start or stop)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "one-node.sh: needs root (munged and slurmd)" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "one-node.sh: installing slurm-wlm and munge (Debian packages)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >&2
fi

# munged: its key, its folders owned by munge, its socket folder.
[ -s /etc/munge/munge.key ] || /usr/sbin/mungekey --create --force >&2 2>/dev/null \
  || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  su -s /bin/sh munge -c /usr/sbin/munged
fi

host="$(hostname -s)"
cpus="$(nproc)"
ctld_port=46817
slurmd_port=46818
# Ports other than the defaults, so a site's own Slurm is left alone.
cat >"$dir/slurm.conf" <<CONF
ClusterName=imgwire
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=imgwire Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
CONF
mkdir -p "$dir/state" "$dir/spool"
export SLURM_CONF="$dir/slurm.conf"
stop
# Another cluster on these ports (one started from another folder and never
# stopped) would answer in place of this one: refuse, naming it.
for port in $ctld_port $slurmd_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "one-node.sh: port $port is taken, by another Slurm? ($(pgrep -a 'slurmctld|slurmd' | tr '\n' ' '))" >&2
    echo "one-node.sh: stop it with: one-node.sh stop ITS-DIR (or kill those PIDs)" >&2
    exit 1
  fi
done
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

# The node takes jobs once sinfo says idle (a node that registered badly is
# drained: resume it once).
for _ in $(seq 60); do
  for daemon in slurmctld slurmd; do
    if [ -f "$dir/$daemon.pid" ] && ! kill -0 "$(cat "$dir/$daemon.pid")" 2>/dev/null; then
      echo "one-node.sh: $daemon exited; its log: $dir/$daemon.log" >&2
      tail -5 "$dir/$daemon.log" >&2
      stop
      exit 1
    fi
  done
  state="$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)"
  case "$state" in
    idle*|mix*|alloc*) echo "$SLURM_CONF"; exit 0 ;;
    drain*|down*|inval*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
  esac
  sleep 1
done
echo "one-node.sh: the node never became idle (sinfo: ${state:-nothing}); see $dir/slurmctld.log and $dir/slurmd.log" >&2
stop
exit 1
