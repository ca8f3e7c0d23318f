#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium, only where it is missing, for
# tests/it/html_report.rs (it opens the --html report and counts its charts).
# Prints the browser's path. Safe to run repeatedly.
set -euo pipefail
for name in chromium chromium-browser google-chrome; do
  if path="$(command -v "$name")"; then
    echo "$path"
    exit 0
  fi
done
echo "install-chromium: installing Debian's chromium (for tests/it/html_report.rs)" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  chromium fonts-dejavu-core >/dev/null
command -v chromium
