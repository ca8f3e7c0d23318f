#!/usr/bin/env bash
# Installs nvJPEG 13 and the headers nvjpeg.h needs from PyPI (no GPU or CUDA
# toolkit needed) into target/nvjpeg and prints two lines: the folder holding
# libnvjpeg.so.13, then the folder holding nvjpeg.h. scripts/test.sh reads
# them into NVJPEG_LIB_DIR and NVJPEG_INCLUDE_DIR for tests/gpu/nvjpeg_abi.rs:
#   dirs="$(scripts/install-nvjpeg.sh)"
#   { read -r NVJPEG_LIB_DIR; read -r NVJPEG_INCLUDE_DIR; } <<<"$dirs"
#   export NVJPEG_LIB_DIR NVJPEG_INCLUDE_DIR
#   cargo test --release --test gpu nvjpeg_abi:: -- --include-ignored
# nvidia-nvjpeg ships the library and nvjpeg.h; nvjpeg.h includes
# cuda_runtime_api.h and library_types.h (from nvidia-cuda-runtime), which
# include crt/host_defines.h (from nvidia-cuda-crt). All three unpack into
# nvidia/cu13/{lib,include}; about 6 MB are downloaded, once. Override the
# versions with NVJPEG_PIP_SPEC and CUDA_RUNTIME_PIP_SPEC / CUDA_CRT_PIP_SPEC.
set -euo pipefail
cd "$(dirname "$0")/.."
nvjpeg_spec="${NVJPEG_PIP_SPEC:-nvidia-nvjpeg==13.*}"
runtime_spec="${CUDA_RUNTIME_PIP_SPEC:-nvidia-cuda-runtime==13.0.*}"
crt_spec="${CUDA_CRT_PIP_SPEC:-nvidia-cuda-crt==13.0.*}"
dest="target/nvjpeg"
wheel_root="$dest/nvidia/cu13"
complete() {
    [ -e "$wheel_root/lib/libnvjpeg.so.13" ] &&
        [ -e "$wheel_root/include/nvjpeg.h" ] &&
        [ -e "$wheel_root/include/cuda_runtime_api.h" ] &&
        [ -e "$wheel_root/include/crt/host_defines.h" ]
}
if ! complete; then
    # All three in one fresh folder, then moved into place: pip --target
    # will not merge into an existing nvidia/ folder.
    rm -rf "$dest.partial"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
        --target "$dest.partial" "$nvjpeg_spec" "$runtime_spec" "$crt_spec" >&2
    rm -rf "$dest"
    mv "$dest.partial" "$dest"
fi
if ! complete; then
    echo "install-nvjpeg.sh: installed $nvjpeg_spec $runtime_spec $crt_spec but $wheel_root lacks libnvjpeg.so.13, nvjpeg.h, cuda_runtime_api.h or crt/host_defines.h" >&2
    exit 1
fi
(cd "$wheel_root/lib" && pwd)
(cd "$wheel_root/include" && pwd)
