#!/usr/bin/env bash
# Checks imgwire's figures against independent load generators on the same
# server, same workload, same run: oha for REST (HTTP/1.1) and h2load for
# gRPC (HTTP/2 cleartext). imgwire saves the exact requests it sends
# (--save-requests) and the other tools replay those bytes. Prints a table
# and writes everything under OUTDIR (default target/validation).
#
#   scripts/validate.sh [OUTDIR]
#
# Installs what is missing: oha (cargo install, a few minutes once) and
# h2load (Debian's nghttp2-client). Not part of CI: it measures, it does
# not assert.
set -euo pipefail
cd "$(dirname "$0")/.."
source targets/common.sh
OUT="${1:-target/validation}"
SIZE="${SIZE:-1080x1920}"
REQUESTS="${REQUESTS:-1000}"
# Extra `imgwire serve` flags, e.g. SERVE_ARGS="--server-decoder none".
read -r -a SERVE_ARGS <<<"${SERVE_ARGS:-}"
mkdir -p "$OUT"

ensure_debs nghttp2-client
command -v oha >/dev/null || cargo install oha --locked --version 1.16.0
OHA="$(command -v oha || echo "$HOME/.cargo/bin/oha")"
cargo build --release --quiet
IMGWIRE=./target/release/imgwire

# One imgwire server for every tool, on free ports.
. scripts/lib/serve.sh
start_serve "$OUT/serve.log" "$IMGWIRE" serve --rest-addr 127.0.0.1:0 \
  --grpc-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0 "${SERVE_ARGS[@]}"
SERVER=$SERVE_PID REST=$SERVE_REST GRPC=$SERVE_GRPC
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
echo "imgwire serve: REST $REST, gRPC $GRPC" >&2

# headers_of FILE: the saved request's headers as repeated -H arguments.
headers_of() { tail -n +2 "$1" | while IFS= read -r h; do printf -- '-H\n%s\n' "$h"; done; }
path_of() { head -1 "$1" | cut -d' ' -f2; }

for C in 1 20; do
  BURSTS=$(( REQUESTS / C ))
  REQ="$OUT/requests-c$C"
  echo "== concurrency $C: imgwire ($BURSTS bursts of $C)" >&2
  "$IMGWIRE" bench --rest-url "$REST" --grpc-url "$GRPC" --sizes "$SIZE" \
    --payloads binary --protocols rest,grpc -c "$C" --bursts "$BURSTS" --warmup 5 \
    --save-requests "$REQ" --json "$OUT/imgwire-c$C.json" --brief --no-color \
    > "$OUT/imgwire-c$C.txt"
  STEM="$REQ/$SIZE-binary"
  mapfile -t REST_HEADERS < <(headers_of "$STEM-rest.http")
  mapfile -t GRPC_HEADERS < <(headers_of "$STEM-grpc.http")
  echo "== concurrency $C: oha -n $REQUESTS -c $C" >&2
  "$OHA" --no-tui --output-format json -n "$REQUESTS" -c "$C" -m POST \
    "${REST_HEADERS[@]}" -D "$STEM-rest.body" "$REST$(path_of "$STEM-rest.http")" \
    > "$OUT/oha-c$C.json"
  echo "== concurrency $C: h2load -n $REQUESTS -c 1 -m $C" >&2
  h2load -n "$REQUESTS" -c 1 -m "$C" "${GRPC_HEADERS[@]}" -d "$STEM-grpc.body" \
    "$GRPC$(path_of "$STEM-grpc.http")" > "$OUT/h2load-c$C.txt"
done

python3 scripts/validate_table.py "$OUT" | tee "$OUT/table.md"
