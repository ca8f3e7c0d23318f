#!/usr/bin/env bash
# How close is imgwire's tcp floor to what the loopback itself can carry?
# Runs the floor alone for 1080x1920 binary (20 concurrent requests a
# burst, --server-decoder none), then iperf3 over loopback for the same
# bytes a burst sends (20 x the request body, one stream), and prints both.
# The floor sends each body one way and a ~1 KB answer back, as iperf3 does
# not; what is left between them is framing, per-request round trips and
# the concurrency of 20 connections.
# Usage: scripts/floor-vs-iperf.sh [OUTDIR] [IMGWIRE]   (needs iperf3, jq)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-floor-vs-iperf}; bin=${2:-./target/release/imgwire}
mkdir -p "$out"
command -v iperf3 >/dev/null || { echo "needs iperf3 (apt-get install -y iperf3)" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }
[ -x "$bin" ] || cargo build --release --quiet
"$bin" bench --sizes 1080x1920 --payloads binary --protocols tcp --server-decoder none \
  --concurrency 20 --bursts 10 --brief --no-color --json "$out/floor.json" > "$out/floor.txt"
body=$(jq '.scenarios[0].bytes.request_body_bytes' "$out/floor.json")
burst_s=$(jq '.scenarios[0].burst.mean_ns / 1e9' "$out/floor.json")
bytes=$((20 * body))
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iperf3 -s -1 -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
server=$!
sleep 0.5
iperf3 -c 127.0.0.1 -p "$port" -n "$bytes" -J > "$out/iperf3.json"
wait "$server" || true
iperf_s=$(jq '.end.sum_received.seconds' "$out/iperf3.json")
gbit=$(jq '.end.sum_received.bits_per_second / 1e9' "$out/iperf3.json")
echo "bytes per burst: 20 x $body = $bytes"
echo "tcp floor: $burst_s s per burst (mean of 10, 20 connections)"
echo "iperf3:    $iperf_s s for the same bytes ($gbit Gbit/s, one stream)"
python3 -c "print(f'floor / iperf3: {float($burst_s) / float($iperf_s):.2f}x')"
