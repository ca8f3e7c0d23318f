#!/usr/bin/env bash
# Installs Debian's prometheus package, if missing, for the ignored test of
# tests/it/metrics.rs (scripts/test.sh runs it before that step; CI is root
# on a fresh Debian). The test starts its own Prometheus with a generated
# config; the package's service is not used. Prints the prometheus binary's
# path on stdout; says nothing else when it is already there.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v prometheus >/dev/null 2>&1; then
  echo "install-prometheus: apt-get install prometheus" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    prometheus >/dev/null
  # The package starts its own service where systemd runs; the test needs none.
  $SUDO systemctl stop prometheus >/dev/null 2>&1 || true
fi
command -v prometheus
