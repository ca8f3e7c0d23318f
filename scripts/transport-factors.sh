#!/usr/bin/env bash
# The measurements behind "why is gRPC slower for big images, and
# what fixes it", in one call: binary payloads with --server-decoder none so
# only the transport differs, on loopback and on an emulated 1 Gbit/s, 2 ms
# link, with tonic's default HTTP/2 settings and tuned ones; then wire bytes
# for every payload x protocol at 1080x1920, and a compression sweep.
# Each run's table goes to OUTDIR/NAME.txt and its JSON to OUTDIR/NAME.json.
# Usage: scripts/transport-factors.sh [OUTDIR] [BURSTS]   (needs a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-transport-factors}; bursts=${2:-10}
mkdir -p "$out"
bin=./target/release/imgwire
./scripts/setup.sh
cargo build --release --quiet
tuned=(--h2-stream-window 4194304 --h2-connection-window 67108864 --h2-max-frame 1048576)
protocols=(--protocols rest,rest-h2,grpc,tcp)
run() { # NAME FLAGS...
  local name=$1; shift
  echo "== $name: imgwire bench $*" | tee "$out/$name.txt"
  "$bin" bench --brief --bursts "$bursts" --json "$out/$name.json" "$@" 2>/dev/null | tee -a "$out/$name.txt"
}
binary=(--payloads binary --server-decoder none "${protocols[@]}")
run loopback-default "${binary[@]}"
run loopback-tuned "${binary[@]}" "${tuned[@]}"
run loopback-tuned-20-channels "${binary[@]}" "${tuned[@]}" --grpc-channels 20
run link-default "${binary[@]}" --link bw=1gbit,rtt=2ms
run link-tuned "${binary[@]}" "${tuned[@]}" --link bw=1gbit,rtt=2ms
run wire-bytes-1080 --sizes 1080x1920 --server-decoder none "${protocols[@]}"
run compression-sweep --sizes 1080x1920 --payloads binary --server-decoder none \
  --protocols rest,grpc --encoder none --content smooth --sweep compression
run compression-sweep-link --sizes 1080x1920 --payloads binary --server-decoder none \
  --protocols rest,grpc --encoder none --content smooth --sweep compression --link bw=1gbit,rtt=2ms
