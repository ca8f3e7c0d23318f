#!/usr/bin/env bash
# Measures what --flamegraph costs: runs the default `imgwire bench` ROUNDS
# times without and with profiling, interleaved (off, on, off, on, ...) so
# drift hits both alike, and prints the mean seconds per burst of each
# scenario and the overall change. Needs a quiet machine.
# Usage: scripts/profiling-overhead.sh [ROUNDS] [extra bench flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
bin=./target/release/imgwire
[ -x "$bin" ] || { ./scripts/setup.sh; cargo build --release --quiet; }
out=$(mktemp -d)
for i in $(seq "$rounds"); do
  "$bin" bench --brief --json "$out/off$i.json" "$@" >/dev/null 2>&1
  "$bin" bench --brief --json "$out/on$i.json" --flamegraph "$out/fg" "$@" >/dev/null 2>&1
done
python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics
out, rounds = sys.argv[1], int(sys.argv[2])
def cells(kind):
    runs = [json.load(open(f"{out}/{kind}{i}.json"))["scenarios"] for i in range(1, rounds + 1)]
    return {(s["size"], s["payload"], s["protocol"]): statistics.mean(r[j]["burst"]["mean_ns"] / 1e9 for r in runs)
            for j, s in enumerate(runs[0])}
off, on = cells("off"), cells("on")
print(f"{'scenario':<28}{'off s/burst':>12}{'on s/burst':>12}{'change':>9}")
for k in off:
    print(f"{' '.join(k):<28}{off[k]:>12.4f}{on[k]:>12.4f}{100*(on[k]/off[k]-1):>+8.1f}%")
print(f"{'all scenarios (sum)':<28}{sum(off.values()):>12.4f}{sum(on.values()):>12.4f}{100*(sum(on.values())/sum(off.values())-1):>+8.1f}%")
PY
