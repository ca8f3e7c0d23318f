#!/usr/bin/env bash
# Repeats profiled runs to show they never hang: RUNS remote runs (`imgwire
# serve --profiling` in one process, `bench --flamegraph` against it from
# another) and RUNS in-process `bench --flamegraph` runs, each under a
# 120 s limit. A run that hits the limit counts as hung; one that exits
# non-zero as failed. Also counts the samples each run's profile holds, so
# a fix that drops samples shows. Prints one line per kind and a closing
# "N passed, N failed" line; exits non-zero if any run hung or failed.
# Usage: scripts/profile-soak.sh [RUNS] (default 100)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
bin=${IMGWIRE_BIN:-./target/release/imgwire}
[ -x "$bin" ] || { ./scripts/setup.sh; cargo build --release --quiet; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rest=$(port); grpc=$(port); tcp=$(port)
"$bin" serve --profiling --rest-addr "127.0.0.1:$rest" --grpc-addr "127.0.0.1:$grpc" \
  --tcp-addr "127.0.0.1:$tcp" >"$work/serve.log" 2>&1 &
server=$!
sleep 1

common=(bench --sizes 360x640 --payloads binary --protocols rest,grpc --bursts 3 --timeout-s 30)
remote=(--rest-url "http://127.0.0.1:$rest" --grpc-url "http://127.0.0.1:$grpc")
passed=0; failed=0
for kind in remote in-process; do
  hung=0; bad=0; ok=0; samples=0
  for i in $(seq "$runs"); do
    extra=(); [ "$kind" = remote ] && extra=("${remote[@]}")
    timeout 120 "$bin" "${common[@]}" "${extra[@]}" --flamegraph "$work/fg" \
      --json "$work/run.json" >/dev/null 2>"$work/err.log"
    rc=$?
    if [ $rc -eq 124 ]; then hung=$((hung + 1)); echo "$kind run $i hung" >&2
    elif [ $rc -ne 0 ]; then bad=$((bad + 1)); echo "$kind run $i failed: $(tail -1 "$work/err.log")" >&2
    else
      ok=$((ok + 1))
      samples=$((samples + $(python3 -c 'import json,sys; print(sum(s["profile"]["client_samples"]+s["profile"]["server_samples"] for s in json.load(open(sys.argv[1]))["scenarios"]))' "$work/run.json")))
    fi
  done
  echo "$kind: $ok of $runs runs finished, $hung hung, $bad failed; $((samples / (ok > 0 ? ok : 1))) profile samples per run on average"
  passed=$((passed + ok)); failed=$((failed + hung + bad))
done
kill -0 "$server" 2>/dev/null || { echo "the profiled server died" >&2; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
