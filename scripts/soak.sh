#!/usr/bin/env bash
# Soak: `imgwire serve` (release build) under valid load while hostile
# clients attack it, against the same load alone. Not part of CI.
#
# 1. Baseline: a fresh server; `imgwire bench` (REST and gRPC, basic, b64
#    and binary, 360x640 and 1080x1920, 256 concurrent) run again and again
#    for SECONDS.
# 2. Soak: a fresh server; the same load for SECONDS while, at the same
#    time, scripts/slow_clients.py holds IDLE connections that never send a
#    byte, PINGS HTTP/2 connections that only PING (one every PING_EVERY
#    s), HANDSHAKES TLS handshakes trickled a byte every HANDSHAKE_EVERY s
#    (each kind reopened when the server closes it) and a REST body
#    trickled a byte a second; and scripts/soak_attackers.py sends the
#    ATTACKS: progressive-scan JPEG bombs cancelled after 0.5 s (bombs,
#    refused by the scan limits; slow, the largest the limits admit),
#    a 60 MB gRPC ModelInfer of 30 million empty inputs (inputs), a 59 MB
#    v2 REST body of 29.5 million parameters (params), /basic with 5
#    million keys (keys), one after another each.
# Both servers speak TLS (TLS=1, a certificate made here with openssl; the
# trickled handshakes need it), close connections idle for IDLE_TIMEOUT
# seconds and HTTP/1 keep-alive connections after HEADER_TIMEOUT seconds
# (20 both: the PING holders, silent clients and trickled handshakes are
# closed within the run, and the load's pooled REST connections, idle while
# a gRPC scenario runs, are not: `bench`'s REST client does not retry a
# request on a kept-alive connection the server has just closed), and run
# under `prlimit -v` (address space) of AS_LIMIT_MB (2048, as the probe that found these
# attacks ran it), so a runaway allocation is a crash counted here, not a
# machine out of memory. The server's VmRSS is sampled every second and its
# VmHWM read at the end.
# Then scripts/soak_report.py prints crashes, the errors on the valid
# requests, each scenario's p99 with and without the attackers, the
# server's peak RSS against RSS_LIMIT_MB (1536, docs/hardening.md), what
# the attackers saw and GET /stats; it exits non-zero on a crash, a valid
# request that failed, or a peak at or over RSS_LIMIT_MB. Everything is
# kept in a directory it names.
#
# --max-connections is raised to IDLE + PINGS + HANDSHAKES + 2048 (the load
# opens 256 REST connections and a gRPC channel a run): at the default
# 1024, the idle clients would take every slot and the valid load would be
# turned away (counted as connection_limit at GET /stats).
# Usage: scripts/soak.sh [SECONDS] (default 60); IDLE=5000 PINGS=1024
#   PING_EVERY=5 HANDSHAKES=200 HANDSHAKE_EVERY=5
#   ATTACKS=bombs,slow,inputs,params,keys (empty: none) TLS=1 IDLE_TIMEOUT=20
#   HEADER_TIMEOUT=20 SCALE=1.0 (the attackers' sizes, for short trials)
#   SERVER_THREADS=2 AS_LIMIT_MB=2048 RSS_LIMIT_MB=1536 BIN=path to imgwire
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
idle=${IDLE:-5000}
pings=${PINGS:-1024}
ping_every=${PING_EVERY:-5}
handshakes=${HANDSHAKES:-200}
handshake_every=${HANDSHAKE_EVERY:-5}
attacks=${ATTACKS-bombs,slow,inputs,params,keys}
tls=${TLS:-1}
as_limit=${AS_LIMIT_MB:-2048}
rss_limit=${RSS_LIMIT_MB:-1536}
held=$((idle + pings + handshakes))
# Each process (server, slow clients, bench) needs HELD + a few hundred
# descriptors: 65536, or the hard limit where that is lower.
files=65536
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || ((hard >= files)) || files=$hard
ulimit -n "$files"
((files >= held + 4096)) ||
  { echo "soak: the open-files limit is $files, too few for $held held connections (ulimit -n; lower IDLE, PINGS)" >&2; exit 1; }
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/imgwire}
[ -n "${BIN:-}" ] || cargo build --release --quiet
out=$(mktemp -d -t imgwire-soak.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; true' EXIT

scheme=http tls_serve=() tls_bench=() ca=()
if [ "$tls" = 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$out/key.pem" -out "$out/cert.pem" 2>/dev/null
  scheme=https
  tls_serve=(--tls-cert "$out/cert.pem" --tls-key "$out/key.pem")
  tls_bench=(--tls-ca "$out/cert.pem")
  ca=("$out/cert.pem")
fi
printf '{"rss_limit_mb": %s, "as_limit_mb": %s, "seconds": %s, "tls": %s, "attacks": "%s"}\n' \
  "$rss_limit" "$as_limit" "$seconds" "$tls" "$attacks" >"$out/settings.json"

# Starts a fresh server; sets $server, $rest and $grpc (host:port).
start_server() {
  prlimit -v$((as_limit * 1024 * 1024)) "$bin" serve --rest-addr 127.0.0.1:0 \
    --grpc-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0 --max-connections $((held + 2048)) \
    --idle-timeout-s "${IDLE_TIMEOUT:-20}" --header-timeout-s "${HEADER_TIMEOUT:-20}" \
    --server-threads "${SERVER_THREADS:-2}" \
    "${tls_serve[@]}" >"$out/$1-serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    grep -q "Ctrl-C stops" "$out/$1-serve.log" 2>/dev/null && break
    sleep 0.1
  done
  rest=$(sed -n "s|^REST listening on $scheme://||p" "$out/$1-serve.log")
  grpc=$(sed -n "s|^gRPC listening on $scheme://||p" "$out/$1-serve.log")
  [ -n "$rest" ] && [ -n "$grpc" ] ||
    { echo "soak: the server did not start (see $out/$1-serve.log)" >&2; exit 1; }
}

# Stops the server; a server that died before is a crash, written to
# $out/crashes.txt with its exit status and the end of its log.
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    awk '/^VmHWM/ {print $2}' "/proc/$server/status" >"$out/hwm-$1.txt"
    kill -INT "$server"
    wait "$server" || true
  else
    local status=0
    wait "$server" || status=$?
    echo "$1: the server exited with status $status: $(tail -n 3 "$out/$1-serve.log" | tr '\n' ' ')" \
      >>"$out/crashes.txt"
  fi
  server=""
}

# Runs the load for $seconds, one bench run after another; each run's JSON
# is $out/PHASE-N.json.
load() {
  local end=$((SECONDS + seconds)) run=0
  while ((SECONDS < end)) && kill -0 "$server" 2>/dev/null; do
    run=$((run + 1))
    "$bin" bench --rest-url "$scheme://$rest" --grpc-url "$scheme://$grpc" "${tls_bench[@]}" \
      --protocols rest,grpc --payloads basic,b64,binary --sizes 360x640,1080x1920 -c 256 \
      --bursts 1 --warmup 0 --content natural --brief --export-json "$out/$1-$run.json" \
      >"$out/$1-$run.log" 2>&1 ||
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

get_stats() {
  python3 -c '
import ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None
sys.stdout.write(urllib.request.urlopen(sys.argv[1], context=context, timeout=10).read().decode())
' "$scheme://$rest/stats" "${ca[@]}" >"$out/stats.json" || echo '{"refused": {}}' >"$out/stats.json"
}

echo "soak: baseline, $seconds s of load alone (figures in $out)"
start_server baseline
sample_rss >"$out/rss-baseline.txt" 2>/dev/null &
sampler=$!
load baseline
kill "$sampler" 2>/dev/null || true
stop_server baseline

echo "soak: $seconds s of the same load beside $idle idle connections, $pings PING holders," \
  "$handshakes trickled handshakes, a trickled body and attackers '${attacks:-none}'"
start_server soak
sample_rss >"$out/rss.txt" 2>/dev/null &
sampler=$!
python3 scripts/slow_clients.py "$rest" "$grpc" "$idle" 86400 "$pings" "$ping_every" \
  "$handshakes" "$handshake_every" "${ca[@]}" >"$out/slow.json" &
hostile=$!
attackers=""
if [ -n "$attacks" ]; then
  python3 scripts/soak_attackers.py "$rest" "$grpc" 86400 "$attacks" "${ca[@]}" \
    >"$out/attackers.json" 2>"$out/attackers.log" &
  attackers=$!
fi
sleep 2
load soak
kill "$sampler" 2>/dev/null || true
if kill -0 "$server" 2>/dev/null; then get_stats; else echo '{"refused": {}}' >"$out/stats.json"; fi
kill -TERM "$hostile" $attackers
wait "$hostile" $attackers || true
stop_server soak
python3 scripts/soak_report.py "$out"
