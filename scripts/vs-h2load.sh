#!/usr/bin/env bash
# How cheap is imgwire's client? imgwire's closed loop against h2load's, on
# the small `basic` payload, against ONE `imgwire serve`, in the same run:
# REST/1.1 with CONCURRENCY connections, and gRPC with STREAMS streams on one
# HTTP/2 connection. The two tools take turns (ROUNDS rounds, the order
# rotating), so drift on a shared machine hits both alike; the table gives
# each round's requests per second and imgwire/h2load, then min and median.
#
#   scripts/vs-h2load.sh [OUTDIR]          # default target/vs-h2load
#
# Settings (environment): ROUNDS=3, DURATION=5 (seconds each run),
# CONCURRENCY=50, STREAMS=50, SERVER_THREADS (default: all CPUs),
# SERVER_CPUS / CLIENT_CPUS (CPU lists for taskset, e.g. 0 and 1; unset: no
# pinning, everything shares the cores as in issue 24's figures),
# IMGWIRE_ALSO="NAME=PATH ..." (more imgwire binaries as clients in the same
# alternation, e.g. the build before a change), SERVE_ARGS (more `serve`
# flags). Installs h2load (Debian's nghttp2-client) if missing. It measures,
# it asserts only that every request of every tool succeeded.
set -euo pipefail
cd "$(dirname "$0")/.."
source targets/common.sh
OUT="${1:-target/vs-h2load}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
CONCURRENCY="${CONCURRENCY:-50}"
STREAMS="${STREAMS:-50}"
SERVER_THREADS="${SERVER_THREADS:-$(nproc)}"
read -r -a SERVE_ARGS <<<"${SERVE_ARGS:-}"
rm -rf "$OUT" && mkdir -p "$OUT"

ensure_debs nghttp2-client
cargo build --release --quiet
CLIENTS=("imgwire=./target/release/imgwire")
read -r -a MORE <<<"${IMGWIRE_ALSO:-}"
CLIENTS+=("${MORE[@]}")

# What runs the server and the clients on their CPUs (taskset), if pinned.
SERVER_ON=(); CLIENT_ON=()
[ -n "${SERVER_CPUS:-}" ] && SERVER_ON=(taskset -c "$SERVER_CPUS")
[ -n "${CLIENT_CPUS:-}" ] && CLIENT_ON=(taskset -c "$CLIENT_CPUS")

. scripts/lib/serve.sh
start_serve "$OUT/serve.log" "${SERVER_ON[@]}" ./target/release/imgwire serve \
  --rest-addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --tcp-addr 127.0.0.1:0 \
  --server-threads "$SERVER_THREADS" "${SERVE_ARGS[@]}"
SERVER=$SERVE_PID REST=$SERVE_REST GRPC=$SERVE_GRPC
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
echo "imgwire serve ($SERVER_THREADS threads${SERVER_CPUS:+, CPUs $SERVER_CPUS}):" \
  "REST $REST, gRPC $GRPC" >&2

# The exact requests imgwire sends, for h2load to replay.
./target/release/imgwire bench --rest-url "$REST" --grpc-url "$GRPC" --sizes 360x640 \
  --payloads basic --protocols rest,grpc --load closed -c 1 --duration 0.2s --warmup 0 \
  --save-requests "$OUT/requests" --brief --no-color > /dev/null
STEM="$OUT/requests/360x640-basic"
headers_of() { tail -n +2 "$1" | while IFS= read -r h; do printf -- '-H\n%s\n' "$h"; done; }
path_of() { head -1 "$1" | cut -d' ' -f2; }
mapfile -t REST_HEADERS < <(headers_of "$STEM-rest.http")
mapfile -t GRPC_HEADERS < <(headers_of "$STEM-grpc.http")
REST_URL="$REST$(path_of "$STEM-rest.http")"
GRPC_URL="$GRPC$(path_of "$STEM-grpc.http")"

# h2load sees only the HTTP status; a gRPC failure is a 200 with a non-zero
# grpc-status in the trailers. One call with nghttp shows the trailers.
nghttp -v "${GRPC_HEADERS[@]}" -d "$STEM-grpc.body" "$GRPC_URL" 2>&1 \
  | grep -a 'grpc-status' > "$OUT/grpc-trailers.txt" || true
grep -q 'grpc-status: 0' "$OUT/grpc-trailers.txt" || {
  echo "the gRPC request h2load replays did not answer grpc-status 0:" >&2
  cat "$OUT/grpc-trailers.txt" >&2
  exit 1
}

# run_h2load PROTO FILE
run_h2load() {
  # No h2load warm-up time: its answers would count in the traffic line but not
  # in the requests, and the server is warm from the runs before.
  local duration=(-D "$DURATION")
  if [ "$1" = rest ]; then
    "${CLIENT_ON[@]}" h2load -p http/1.1 -c "$CONCURRENCY" "${duration[@]}" "${REST_HEADERS[@]}" \
      -d "$STEM-rest.body" "$REST_URL" > "$2"
  else
    "${CLIENT_ON[@]}" h2load -c 1 -m "$STREAMS" "${duration[@]}" "${GRPC_HEADERS[@]}" \
      -d "$STEM-grpc.body" "$GRPC_URL" > "$2"
  fi
}

# run_imgwire BINARY PROTO FILE
run_imgwire() {
  local load=(-c "$CONCURRENCY")
  [ "$2" = grpc ] && load=(-c "$STREAMS" --grpc-channels 1)
  "${CLIENT_ON[@]}" "$1" bench --rest-url "$REST" --grpc-url "$GRPC" \
    --sizes 360x640 --payloads basic --protocols "$2" --load closed "${load[@]}" \
    --duration "${DURATION}s" --export-json "$3" --brief --no-color > "${3%.json}.txt" 2>&1
}

# timed FILE CMD...: CMD, its CPU seconds (user and system, children
# included) written to FILE.
timed() {
  local file="$1"; shift
  local TIMEFORMAT='%U %S'
  { time "$@" 2>&3 ; } 3>&2 2> "$file"
}

TOOLS=(h2load "${CLIENTS[@]}")
for round in $(seq "$ROUNDS"); do
  for proto in rest grpc; do
    # Rotate who goes first, so neither tool always meets a fresher server.
    for i in $(seq 0 $(( ${#TOOLS[@]} - 1 ))); do
      tool="${TOOLS[$(( (i + round) % ${#TOOLS[@]} ))]}"
      name="${tool%%=*}"
      echo "== round $round $proto: $name" >&2
      if [ "$name" = h2load ]; then
        timed "$OUT/r$round-$proto-h2load.cpu" run_h2load "$proto" "$OUT/r$round-$proto-h2load.txt"
      else
        timed "$OUT/r$round-$proto-$name.cpu" \
          run_imgwire "${tool#*=}" "$proto" "$OUT/r$round-$proto-$name.json"
      fi
    done
  done
done

python3 scripts/vs_h2load_table.py "$OUT" | tee "$OUT/table.md"
