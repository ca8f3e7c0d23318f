#!/usr/bin/env bash
# The README's test command: installs what the build needs, then runs every
# test (unit and integration, real servers on 127.0.0.1:0) in the release
# profile, which shares its build with scripts/bench.sh. Installs NVRTC from
# PyPI (no GPU needed) so the CUDA kernels are compiled to PTX too, and
# nvJPEG with its headers so our nvJPEG declarations are checked against them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# NVRTC from PyPI lets tests/gpu.rs compile kernels/*.cu to PTX without a GPU.
if NVRTC_LIB_DIR="$(./scripts/install-nvrtc.sh)"; then
  export NVRTC_LIB_DIR
else
  echo "test.sh: NVRTC could not be installed; the PTX test will fail and say why" >&2
fi
# nvJPEG and nvjpeg.h from PyPI let tests/nvjpeg_abi.rs check the hand-declared
# nvJPEG API against them without a GPU. That test is ignored in a bare
# `cargo test` (it needs these wheels), so it is run on its own below.
if nvjpeg_dirs="$(./scripts/install-nvjpeg.sh)"; then
  { read -r NVJPEG_LIB_DIR; read -r NVJPEG_INCLUDE_DIR; } <<<"$nvjpeg_dirs"
  export NVJPEG_LIB_DIR NVJPEG_INCLUDE_DIR
else
  echo "test.sh: nvJPEG could not be installed; the nvJPEG ABI test will fail and say why" >&2
fi
# Headless Chromium lets tests/html_report.rs open the --html report and count
# its charts; that test fails, saying to run scripts/install-chromium.sh, without it.
if CHROMIUM="$(./scripts/install-chromium.sh)"; then
  export CHROMIUM
else
  echo "test.sh: Chromium could not be installed; the HTML report test will fail and say why" >&2
fi
# --no-fail-fast: one run reports every failing test binary, not the first;
# the ABI test runs even when the suite failed, and either fails the script.
status=0
cargo test --release --all-targets --no-fail-fast "$@" || status=$?
cargo test --release --test nvjpeg_abi -- --include-ignored || status=$?
exit "$status"
