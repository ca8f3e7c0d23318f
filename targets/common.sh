#!/usr/bin/env bash
# Shared helpers for the targets' run.sh/stop.sh scripts: where the venvs,
# logs and PID files live, the Debian Python every venv is built with, and
# waiting for a server to answer. Sourced, never run.
set -euo pipefail

TARGETS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TARGETS_DIR/.." && pwd)"
# Everything generated (venvs, logs, PID files, model stores) goes here.
TARGETS_CACHE="${IMGWIRE_TARGETS_CACHE:-$REPO_ROOT/target/targets}"
VENVS_DIR="$TARGETS_CACHE/venvs"
LOG_DIR="$TARGETS_CACHE/logs"
RUN_DIR="$TARGETS_CACHE/run"
mkdir -p "$VENVS_DIR" "$LOG_DIR" "$RUN_DIR"

log() { echo "[targets] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are missing (names given as arguments).
ensure_debs() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Debian's own python3.11: PyTriton's backend stub links the system libpython,
# so every venv here is made with it (the same interpreter for all targets).
ensure_debian_python() {
  ensure_debs python3.11 python3.11-venv
  DEBIAN_PYTHON=/usr/bin/python3.11
}

# make_venv NAME REQUIREMENTS_FILE: creates $VENVS_DIR/NAME with Debian's
# python3.11 and installs the pinned requirements; reused while the
# requirements file is unchanged. Prints the venv path on stdout.
make_venv() {
  local name="$1" requirements="$2"
  local venv="$VENVS_DIR/$name"
  local stamp="$venv/.requirements.sha256"
  local want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "$name: reusing venv $venv"
    echo "$venv"
    return
  fi
  ensure_debian_python
  log "$name: creating venv $venv (pip log: $LOG_DIR/$name-pip.log)"
  rm -rf "$venv"
  "$DEBIAN_PYTHON" -m venv "$venv"
  local started=$SECONDS
  "$venv/bin/pip" install --no-input -q -r "$requirements" >"$LOG_DIR/$name-pip.log" 2>&1 \
    || { log "$name: pip install failed, see $LOG_DIR/$name-pip.log"; tail -20 "$LOG_DIR/$name-pip.log" >&2; return 1; }
  echo "$want" >"$stamp"
  log "$name: venv ready in $((SECONDS - started)) s ($(du -sh "$venv" | cut -f1))"
  echo "$venv"
}

# is_running PIDFILE: true when the PID file names a live process.
is_running() {
  local pidfile="$1"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# stop_pidfile PIDFILE [SIGNAL]: sends SIGNAL (default TERM) to the process
# the PID file names, waits up to 30 s for it to exit (servers clean up on
# their own), then kills whatever is left of its process group and waits
# (up to 15 s more) until none of the group is left.
stop_pidfile() {
  local pidfile="$1" signal="${2:-TERM}"
  if is_running "$pidfile"; then
    local pid i
    pid="$(cat "$pidfile")"
    log "stopping pid $pid with SIG$signal ($(basename "$pidfile"))"
    kill "-$signal" "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    # Children (TorchServe's Java) may still be exiting and holding ports.
    for i in $(seq 1 75); do
      [ -z "$(ps -o pid= -g "$pid" 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  rm -f "$pidfile"
}

# start_bg PIDFILE LOGFILE CMD...: starts CMD in its own process group,
# output to LOGFILE, and records its PID.
start_bg() {
  local pidfile="$1" logfile="$2"
  shift 2
  setsid "$@" >"$logfile" 2>&1 < /dev/null &
  echo $! >"$pidfile"
  log "started pid $! ($*), log: $logfile"
}

# wait_until SECONDS PIDFILE LOGFILE CMD...: retries CMD until it succeeds;
# fails (with the log's tail) when the process dies or time runs out.
wait_until() {
  local limit="$1" pidfile="$2" logfile="$3"
  shift 3
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$pidfile"; then
      log "server exited before it was ready; last lines of $logfile:"
      tail -30 "$logfile" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "not ready after ${limit}s; last lines of $logfile:"
      tail -30 "$logfile" >&2
      return 1
    fi
    sleep 0.5
  done
}

http_ok() { curl -sf -o /dev/null --max-time 2 "$1"; }
