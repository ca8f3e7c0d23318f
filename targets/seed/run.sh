#!/usr/bin/env bash
# Starts the seed post's servers on 127.0.0.1: FastAPI/uvicorn REST on
# PORT_REST and grpcio on PORT_GRPC, in a venv made on first use, and waits
# until both answer. Running it again restarts them. Stop: targets/seed/stop.sh
# Usage: [SEED_ANSWER=variant] targets/seed/run.sh PORT_REST PORT_GRPC
# (SEED_ANSWER=variant: another answer of the post's types; targets/seed/answer.py)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../common.sh"
[ $# -eq 2 ] || { echo "usage: $0 PORT_REST PORT_GRPC" >&2; exit 2; }
REST_PORT="$1" GRPC_PORT="$2"

VENV="$(make_venv seed "$HERE/requirements.txt")"
GEN_DIR="$TARGETS_CACHE/gen/seed"
"$HERE/stop.sh"
started=$SECONDS
start_bg "$RUN_DIR/seed-rest.pid" "$LOG_DIR/seed-rest.log" \
  "$VENV/bin/python" "$HERE/rest_server.py" "$REST_PORT"
start_bg "$RUN_DIR/seed-grpc.pid" "$LOG_DIR/seed-grpc.log" \
  "$VENV/bin/python" "$HERE/grpc_server.py" "$GRPC_PORT" "$GEN_DIR"

rest_ready() {
  curl -sf -o /dev/null --max-time 2 -H 'Content-Type: application/json' \
    -d '{"field1":"a","field2":"b","field3":1,"field4":{}}' "http://127.0.0.1:$REST_PORT/basic"
}
grpc_ready() { (cd "$HERE" && "$VENV/bin/python" client.py ping-grpc "$GRPC_PORT" "$GEN_DIR"); }
wait_until 60 "$RUN_DIR/seed-rest.pid" "$LOG_DIR/seed-rest.log" rest_ready
wait_until 60 "$RUN_DIR/seed-grpc.pid" "$LOG_DIR/seed-grpc.log" grpc_ready
log "seed ready in $((SECONDS - started)) s: REST http://127.0.0.1:$REST_PORT (/basic /base64 /binary), gRPC 127.0.0.1:$GRPC_PORT (ai.statsbomb.com.GrpcBenchmarkApiService)"
