//! The real foreign targets, as one binary: the seed post's FastAPI and
//! grpcio servers, Triton and TorchServe. Their tests that start a real
//! server are ignored in a plain `cargo test` (they need Python, Java and
//! the venvs targets/*/run.sh make); scripts/test.sh runs each target's on
//! its own, `cargo test --release --test targets -- --ignored seed_target::`
//! and likewise `kserve_target::`, `torchserve_target::`; `scale_out::`
//! runs shards under a real one-node Slurm, checks the Kubernetes manifests
//! and the container image (after scripts/install-scale-out.sh). The rest
//! (refusals, plans, answers of small stand-ins) runs everywhere.

#[path = "../common/mod.rs"]
mod common;
#[path = "../variant_servers/mod.rs"]
mod variant_servers;

mod kserve_target;
mod scale_out;
mod seed_target;
mod torchserve_target;
