#!/usr/bin/env bash
# Builds the container image `imgwire:latest` with buildah.
#
#   deploy/build-image.sh              # deploy/Containerfile: build stage + runtime
#   deploy/build-image.sh --prebuilt   # the host's release binary in an empty image
#                                      # (no registry needed; builds it if missing)
# Installs buildah (Debian) where missing. Prints the image name.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v buildah >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah >&2
fi
if [ "${1:-}" != "--prebuilt" ]; then
  buildah bud --isolation chroot -t imgwire:latest -f deploy/Containerfile . >&2
  echo imgwire:latest
  exit 0
fi
./scripts/setup.sh >&2
cargo build --release >&2
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/usr/local/bin"
cp target/release/imgwire "$context/rootfs/usr/local/bin/"
# The loader and every library ldd names, at the paths the binary asks for.
for lib in $(ldd target/release/imgwire | grep -o '/[^ ]*'); do
  mkdir -p "$context/rootfs$(dirname "$lib")"
  cp -L "$lib" "$context/rootfs$lib"
done
cp deploy/Containerfile.prebuilt "$context/Containerfile"
buildah bud --isolation chroot -t imgwire:latest -f "$context/Containerfile" "$context" >&2
echo imgwire:latest
