#!/usr/bin/env bash
# Builds the container image of imgwire with buildah and prints its name.
#
#   deploy/build-image.sh                    # deploy/Containerfile: build stage + runtime
#   deploy/build-image.sh --prebuilt [BIN]   # a release binary built on this host (BIN,
#                                            # default target/release/imgwire, built if
#                                            # missing) in an empty image: no registry needed
#
# IMGWIRE_IMAGE names the image (default imgwire:latest). Installs buildah
# (Debian) where missing. `--isolation chroot` because it works where the
# kernel lends no user namespaces (containers in containers, CI runners).
set -euo pipefail
cd "$(dirname "$0")/.."
image="${IMGWIRE_IMAGE:-imgwire:latest}"
if ! command -v buildah >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah >&2
fi
if [ "${1:-}" != "--prebuilt" ]; then
  # The ignore file keeps target/ (gigabytes) and .git out of the context.
  buildah bud --isolation chroot --ignorefile deploy/Containerfile.dockerignore \
    -t "$image" -f deploy/Containerfile . >&2
  echo "$image"
  exit 0
fi
binary="${2:-target/release/imgwire}"
if [ ! -x "$binary" ]; then
  [ $# -lt 2 ] || { echo "build-image.sh: $binary is not an executable" >&2; exit 1; }
  ./scripts/setup.sh >&2
  cargo build --release >&2
fi
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/proc" "$rootfs/dev"
chmod 1777 "$rootfs/tmp"
cp "$binary" "$rootfs/usr/local/bin/imgwire"
# The loader and every library ldd names, at the paths the binary asks for.
for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
# Who the process is, as distroless images say it (no shell, no login).
echo 'root:x:0:0:root:/root:/sbin/nologin' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
cp deploy/Containerfile.prebuilt "$context/Containerfile"
buildah bud --isolation chroot -t "$image" -f "$context/Containerfile" "$context" >&2
echo "$image"
