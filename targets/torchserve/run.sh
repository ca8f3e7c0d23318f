#!/usr/bin/env bash
# Starts TorchServe 0.12 on 127.0.0.1 with the model `decode` (a Pillow
# handler: JPEG in, {"height","width"} out, one worker) and the models
# `top5`, `text` and `raw` (variant_handler.py: a classifier's top-5 JSON,
# plain text, raw bytes; one worker each), in a venv of
# Debian's python3.11 made on first use (Java 17 from Debian), and waits for
# GET /ping to answer Healthy. Running it again restarts it.
# Stop: targets/torchserve/stop.sh
# Usage: targets/torchserve/run.sh INFERENCE_PORT GRPC_PORT METRICS_PORT [MANAGEMENT_PORT]
# (MANAGEMENT_PORT defaults to METRICS_PORT + 1; gRPC management to GRPC_PORT + 1.)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../common.sh"
[ $# -ge 3 ] && [ $# -le 4 ] || { echo "usage: $0 INFERENCE_PORT GRPC_PORT METRICS_PORT [MANAGEMENT_PORT]" >&2; exit 2; }
INFERENCE_PORT="$1" GRPC_PORT="$2" METRICS_PORT="$3" MANAGEMENT_PORT="${4:-$(($3 + 1))}"

ensure_debs openjdk-17-jre-headless
VENV="$(make_venv torchserve "$HERE/requirements.txt")"
"$HERE/stop.sh"

WORK="$TARGETS_CACHE/torchserve"
MODEL_STORE="$WORK/model-store"
mkdir -p "$MODEL_STORE" "$LOG_DIR/torchserve"
MODELS="decode top5 text raw"
log "torchserve: archiving the models ($MODELS) into $MODEL_STORE"
"$VENV/bin/torch-model-archiver" --model-name decode --version 1.0 \
  --handler "$HERE/handler.py" --export-path "$MODEL_STORE" --force
for model in top5 text raw; do
  "$VENV/bin/torch-model-archiver" --model-name "$model" --version 1.0 \
    --handler "$HERE/variant_handler.py" --export-path "$MODEL_STORE" --force
done

sed -e "s|@INFERENCE_PORT@|$INFERENCE_PORT|" -e "s|@MANAGEMENT_PORT@|$MANAGEMENT_PORT|" \
    -e "s|@METRICS_PORT@|$METRICS_PORT|" -e "s|@GRPC_PORT@|$GRPC_PORT|" \
    -e "s|@GRPC_MANAGEMENT_PORT@|$((GRPC_PORT + 1))|" -e "s|@MODEL_STORE@|$MODEL_STORE|" \
    -e "s|@PYTHON@|$VENV/bin/python|" "$HERE/config.properties.in" >"$WORK/config.properties"

started=$SECONDS
# The worker finds the torch stand-in first on its path (see torch_stand_in/);
# TorchServe's own logs go to $LOG_DIR/torchserve.
cd "$WORK"
TS_OPEN_INFERENCE_PROTOCOL="${TS_OPEN_INFERENCE_PROTOCOL:-oip}" PYTHONPATH="$HERE/torch_stand_in" LOG_LOCATION="$LOG_DIR/torchserve" METRICS_LOCATION="$LOG_DIR/torchserve" \
  start_bg "$RUN_DIR/torchserve.pid" "$LOG_DIR/torchserve.log" \
  "$VENV/bin/torchserve" --start --foreground --ncs --ts-config "$WORK/config.properties"
# /ping answers Healthy even while the model's worker fails and retries, so
# readiness also needs a READY worker in the management API's description.
healthy() { curl -sf --max-time 2 "http://127.0.0.1:$INFERENCE_PORT/ping" | grep -q Healthy; }
worker_ready() { curl -sf --max-time 2 "http://127.0.0.1:$MANAGEMENT_PORT/models/$1" | grep -q '"status": "READY"'; }
wait_until 180 "$RUN_DIR/torchserve.pid" "$LOG_DIR/torchserve.log" healthy
for model in $MODELS; do
  wait_until 120 "$RUN_DIR/torchserve.pid" "$LOG_DIR/torchserve.log" worker_ready "$model"
done
# The gRPC port opens only after the model has loaded, later than /ping.
grpc_open() { (exec 3<>"/dev/tcp/127.0.0.1/$GRPC_PORT") 2>/dev/null; }
wait_until 60 "$RUN_DIR/torchserve.pid" "$LOG_DIR/torchserve.log" grpc_open
log "torchserve ready in $((SECONDS - started)) s: REST http://127.0.0.1:$INFERENCE_PORT/predictions/{decode,top5,text,raw}, gRPC 127.0.0.1:$GRPC_PORT, metrics http://127.0.0.1:$METRICS_PORT/metrics, management :$MANAGEMENT_PORT; logs in $LOG_DIR/torchserve"
