#!/usr/bin/env bash
# The gRPC-vs-REST gap for one big image, one step at a time, as
# docs/grpc-vs-rest.md tells it: 1080x1920 binary, 20 concurrent requests a
# burst, --server-decoder none (so only the transport differs), REST/1.1
# and gRPC in the same run at every step: library defaults, 20 channels,
# then larger frames and windows; the last loopback step again with
# flamegraphs of client and server; then the same settings over an
# emulated 1 Gbit/s, 2 ms link. Each step's table goes to OUTDIR/NAME.txt,
# its JSON to OUTDIR/NAME.json, the flamegraphs to OUTDIR/flamegraphs/;
# the "faster" line of every step is printed at the end.
# IMGWIRE may name another build (an older commit's) to compare the same
# steps on it.
# Usage: scripts/grpc-gap.sh [OUTDIR] [BURSTS] [IMGWIRE]   (a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-grpc-gap}; bursts=${2:-40}; bin=${3:-./target/release/imgwire}
mkdir -p "$out"
[ "$bin" != ./target/release/imgwire ] || cargo build --release --quiet
workload=(--sizes 1080x1920 --payloads binary --protocols rest,grpc --server-decoder none -c 20)
frames_256k=(--grpc-channels 20 --h2-max-frame 262144 --h2-adaptive-window)
frames_1m=(--grpc-channels 20 --h2-stream-window 4194304 --h2-connection-window 16777216
  --h2-max-frame 1048576)
run() { # NAME BURSTS FLAGS...
  local name=$1 n=$2; shift 2
  echo "== $name: imgwire bench ${workload[*]} -n $n $*" > "$out/$name.txt"
  "$bin" bench "${workload[@]}" -n "$n" --quiet --no-color --json "$out/$name.json" "$@" \
    >> "$out/$name.txt"
}
run defaults "$bursts"
run channels-20 "$bursts" --grpc-channels 20
run frames-256k "$bursts" "${frames_256k[@]}"
run frames-1m "$bursts" "${frames_1m[@]}"
run frames-1m-profiled 100 "${frames_1m[@]}" --flamegraph "$out/flamegraphs"
run link-defaults 10 --link bw=1gbit,rtt=2ms
run link-frames-1m 10 "${frames_1m[@]}" --link bw=1gbit,rtt=2ms
for name in defaults channels-20 frames-256k frames-1m frames-1m-profiled link-defaults \
  link-frames-1m; do
  printf '%-20s %s\n' "$name" "$(grep -m1 -E '^  1080x1920  binary' "$out/$name.txt")"
done
