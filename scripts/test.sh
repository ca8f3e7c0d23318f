#!/usr/bin/env bash
# The README's test command: installs what the build needs, then runs every
# test (unit and integration, real servers on 127.0.0.1:0) in the release
# profile, which shares its build with scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo test --release --all-targets "$@"
