#!/usr/bin/env bash
# Stops the seed servers started by run.sh (PID files under the cache dir).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/../common.sh"
stop_pidfile "$RUN_DIR/seed-rest.pid"
stop_pidfile "$RUN_DIR/seed-grpc.pid"
