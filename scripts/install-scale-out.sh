#!/usr/bin/env bash
# Installs what tests/targets/scale_out.rs needs, only what is missing, on a
# Debian machine (scripts/test.sh runs it before that step; CI is root on a
# fresh Debian):
#   - slurm-wlm and munge: the one-node Slurm of deploy/slurm/one-node.sh;
#   - buildah: the image of deploy/build-image.sh, smoke-tested by chroot;
#   - PyPI's kubernetes-validate (the version below), in a venv under
#     ${IMGWIRE_TARGETS_CACHE:-target/targets}/kv, reused while the version
#     is unchanged: deploy/k8s/*.yaml against the Kubernetes schemas,
#     offline.
# Prints the kubernetes-validate path on stdout; says nothing else when
# everything is already there. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBERNETES_VALIDATE_VERSION=1.37.0
cache="${IMGWIRE_TARGETS_CACHE:-$PWD/target/targets}"
venv="$cache/kv"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for pkg in slurm-wlm munge buildah python3-venv; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-scale-out: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

stamp="$venv/.kubernetes-validate-version"
if [ ! -x "$venv/bin/kubernetes-validate" ] \
  || [ "$(cat "$stamp" 2>/dev/null)" != "$KUBERNETES_VALIDATE_VERSION" ]; then
  echo "install-scale-out: kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  if ! log="$("$venv/bin/pip" install -q \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" 2>&1)"; then
    echo "$log" >&2
    echo "install-scale-out: pip could not install kubernetes-validate" >&2
    exit 1
  fi
  echo "$KUBERNETES_VALIDATE_VERSION" >"$stamp"
fi
echo "$venv/bin/kubernetes-validate"
