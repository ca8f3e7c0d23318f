#!/usr/bin/env bash
# Starts a real Triton Inference Server (PyTriton's bundled tritonserver, on
# CPU) on 127.0.0.1 with the Python models of server.py (`decode`: JPEG in,
# [height, width] out; batching and variant models beside it), in a venv of
# Debian's python3.11 made on first use, and waits for GET /v2/health/ready
# and each model's ready route. Running it again restarts it. Stop: targets/triton/stop.sh
# Usage: targets/triton/run.sh HTTP_PORT GRPC_PORT [METRICS_PORT]
# (METRICS_PORT defaults to GRPC_PORT + 1.)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../common.sh"
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 HTTP_PORT GRPC_PORT [METRICS_PORT]" >&2; exit 2; }
HTTP_PORT="$1" GRPC_PORT="$2" METRICS_PORT="${3:-$(($2 + 1))}"

VENV="$(make_venv triton "$HERE/requirements.txt")"
"$HERE/stop.sh"
started=$SECONDS
start_bg "$RUN_DIR/triton.pid" "$LOG_DIR/triton.log" \
  "$VENV/bin/python" "$HERE/server.py" "$HTTP_PORT" "$GRPC_PORT" "$METRICS_PORT"
wait_until 180 "$RUN_DIR/triton.pid" "$LOG_DIR/triton.log" \
  http_ok "http://127.0.0.1:$HTTP_PORT/v2/health/ready"
for model in decode decode_batch decode_batch_var pixels; do
  wait_until 60 "$RUN_DIR/triton.pid" "$LOG_DIR/triton.log" \
    http_ok "http://127.0.0.1:$HTTP_PORT/v2/models/$model/ready"
done
log "triton ready in $((SECONDS - started)) s: HTTP http://127.0.0.1:$HTTP_PORT, gRPC 127.0.0.1:$GRPC_PORT, metrics :$METRICS_PORT, models decode, decode_batch, decode_batch_var, pixels"
