//! The GPU path, as one binary: CUDA's clear errors and NVRTC's PTX
//! (tests/gpu/gpu.rs; the PTX test needs `NVRTC_LIB_DIR`, which
//! scripts/test.sh sets; the tests that run kernels are ignored without an
//! NVIDIA GPU), and the hand-declared nvJPEG API checked against nvJPEG's
//! header (`cargo test --release --test gpu -- --ignored nvjpeg_abi::`
//! after scripts/install-nvjpeg.sh, as scripts/test.sh does).

#[path = "../common/mod.rs"]
mod common;

mod gpu;
mod live;
mod nvjpeg_abi;
