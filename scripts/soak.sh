#!/usr/bin/env bash
# Soak: `imgwire serve` (release build) under valid load while hostile
# clients hold it, against the same load alone. Not part of CI.
#
# 1. Baseline: a fresh server; `imgwire bench` (REST and gRPC, basic, b64
#    and binary, 360x640 and 1080x1920, 256 concurrent) run again and again
#    for SECONDS.
# 2. Soak: a fresh server; the same load for SECONDS while, at the same
#    time, scripts/slow_clients.py holds IDLE connections that never send a
#    byte (reopening each the server closes) and trickles a REST body a byte
#    a second. The server's VmRSS is sampled every second in both phases.
# Then scripts/soak_report.py prints the errors on the valid requests (must
# be 0), each scenario's p99 with and without the hostile clients, and RSS
# at 10 s against the end, with the baseline's beside it; exits non-zero if
# a valid request failed or the soak's RSS peak in the second half of the
# run is 10 % or more over the first half's (from 10 s on: one sample
# swings by hundreds of MiB with whichever burst is in flight). Everything is kept in a directory it names.
#
# --max-connections is raised to IDLE + 2048 (the load opens 256 REST
# connections and a gRPC channel a run): at the default 1024, the idle
# clients would take every slot and the valid load would be turned away
# (counted as connection_limit at GET /stats).
# Usage: scripts/soak.sh [SECONDS] (default 60); IDLE=5000, BIN=path to imgwire
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
idle=${IDLE:-5000}
# Each process (server, idle clients, bench) needs IDLE + a few hundred
# descriptors: 65536, or the hard limit where that is lower.
files=65536
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || ((hard >= files)) || files=$hard
ulimit -n "$files"
((files >= idle + 4096)) ||
  { echo "soak: the open-files limit is $files, too few for IDLE=$idle (ulimit -n; lower IDLE)" >&2; exit 1; }
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/imgwire}
[ -n "${BIN:-}" ] || cargo build --release --quiet
out=$(mktemp -d -t imgwire-soak.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; true' EXIT

# Starts a fresh server; sets $server, $rest and $grpc (host:port).
start_server() {
  "$bin" serve --rest-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0 \
    --max-connections $((idle + 2048)) >"$out/$1-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    grep -q "Ctrl-C stops" "$out/$1-serve.log" 2>/dev/null && break
    sleep 0.1
  done
  rest=$(sed -n 's|^REST listening on http://||p' "$out/$1-serve.log")
  grpc=$(sed -n 's|^gRPC listening on http://||p' "$out/$1-serve.log")
}

stop_server() {
  kill -INT "$server"
  wait "$server" || true
  server=""
}

# Runs the load for $seconds, one bench run after another; each run's JSON
# is $out/PHASE-N.json.
load() {
  local end=$((SECONDS + seconds)) run=0
  while ((SECONDS < end)); do
    run=$((run + 1))
    "$bin" bench --rest-url "http://$rest" --grpc-url "http://$grpc" --protocols rest,grpc \
      --payloads basic,b64,binary --sizes 360x640,1080x1920 -c 256 --bursts 1 --warmup 0 \
      --content natural --brief --export-json "$out/$1-$run.json" >"$out/$1-$run.log" 2>&1 ||
      echo "soak: bench run $run of $1 exited non-zero (see $out/$1-$run.log)" >&2
  done
}

sample_rss() {
  local start=$SECONDS
  while kill -0 "$server" 2>/dev/null; do
    echo "$((SECONDS - start)) $(awk '/^VmRSS/ {print $2}' "/proc/$server/status")"
    sleep 1
  done
}

echo "soak: baseline, $seconds s of load alone (figures in $out)"
start_server baseline
sample_rss >"$out/rss-baseline.txt" 2>/dev/null &
sampler=$!
load baseline
kill "$sampler" 2>/dev/null || true
stop_server

echo "soak: $seconds s of the same load beside $idle idle connections and a trickled body"
start_server soak
sample_rss >"$out/rss.txt" 2>/dev/null &
sampler=$!
python3 scripts/slow_clients.py "$rest" "$grpc" "$idle" 86400 >"$out/slow.json" &
hostile=$!
sleep 2
load soak
kill "$sampler" 2>/dev/null || true
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://$rest/stats" >"$out/stats.json"
kill -TERM "$hostile"
wait "$hostile" || true
stop_server
python3 scripts/soak_report.py "$out"
