#!/usr/bin/env bash
# Stops the TorchServe started by run.sh: SIGTERM to its process group (the
# torchserve launcher, the Java frontend and the Python worker).
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/../common.sh"
stop_pidfile "$RUN_DIR/torchserve.pid"
