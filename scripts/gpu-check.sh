#!/usr/bin/env bash
# GPU checks on an NVIDIA machine, from prebuilt binaries (builds nothing):
#   scripts/gpu-check.sh BINARY OUTDIR
# BINARY is a built imgwire (e.g. target/release/imgwire). The GPU integration
# tests run too if their binary is found: $GPU_TEST_BIN, or the newest
# deps/gpu-* beside BINARY (from `cargo test --release --no-run --test gpu`).
# Set NVRTC_LIB_DIR (scripts/install-nvrtc.sh prints one) and NVJPEG_LIB_DIR
# if those libraries are not on the loader's path. Every step runs even if
# one before it failed; each step's output is in OUTDIR/<step>.log and
# OUTDIR/summary.txt lists each step's exit status.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 BINARY OUTDIR" >&2
    exit 2
fi
bin="$1"
out="$2"
if [ ! -x "$bin" ]; then
    echo "$0: '$bin' is not an executable imgwire" >&2
    exit 2
fi
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
failed=0

# step NAME COMMAND...: runs COMMAND, tees its output to OUTDIR/NAME.log.
step() {
    local name="$1"
    shift
    echo "== $name: $*" | tee "$out/$name.log"
    "$@" 2>&1 | tee -a "$out/$name.log"
    local rc="${PIPESTATUS[0]}"
    echo "$name: exit $rc" | tee -a "$summary"
    [ "$rc" -eq 0 ] || failed=1
}

step nvidia-smi nvidia-smi
step env sh -c 'uname -a; echo "NVRTC_LIB_DIR=${NVRTC_LIB_DIR:-}"; echo "NVJPEG_LIB_DIR=${NVJPEG_LIB_DIR:-}"; echo "PYTHONPATH=${PYTHONPATH:-}"'

test_bin="${GPU_TEST_BIN:-}"
if [ -z "$test_bin" ]; then
    test_bin="$(ls -t "$(dirname "$bin")"/deps/gpu-* 2>/dev/null | grep -v '\.d$' | head -n 1 || true)"
fi
if [ -n "$test_bin" ] && [ -x "$test_bin" ]; then
    # --include-ignored runs the tests marked "needs an NVIDIA GPU and driver";
    # the filters keep to tests/gpu/gpu.rs and live.rs (the binary holds
    # nvjpeg_abi:: too); live.rs runs the imgwire at IMGWIRE_BIN.
    IMGWIRE_BIN="$bin" step gpu-tests "$test_bin" gpu:: live:: --include-ignored --nocapture \
        --test-threads=1
else
    echo "gpu-tests: skipped (no test binary; set GPU_TEST_BIN)" | tee -a "$summary"
fi

# Every encoder side by side (CPU threads, nvJPEG from host and device
# memory, streams as threads), natural content, q90 4:2:0.
step encode-compare "$bin" encode --sizes 1080x1920 --content natural --quality 90 \
    --subsampling 420 --encoders turbojpeg,image-rs,nvjpeg,nvjpeg-device \
    --json "$out/encode-compare.json" --csv "$out/encode-compare.csv"

common=(bench --sizes 1080x1920 --payloads binary --content natural --bursts 5 --brief)
for encoder in turbojpeg nvjpeg; do
    step "encode-$encoder" "$bin" "${common[@]}" --encoder "$encoder" \
        --json "$out/encode-$encoder.json"
done

step bench-nvjpeg "$bin" bench --encoder nvjpeg --sizes 1080x1920 --payloads binary \
    --json "$out/bench-nvjpeg.json" --csv "$out/bench-nvjpeg.csv"

# The built-in servers decoding with nvJPEG, and frames made by the kernels.
step decode-nvjpeg "$bin" "${common[@]}" --server-decoder nvjpeg \
    --json "$out/decode-nvjpeg.json"
step frames-on-gpu "$bin" "${common[@]}" --frames-on gpu \
    --json "$out/frames-on-gpu.json"

# The live pipeline: each request's frame encoded at send time by two
# encoder threads, nvJPEG (a CUDA stream each) against turbojpeg, at a
# concurrency where the encoder competes with sending (issue 25).
for encoder in turbojpeg nvjpeg; do
    step "live-$encoder" "$bin" bench --sizes 1080x1920 --payloads binary \
        --content natural --concurrency 8 --bursts 5 --encode live --encode-threads 2 \
        --encoder "$encoder" --json "$out/live-$encoder.json"
done

# The same live pipeline with frames drawn on the GPU (each encoder
# thread's own CUDA stream), then the camera capacity: the most 1080p
# cameras at 30 fps each encoder keeps up with (issue 25).
for encoder in turbojpeg nvjpeg; do
    step "live-gpu-frames-$encoder" "$bin" bench --sizes 1080x1920 --payloads binary \
        --content natural --concurrency 8 --bursts 5 --encode live --encode-threads 2 \
        --frames-on gpu --encoder "$encoder" --json "$out/live-gpu-frames-$encoder.json"
done
step cameras "$bin" bench --sizes 1080x1920 --payloads binary --protocols rest \
    --content natural --streams 2,4,8,16,32 --fps 30 --encoder turbojpeg,nvjpeg \
    --quality 90 --slo-ms 100 --duration 5 --json "$out/cameras.json" \
    --html "$out/cameras.html"

echo "results in $out (summary: $summary)"
exit "$failed"
