#!/usr/bin/env bash
# The cost of sharding, on one machine: one process at --concurrency C
# against N shards of C/N each, the same closed load on the same
# `imgwire serve`, the shards started together (--start-at) and merged.
# Equal throughput and percentiles (within their intervals) mean that
# splitting the client changes nothing but where it runs.
#
#   scripts/shard-cost.sh [C] [N] [SECONDS] [imgwire bench flags...]
#   (default 20 4 10, --sizes 360x640 --payloads binary --protocols rest,grpc)
set -euo pipefail
cd "$(dirname "$0")/.."
concurrency=${1:-20}
shards=${2:-4}
seconds=${3:-10}
shift $(($# < 3 ? $# : 3))
[ $# -gt 0 ] || set -- --sizes 360x640 --payloads binary --protocols rest,grpc
out=${OUT:-target/shard-cost}
imgwire=$PWD/target/release/imgwire
[ -x "$imgwire" ] || { echo "shard-cost: build first: cargo build --release" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.json "$out/serve.log"

. scripts/lib/serve.sh
start_serve "$out/serve.log" "$imgwire" serve --rest-addr 127.0.0.1:0 \
  --grpc-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0
server_pid=$SERVE_PID rest=$SERVE_REST grpc=$SERVE_GRPC
trap 'kill $server_pid 2>/dev/null || true' EXIT

common=(bench --load closed -c "$concurrency" --duration "$seconds" --warmup 3 --warmup-max 0
  --rest-url "$rest" --grpc-url "$grpc" --quiet "$@")
start=$(($(date +%s) + 3))
"$imgwire" "${common[@]}" --shard 0/1 --start-at "$start" --run-id one --export-json "$out/one.json"
start=$(($(date +%s) + 3))
pids=()
for k in $(seq 0 $((shards - 1))); do
  "$imgwire" "${common[@]}" --shard "$k/$shards" --start-at "$start" --run-id sharded \
    --export-json "$out/shard-$k.json" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$imgwire" merge "$out"/shard-*.json --export-json "$out/merged.json" >"$out/merged.txt" 2>&1

python3 - "$out" "$shards" <<'PY'
import json, sys
out, shards = sys.argv[1], sys.argv[2]
one = json.load(open(f"{out}/one.json"))["scenarios"]
merged = json.load(open(f"{out}/merged.json"))["scenarios"]
ms = lambda ns: ns / 1e6
def row(name, s):
    t = s["throughput"]
    ci = t["requests_per_s_ci95"] or [float("nan")] * 2
    l = s["latency"]["uncorrected"]
    return (f"  {name:<10} {t['requests_per_s']:9.1f} [{ci[0]:.1f}-{ci[1]:.1f}]"
            f"  p50 {ms(l['p50_ns']):7.3f}  p99 {ms(l['p99_ns']):7.3f} ms")
for a, b in zip(one, merged):
    label = f"{a['size']} {a['payload']} {a['protocol']}"
    print(label)
    print(row("1 process", a))
    print(row(f"{shards} shards", b))
PY
