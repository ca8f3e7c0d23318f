#!/usr/bin/env bash
# The README's test command: installs what the build needs, then runs every
# test (unit and integration, real servers on 127.0.0.1:0) in the release
# profile, which shares its build with scripts/bench.sh. Installs NVRTC from
# PyPI (no GPU needed) so the CUDA kernels are compiled to PTX too.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# NVRTC from PyPI lets tests/gpu.rs compile kernels/*.cu to PTX without a GPU.
if NVRTC_LIB_DIR="$(./scripts/install-nvrtc.sh)"; then
  export NVRTC_LIB_DIR
else
  echo "test.sh: NVRTC could not be installed; the PTX test will fail and say why" >&2
fi
# --no-fail-fast: one run reports every failing test binary, not the first.
cargo test --release --all-targets --no-fail-fast "$@"
