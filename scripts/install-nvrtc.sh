#!/usr/bin/env bash
# Installs NVRTC from PyPI (the nvidia-cuda-nvrtc wheel; no GPU or CUDA
# toolkit needed) into target/nvrtc and prints its lib folder, for
#   NVRTC_LIB_DIR="$(scripts/install-nvrtc.sh)" cargo test --test gpu
# The version is pinned to CUDA 13.0 by default: NVRTC 13.x writes PTX that
# only drivers of the same minor version or newer can load, so the oldest
# 13.x runs on every CUDA 13 driver. Override with NVRTC_PIP_SPEC.
set -euo pipefail
cd "$(dirname "$0")/.."
spec="${NVRTC_PIP_SPEC:-nvidia-cuda-nvrtc==13.0.*}"
dest="target/nvrtc"
find_lib() {
    find "$dest/nvidia" -name 'libnvrtc.so.1[0-9]*' -not -name '*builtins*' 2>/dev/null | head -n 1
}
if [ -z "$(find_lib)" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$dest" "$spec" >&2
fi
lib="$(find_lib)"
if [ -z "$lib" ]; then
    echo "install-nvrtc.sh: $spec installed but no libnvrtc.so.* found under $dest" >&2
    exit 1
fi
(cd "$(dirname "$lib")" && pwd)
