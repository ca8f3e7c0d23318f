#!/usr/bin/env bash
# The README's test command: every test CI runs (.ci/run adds only formatting,
# lints and, as root, the network-namespace tests of tests/serial/tc.rs). In the
# release profile, which shares its build with scripts/bench.sh:
#   1. every unit and integration test (real servers on 127.0.0.1:0);
#   2. the tests ignored in a bare `cargo test` because they need something
#      installed first, installed here: the nvJPEG ABI check (nvJPEG and its
#      headers from PyPI), the photographs test (scripts/fetch-photos.sh), and
#      the real targets: the seed post's FastAPI and grpcio servers, Triton,
#      TorchServe, and NVIDIA's tritonclient against `imgwire serve`
#      (targets/*/run.sh make their venvs, reused from $IMGWIRE_TARGETS_CACHE,
#      default target/targets); and scale-out (scripts/install-scale-out.sh:
#      a one-node Slurm running shards, the Kubernetes manifests against the
#      schemas, the container image in a chroot; needs root); live metrics
#      (Debian's prometheus scraping a bench) and the OTLP export (read by
#      PyPI's opentelemetry-proto).
# GPU tests (tests/gpu/gpu.rs) stay ignored: they need an NVIDIA GPU.
# The tests are four binaries (Cargo.toml's [[test]]: it, serial, targets,
# gpu); part 2 picks one file's ignored tests by its module name.
#
#   scripts/test.sh [--quick] [ARGS for step 1's cargo test...]
# --quick leaves out the real targets and the photographs (part 2 but the
# nvJPEG ABI check): what needs no Python venv, no Java and no download
# beyond the build's own. Every step runs even when one failed; the script
# fails if any did, and ends with each step's result and time.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
if [ "${1:-}" = "--quick" ]; then
  quick=true
  shift
fi
./scripts/setup.sh
# NVRTC from PyPI lets tests/gpu/gpu.rs compile kernels/*.cu to PTX without a GPU.
if NVRTC_LIB_DIR="$(./scripts/install-nvrtc.sh)"; then
  export NVRTC_LIB_DIR
else
  echo "test.sh: NVRTC could not be installed; the PTX test will fail and say why" >&2
fi
# nvJPEG and nvjpeg.h from PyPI let tests/gpu/nvjpeg_abi.rs check the hand-declared
# nvJPEG API against them without a GPU.
if nvjpeg_dirs="$(./scripts/install-nvjpeg.sh)"; then
  { read -r NVJPEG_LIB_DIR; read -r NVJPEG_INCLUDE_DIR; } <<<"$nvjpeg_dirs"
  export NVJPEG_LIB_DIR NVJPEG_INCLUDE_DIR
else
  echo "test.sh: nvJPEG could not be installed; the nvJPEG ABI test will fail and say why" >&2
fi
# Headless Chromium lets tests/it/html_report.rs open the --html report and count
# its charts; that test fails, saying to run scripts/install-chromium.sh, without it.
if CHROMIUM="$(./scripts/install-chromium.sh)"; then
  export CHROMIUM
else
  echo "test.sh: Chromium could not be installed; the HTML report test will fail and say why" >&2
fi

results=()
status=0
# Runs one step (a command), timing it; a failure is kept for the end.
step() {
  local name="$1" started=$SECONDS code=0
  shift
  echo "test.sh: == $name" >&2
  "$@" || code=$?
  local took=$((SECONDS - started))
  if [ "$code" -eq 0 ]; then
    results+=("ok      ${took}s  $name")
  else
    results+=("FAILED  ${took}s  $name (exit $code)")
    status=1
  fi
}

# The ignored tests of one file: `ignored_tests BINARY MODULE` runs
# `cargo test --test BINARY -- --ignored MODULE::`, and fails when that
# filter matched no test (a renamed module must not pass as an empty step).
ignored_tests() {
  local binary="$1" module="$2" output code=0
  output="$(mktemp)"
  cargo test --release --test "$binary" -- --ignored "$module::" | tee "$output" || code=$?
  if [ "$code" -eq 0 ] && ! grep -q '^running [1-9]' "$output"; then
    echo "test.sh: no ignored test matched $module:: in --test $binary" >&2
    code=1
  fi
  rm -f "$output"
  return "$code"
}

# Photographs for tests/it/encode_cmd.rs's ignored test, then that test alone.
photographs() {
  ./scripts/fetch-photos.sh >&2 && ignored_tests it encode_cmd
}

# Slurm, munge and buildah (Debian) and kubernetes-validate (PyPI, a venv in
# the targets cache) for tests/targets/scale_out.rs, then those tests.
scale_out() {
  ./scripts/install-scale-out.sh >/dev/null && ignored_tests targets scale_out
}

# Debian's prometheus (scripts/install-prometheus.sh) for tests/it/metrics.rs:
# a real Prometheus scrapes a running bench's --metrics-addr and answers its
# PromQL p99 and every query of deploy/grafana/imgwire.json.
live_metrics() {
  ./scripts/install-prometheus.sh >/dev/null && ignored_tests it metrics
}

# opentelemetry-proto and protobuf (PyPI, a venv in the targets cache) read
# every line of an --export-otlp file in tests/it/otlp.rs.
otlp_export() {
  ./scripts/install-otlp-check.sh >/dev/null && ignored_tests it otlp
}

# --no-fail-fast: one run reports every failing test binary, not the first.
step "unit and integration tests" cargo test --release --all-targets --no-fail-fast "$@"
# `--ignored` runs only the ignored tests: the others ran just above.
step "nvJPEG ABI (tests/gpu/nvjpeg_abi.rs)" ignored_tests gpu nvjpeg_abi
if [ "$quick" = false ]; then
  step "photographs (tests/it/encode_cmd.rs)" photographs
  step "the seed post's servers (tests/targets/seed_target.rs)" \
    ignored_tests targets seed_target
  step "Triton (tests/targets/kserve_target.rs)" \
    ignored_tests targets kserve_target
  step "TorchServe (tests/targets/torchserve_target.rs)" \
    ignored_tests targets torchserve_target
  step "tritonclient against imgwire serve (tests/it/v2_server.rs)" \
    ignored_tests it v2_server
  step "scale-out: Slurm shards, Kubernetes manifests, image (tests/targets/scale_out.rs)" \
    scale_out
  step "live metrics: a real Prometheus scrapes a bench (tests/it/metrics.rs)" live_metrics
  step "OTLP export read by opentelemetry-proto (tests/it/otlp.rs)" otlp_export
fi

echo "test.sh: results (${SECONDS}s in all$([ "$quick" = true ] && echo ", --quick: no real targets"))" >&2
printf '  %s\n' "${results[@]}" >&2
exit "$status"
