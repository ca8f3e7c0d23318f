#!/usr/bin/env bash
# Checks `imgwire encode --link`'s projection against real `imgwire bench
# --link` runs: raw frames (--encoder none) and turbojpeg at one quality,
# over each link, through the built-in server (REST, binary body, one
# request at a time). bench encodes its frames before the bursts, so what
# it measures per request is transfer + rtt + the server's decode (plus the
# request's headers, HTTP and the relay, which the projection leaves out);
# that part of the projection is set against bench's median request, and
# the whole frame (encode + request) against bench's encode stage plus its
# median request. Prints one line per point and the difference in percent.
# Usage: scripts/encode-vs-link.sh [OUTDIR] [IMGWIRE]
#   SIZE (1080x1920), QUALITY (90), CONTENT (natural), BURSTS (10) and
#   LINKS ("bw=100mbit,rtt=0ms bw=1gbit,rtt=0ms") change the points.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-encode-vs-link}; bin=${2:-./target/release/imgwire}
size=${SIZE:-1080x1920}; quality=${QUALITY:-90}; content=${CONTENT:-natural}
bursts=${BURSTS:-10}; links=${LINKS:-"bw=100mbit,rtt=0ms bw=1gbit,rtt=0ms"}
mkdir -p "$out"
command -v jq >/dev/null || { echo "needs jq (apt-get install -y jq)" >&2; exit 1; }
[ -x "$bin" ] || cargo build --release --quiet
shared=(--sizes "$size" --quality "$quality" --subsampling 420 --content "$content" --seed 1)
link_flags=()
for link in $links; do link_flags+=(--link "$link"); done
"$bin" encode --encoders none,turbojpeg --threads 1 --frames 20 --server-decoder turbojpeg \
  "${shared[@]}" "${link_flags[@]}" --export-json "$out/encode.json" > "$out/encode.txt"
printf '%-9s %-22s %12s %12s %7s %12s %12s %7s\n' encoder link "proj req ms" "bench p50" diff \
  "proj frame" "bench frame" diff
i=0
for link in $links; do
  i=$((i + 1))
  for encoder in none turbojpeg; do
    json="$out/bench-$encoder-$i.json"
    "$bin" bench --payloads binary --protocols rest --encoder "$encoder" "${shared[@]}" \
      --link "$link" --concurrency 1 --bursts "$bursts" --warmup 1 --no-color \
      --json "$json" > "$out/bench-$encoder-$i.txt" 2>&1
    bps=$(jq ".scenarios[0].bytes | .image_bytes" "$json")
    wall=$(jq '.scenarios[0].latency.uncorrected.p50_ns' "$json")
    bench_encode=$(jq '.scenarios[0].stages.encode.mean_ns' "$json")
    cost=$(jq --arg e "$encoder" --argjson n "$i" \
      '[.link_costs[] | select(.encoder == $e)][$n - 1]' "$out/encode.json")
    request=$(jq '.transfer_ns + .rtt_ns + .decode_ns' <<<"$cost")
    frame=$(jq '.end_to_end_ns' <<<"$cost")
    python3 - "$encoder" "$link" "$request" "$wall" "$frame" "$bench_encode" "$bps" <<'PY'
import sys
encoder, link, request, wall, frame, encode, image_bytes = sys.argv[1:]
request, wall, frame, encode = (float(x) / 1e6 for x in (request, wall, frame, encode))
measured_frame = encode + wall
print(f"{encoder:<9} {link:<22} {request:12.3f} {wall:12.3f} {100 * (wall / request - 1):+6.1f}% "
      f"{frame:12.3f} {measured_frame:12.3f} {100 * (measured_frame / frame - 1):+6.1f}%"
      f"   ({int(float(image_bytes))} bytes)")
PY
  done
done
echo "projection: $(jq -r .settings.link_model "$out/encode.json")"
echo "files: $out/ (encode.txt holds the crossover table)"
