#!/usr/bin/env bash
# The README's first command: installs what the build needs, builds the
# release binary and runs `imgwire bench` with any arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --quiet
exec ./target/release/imgwire bench "$@"
