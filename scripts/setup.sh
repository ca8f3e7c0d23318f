#!/usr/bin/env bash
# Installs the system packages imgwire's build needs (cmake and nasm for the
# bundled libjpeg-turbo), only where they are missing. Safe to run repeatedly.
set -euo pipefail
missing=()
for tool in cmake nasm; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (needed to build libjpeg-turbo)" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
