#!/usr/bin/env bash
# Peak RSS of `imgwire bench` (client and built-in servers in one process).
# The acceptance check is the whole run, every payload, under 256 MB:
#   /usr/bin/time -v imgwire bench --sizes 1080x1920 -c 20
# This runs that command once per payload alone, then once with them all,
# and prints the "Maximum resident set size" of each in MB (1 MB =
# 1,000,000 bytes; time -v reports KiB) beside each scenario's mean s/burst,
# so that a memory change is seen with its speed. Not part of CI: figures
# depend on the machine (the built-in servers run a thread per core).
# Usage: scripts/peak-rss.sh [extra bench flags...]
#   On a heavily loaded machine add --idle-timeout-s 600, or the TCP floor's
#   connections can idle out between scenarios (docs/design.md, "Memory").
#   SIZES=1080x1920 CONCURRENCY=20 REPEAT=1 BIN=path/to/imgwire
#   LIMIT_MB=256: exits 1 if an all-payload run peaks at or over it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "peak-rss: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
sizes=${SIZES:-1080x1920}
concurrency=${CONCURRENCY:-20}
repeat=${REPEAT:-1}
limit=${LIMIT_MB:-256}
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/imgwire}
[ -n "${BIN:-}" ] || cargo build --release --quiet
out=$(mktemp -d -t imgwire-rss.XXXXXX)
trap 'rm -rf "$out"' EXIT

# Runs one bench; prints "<label> <peak> MB  s/burst: <payload/protocol mean>...".
measure() {
  local label=$1
  shift
  /usr/bin/time -v "$bin" bench --sizes "$sizes" -c "$concurrency" --brief --no-color \
    --export-json "$out/run.json" "$@" >"$out/stdout" 2>"$out/time" ||
    { cat "$out/stdout" "$out/time" >&2; exit 1; }
  local kib
  kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time")
  python3 -c '
import json, sys
label, kib, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
scenarios = json.load(open(path))["scenarios"]
means = []
for s in scenarios:
    payload, protocol, mean = s["payload"], s["protocol"], s["burst"]["mean_ns"] / 1e9
    means.append(f"{payload}/{protocol} {mean:.4f}")
print(f"{label:<7} {kib * 1024 / 1e6:6.1f} MB   s/burst: {chr(44).join(means)}")
' "$label" "$kib" "$out/run.json"
}

echo "peak RSS of: imgwire bench --sizes $sizes -c $concurrency $*"
for _ in $(seq "$repeat"); do
  for payload in basic b64 binary; do
    measure "$payload" --payloads "$payload" "$@"
  done
  measure all "$@"
done | tee "$out/lines"
worst=$(awk '$1 == "all" {print $2}' "$out/lines" | sort -n | tail -1)
if awk -v worst="$worst" -v limit="$limit" 'BEGIN {exit !(worst >= limit)}'; then
  echo "peak-rss: an all-payload run peaked at $worst MB, at or over LIMIT_MB=$limit" >&2
  exit 1
fi
