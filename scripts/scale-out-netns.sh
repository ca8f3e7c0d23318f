#!/usr/bin/env bash
# Why scale-out exists, shown on one machine: each client shard runs in a
# network namespace of its own (a "host"), joined to the server by a veth
# pair whose client-to-server direction is shaped to RATE (tbf), while the
# server's side is not limited. One shard against four shards of the same
# total load: where one client's link is the limit, the merged throughput
# grows about fourfold, and the per-shard table says each link was full.
#
#   sudo scripts/scale-out-netns.sh [RATE] [SECONDS]    # default 50mbit 8
#
# Needs root (ip netns, tc) and a release build (cargo build --release).
# Prints the one-shard and the merged four-shard throughput and keeps the
# reports in $OUT (default target/scale-out-netns).
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-50mbit}
seconds=${2:-8}
out=${OUT:-target/scale-out-netns}
imgwire=$PWD/target/release/imgwire
shards=4
[ "$(id -u)" = 0 ] || { echo "scale-out-netns: needs root (ip netns, tc)" >&2; exit 2; }
[ -x "$imgwire" ] || { echo "scale-out-netns: build first: cargo build --release" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.json "$out/serve.log"

cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  for k in $(seq 0 $((shards - 1))); do
    ip netns del "iwso-$k" 2>/dev/null || true
    ip link del "iwso-h$k" 2>/dev/null || true
  done
}
trap cleanup EXIT
cleanup

# Shard k's host: namespace iwso-k at 10.215.k.2, the server's end 10.215.k.1.
for k in $(seq 0 $((shards - 1))); do
  ip netns add "iwso-$k"
  ip link add "iwso-h$k" type veth peer name "iwso-n$k"
  ip link set "iwso-n$k" netns "iwso-$k"
  ip addr add "10.215.$k.1/30" dev "iwso-h$k"
  ip link set "iwso-h$k" up
  ip netns exec "iwso-$k" ip addr add "10.215.$k.2/30" dev "iwso-n$k"
  ip netns exec "iwso-$k" ip link set "iwso-n$k" up
  ip netns exec "iwso-$k" ip link set lo up
  # The client's uplink: RATE towards the server (the requests carry the
  # images); the answers come back unshaped.
  ip netns exec "iwso-$k" tc qdisc add dev "iwso-n$k" root tbf rate "$rate" burst 64kb latency 50ms
done

. scripts/lib/serve.sh
start_serve "$out/serve.log" "$imgwire" serve --rest-addr 0.0.0.0:0 \
  --grpc-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0 || exit 1
server_pid=$SERVE_PID
port=${SERVE_REST##*:}

load=(--load closed --duration "$seconds" --warmup 3 --warmup-max 0 -c 8
  --sizes 720x1280 --content natural --payloads binary --protocols rest --quiet)

# Runs shard K of N in namespace iwso-K, writing $out/NAME-K.json.
shard() {
  local k=$1 n=$2 name=$3 start=$4
  ip netns exec "iwso-$k" "$imgwire" bench "${load[@]}" \
    --rest-url "http://10.215.$k.1:$port" --shard "$k/$n" --start-at "$start" \
    --run-id "netns-$name" --export-json "$out/$name-$k.json"
}

start=$(($(date +%s) + 5))
shard 0 1 one "$start"
start=$(($(date +%s) + 5))
pids=()
for k in $(seq 0 $((shards - 1))); do
  shard "$k" "$shards" four "$start" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

"$imgwire" merge "$out"/four-*.json --export-json "$out/four-merged.json"
python3 - "$out" <<'EOF'
import json, sys
out = sys.argv[1]
one = json.load(open(f"{out}/one-0.json"))["scenarios"][0]
four = json.load(open(f"{out}/four-merged.json"))["scenarios"][0]
rps = lambda s: s["throughput"]["requests_per_s"]
mbit = lambda s: rps(s) * s["bytes"]["wire_sent_bytes"] * 8 / 1e6
print(f"one shard:   {rps(one):7.1f} req/s ({mbit(one):6.1f} Mbit/s sent), p99 {one['latency']['uncorrected']['p99_ns']/1e6:.1f} ms")
print(f"four shards: {rps(four):7.1f} req/s ({mbit(four):6.1f} Mbit/s sent), p99 {four['latency']['uncorrected']['p99_ns']/1e6:.1f} ms")
print(f"ratio:       {rps(four)/rps(one):.2f}x")
EOF
