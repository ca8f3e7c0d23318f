#!/usr/bin/env bash
# Starts each real server in turn (seed, triton, torchserve), sends it a real
# 1080x1920 noise JPEG every way the Rust client will, checks the answers,
# records memory (RSS of the server's processes) and stops it.
# Prints "N passed, N failed" last; exits non-zero when any failed.
# Usage: targets/smoke.sh [OUTDIR]   (proof transcripts; default: the cache dir)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/common.sh"
OUT="${1:-$TARGETS_CACHE/smoke}"
mkdir -p "$OUT"
log "smoke: transcripts in $OUT"
passed=0 failed=0

rss_mib() {  # total RSS (MiB) of the process group the PID file names
  ps -o rss= -g "$(cat "$1")" | awk '{s += $1} END {printf "%.0f", s / 1024}'
}
check() {  # check NAME FILE PATTERN: count a pass when FILE has PATTERN
  if grep -q -- "$3" "$2"; then
    passed=$((passed + 1)); log "PASS $1"
  else
    failed=$((failed + 1)); log "FAIL $1 (no '$3' in $2)"
  fi
}
timed() {  # timed NAME CMD...: runs CMD, logs its wall time
  local started=$SECONDS
  "$@"
  log "$1 took $((SECONDS - started)) s"
}

JPEG="$OUT/noise-1080x1920.jpg"
timed "$HERE/seed/run.sh" 18180 18181
SEED_PY="$VENVS_DIR/seed/bin/python"
"$SEED_PY" "$HERE/make_jpeg.py" 1920 1080 "$JPEG" >&2
(cd "$HERE/seed" && "$SEED_PY" client.py prove 18180 18181 "$TARGETS_CACHE/gen/seed" "$JPEG") >"$OUT/seed.txt" 2>&1 || true
log "seed RSS $(rss_mib "$RUN_DIR/seed-rest.pid") MiB (REST) + $(rss_mib "$RUN_DIR/seed-grpc.pid") MiB (gRPC)"
"$HERE/seed/stop.sh"
check "seed: 3 REST routes and 3 gRPC methods answer 100 floats" "$OUT/seed.txt" "gRPC BenchmarkBinaryImage -> OK prediction1: 100 floats"

timed "$HERE/triton/run.sh" 18100 18101 18102
"$VENVS_DIR/triton/bin/python" "$HERE/triton/prove.py" 18100 18101 "$JPEG" >"$OUT/triton.txt" 2>&1 || true
log "triton RSS $(rss_mib "$RUN_DIR/triton.pid") MiB"
"$HERE/triton/stop.sh"
check "triton: tritonclient gRPC decodes [1080, 1920]" "$OUT/triton.txt" "tritonclient gRPC (raw_input_contents): size=\[1080, 1920\]"
check "triton: statistics count the requests" "$OUT/triton.txt" '"inference_count":[1-9]'

timed "$HERE/torchserve/run.sh" 18280 18270 18282
TS_PY="$VENVS_DIR/torchserve/bin/python"
curl -s -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$JPEG" \
  http://127.0.0.1:18280/predictions/decode >"$OUT/torchserve-rest.txt" 2>&1 || true
"$TS_PY" "$HERE/torchserve/prove_grpc.py" 18270 "$TARGETS_CACHE/gen/torchserve" "$JPEG" >"$OUT/torchserve-grpc.txt" 2>&1 || true
curl -s http://127.0.0.1:18282/metrics >"$OUT/torchserve-metrics.txt" 2>&1 || true
log "torchserve RSS $(rss_mib "$RUN_DIR/torchserve.pid") MiB"
"$HERE/torchserve/stop.sh"
check "torchserve: REST binary decodes 1080x1920" "$OUT/torchserve-rest.txt" '{"height": 1080, "width": 1920}'
check "torchserve: gRPC Predictions decodes 1080x1920" "$OUT/torchserve-grpc.txt" 'prediction: {"height": 1080, "width": 1920}'
check "torchserve: metrics count requests" "$OUT/torchserve-metrics.txt" '^ts_inference_requests_total{model_name="decode"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
