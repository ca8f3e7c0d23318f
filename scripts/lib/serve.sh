# Sourced by the scripts that measure against one `imgwire serve`.
#
# start_serve LOG COMMAND...: runs COMMAND (an `imgwire serve` line, ports
# 0, perhaps behind taskset or ip netns exec) in the background with its
# output in LOG, and waits up to 10 s for its REST and gRPC listening lines.
# Sets SERVE_PID, SERVE_REST and SERVE_GRPC (the URLs it printed, e.g.
# http://127.0.0.1:38195). A server that does not start is killed and its
# log printed, and the call fails. The caller stops it (kill "$SERVE_PID").
start_serve() {
  local log="$1"
  shift
  "$@" >"$log" 2>&1 &
  SERVE_PID=$!
  SERVE_REST=""
  SERVE_GRPC=""
  local tries
  for tries in $(seq 100); do
    SERVE_REST="$(sed -n 's/^REST listening on //p' "$log" 2>/dev/null)"
    SERVE_GRPC="$(sed -n 's/^gRPC listening on //p' "$log" 2>/dev/null)"
    [ -n "$SERVE_REST" ] && [ -n "$SERVE_GRPC" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "imgwire serve did not start (after $tries tries); its log, $log:" >&2
  cat "$log" >&2
  kill "$SERVE_PID" 2>/dev/null || true
  return 1
}
