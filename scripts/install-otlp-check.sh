#!/usr/bin/env bash
# Installs what tests/it/otlp.rs's ignored test reads --export-otlp files
# with: PyPI's opentelemetry-proto and protobuf (the versions below) in a venv
# under ${IMGWIRE_TARGETS_CACHE:-target/targets}/otlp, reused while the
# versions are unchanged. Each line of the file is parsed as OTLP's
# TracesData by protobuf's json_format, as an OTLP JSON file reader does.
# Prints the venv's python on stdout; says nothing else when it is already
# there. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
OTLP_PROTO_VERSION=1.45.2
PROTOBUF_VERSION=7.36.2
cache="${IMGWIRE_TARGETS_CACHE:-$PWD/target/targets}"
venv="$cache/otlp"
versions="opentelemetry-proto==$OTLP_PROTO_VERSION protobuf==$PROTOBUF_VERSION"
stamp="$venv/.versions"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$versions" ]; then
  echo "install-otlp-check: $versions into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # two requirements, split on purpose
  if ! log="$("$venv/bin/pip" install -q $versions 2>&1)"; then
    echo "$log" >&2
    echo "install-otlp-check: pip could not install $versions" >&2
    exit 1
  fi
  echo "$versions" >"$stamp"
fi
echo "$venv/bin/python"
