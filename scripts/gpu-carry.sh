#!/usr/bin/env bash
# Prepares what a GPU machine without a Rust toolchain needs to run
# scripts/gpu-check.sh: the release imgwire and the GPU test binary, built
# here and stripped of their debug line tables (about 14 MB each instead of
# about 90 MB, so both fit a 64 MiB carry), in target/gpu-carry/:
#   scripts/gpu-carry.sh
# then, on the GPU machine, from the repository root:
#   GPU_TEST_BIN=target/gpu-carry/gpu-tests \
#     scripts/gpu-check.sh target/gpu-carry/imgwire OUTDIR
# Stripping keeps every symbol the binaries need to run; only flamegraphs
# taken there lose their file and line names.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
test_bin="$(cargo test --release --no-run --test gpu --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)"
[ -x "$test_bin" ] || { echo "gpu-carry: no GPU test binary was built" >&2; exit 1; }
out=target/gpu-carry
mkdir -p "$out"
strip --strip-debug -o "$out/imgwire" target/release/imgwire
strip --strip-debug -o "$out/gpu-tests" "$test_bin"
du -ch "$out"/imgwire "$out"/gpu-tests | tail -n 1 | sed 's/total/in target\/gpu-carry (carry that folder)/'
