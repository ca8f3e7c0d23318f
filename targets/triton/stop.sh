#!/usr/bin/env bash
# Stops the Triton server started by run.sh (PID file under the cache dir;
# SIGINT, as PyTriton asks, so it stops its tritonserver and removes its
# workspace under ~/.cache/pytriton; then whatever is left of the group).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/../common.sh"
stop_pidfile "$RUN_DIR/triton.pid" INT
