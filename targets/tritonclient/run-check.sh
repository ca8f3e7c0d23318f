#!/usr/bin/env bash
# Makes the tritonclient venv (Debian's python3.11, pinned requirements,
# under $IMGWIRE_TARGETS_CACHE/venvs/tritonclient, reused while
# requirements.txt is unchanged) and has NVIDIA's tritonclient call a running
# KServe v2 server (`imgwire serve`) with check.py: HTTP JSON and binary,
# gRPC, readiness, metadata and statistics. Exits non-zero on a failed check.
# Usage: targets/tritonclient/run-check.sh HTTP_URL GRPC_URL JPEG HEIGHT WIDTH [MODEL]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../common.sh"
[ $# -ge 5 ] && [ $# -le 6 ] || {
  echo "usage: $0 HTTP_URL GRPC_URL JPEG HEIGHT WIDTH [MODEL]" >&2
  exit 2
}
VENV="$(make_venv tritonclient "$HERE/requirements.txt")"
exec "$VENV/bin/python" "$HERE/check.py" "$@"
