#!/usr/bin/env bash
# Checks `imgwire encode --link`'s projection against real `imgwire bench
# --link` runs: raw frames (--encoder none) and turbojpeg at one quality,
# over each link, through the built-in server (REST, binary body, one
# request at a time). bench encodes its frames before the bursts, so what
# it measures per request is transfer + rtt + the server's decode (plus the
# request's headers, HTTP and the relay, which the projection leaves out);
# that part of the projection is set against bench's median request (the
# encode is left out of the check: bench times one cold encode of its one
# frame, not a steady state). Prints one line per point, the difference in
# percent, and which encoder each run found cheaper at each link.
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
points="$out/points.tsv"
: > "$points"
i=0
for link in $links; do
  i=$((i + 1))
  for encoder in none turbojpeg; do
    json="$out/bench-$encoder-$i.json"
    "$bin" bench --payloads binary --protocols rest --encoder "$encoder" "${shared[@]}" \
      --link "$link" --concurrency 1 --bursts "$bursts" --warmup 1 --no-color \
      --json "$json" > "$out/bench-$encoder-$i.txt" 2>&1
    # The i-th link's cost of this encoder (link_costs: per encoder, per link).
    projected=$(ENCODER=$encoder N=$i jq '[.link_costs[] | select(.encoder == env.ENCODER)]
      | .[(env.N | tonumber) - 1] | .transfer_ns + .rtt_ns + .decode_ns' "$out/encode.json")
    measured=$(jq -r '.scenarios[0] | [.latency.uncorrected.p50_ns, .latency.uncorrected.p99_ns,
      .bytes.image_bytes] | @tsv' "$json")
    printf '%s\t%s\t%s\t%s\n' "$encoder" "$link" "$projected" "$measured" >> "$points"
  done
done
python3 - "$points" "$size" <<'PY'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
print(f"ms per request (projected: transfer + rtt + decode; bench: its median request), {sys.argv[2]}:")
print(f"{'encoder':<9} {'link':<19} {'projected':>10} {'bench p50':>10} {'diff':>7} {'kB':>9} {'bench p99':>10}")
by_link = {}
for encoder, link, projected, p50, p99, image_bytes in rows:
    projected, p50, p99 = (float(x) / 1e6 for x in (projected, p50, p99))
    by_link.setdefault(link, []).append((encoder, projected, p50))
    print(f"{encoder:<9} {link:<19} {projected:10.3f} {p50:10.3f} {100 * (p50 / projected - 1):+6.1f}% "
          f"{float(image_bytes) / 1e3:9.1f} {p99:10.3f}")
for link, points in by_link.items():
    projected = min(points, key=lambda p: p[1])[0]
    measured = min(points, key=lambda p: p[2])[0]
    print(f"cheaper request at {link}: projected {projected}, measured {measured}")
PY
echo "kB: the image's bytes per request; files in $out/ (encode.txt: the projection's tables)"
