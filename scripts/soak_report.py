#!/usr/bin/env python3
"""The figures of one scripts/soak.sh run (stdlib only).

Usage: soak_report.py DIR

Reads DIR/baseline-*.json and DIR/soak-*.json (`imgwire bench
--export-json`, one a run of the load), DIR/rss.txt and
DIR/rss-baseline.txt (seconds and VmRSS kB, one sample a line), DIR/slow.json (scripts/slow_clients.py's summary) and
DIR/stats.json (the server's GET /stats at the end). Prints errors, each
scenario's p99 of request wall time with and without the hostile clients,
and RSS at 10 s against the end, and the peak of the second half of the
run against the first's; exits 1 if a valid request failed or that peak
grew by 10 % or more.
"""

import glob
import json
import os
import statistics
import sys


def runs(directory, phase):
    found = []
    for path in sorted(glob.glob(os.path.join(directory, f"{phase}-*.json"))):
        with open(path) as f:
            found.append(json.load(f))
    return found


def scenario_name(s):
    return f"{s['size']} {s['payload']} {s['protocol']}"


def summary(phase_runs):
    """Requests, errors, and each scenario's p99s (one per run)."""
    requests = errors = 0
    p99s = {}
    for run in phase_runs:
        for s in run["scenarios"]:
            requests += s["requests"]
            errors += s["errors"]
            wall = s.get("stages", {}).get("wall")
            if wall:
                p99s.setdefault(scenario_name(s), []).append(wall["p99_ns"] / 1e6)
    return requests, errors, p99s


def rss_figures(path):
    """RSS (kB) at 10 s, at the end, the end's time, and the peaks of the
    two halves of the samples from 10 s on."""
    samples = []
    with open(path) as f:
        for line in f:
            second, kb = line.split()
            samples.append((float(second), int(kb)))
    settled = [kb for second, kb in samples if second >= 10] or [samples[-1][1]]
    half = len(settled) // 2
    first, second = max(settled[: half or 1]), max(settled[half:])
    return settled[0], samples[-1][1], samples[-1][0], first, second


def mib(kb):
    return f"{kb / 1024:.0f} MiB"


def main():
    directory = sys.argv[1]
    base_requests, base_errors, base = summary(runs(directory, "baseline"))
    requests, errors, soak = summary(runs(directory, "soak"))
    print(f"baseline: {len(runs(directory, 'baseline'))} bench runs, "
          f"{base_requests} requests, {base_errors} errors")
    print(f"soak:     {len(runs(directory, 'soak'))} bench runs, "
          f"{requests} requests, {errors} errors (must be 0)")
    print("p99 of request wall time, ms (median over the runs of each run's p99):")
    print(f"  {'scenario':<28} {'baseline':>10} {'soak':>10} {'soak/base':>10}")
    for name in soak:
        b = statistics.median(base[name]) if name in base else float("nan")
        s = statistics.median(soak[name])
        print(f"  {name:<28} {b:>10.1f} {s:>10.1f} {s / b:>10.2f}")
    growth = 0.0
    for phase, name in [("baseline", "rss-baseline.txt"), ("soak", "rss.txt")]:
        at_10, at_end, last, first, second = rss_figures(os.path.join(directory, name))
        growth = (second - first) / first * 100
        print(f"server RSS, {phase}: {mib(at_10)} at 10 s, {mib(at_end)} at {last:.0f} s "
              f"({(at_end - at_10) / at_10 * 100:+.1f} %); peak {mib(first)} in the first "
              f"half from 10 s, {mib(second)} in the second ({growth:+.1f} %)")
    print("  (the soak's peak growth, second half against first, must be < 10 %: a single")
    print("  sample swings with whichever burst is in flight)")
    with open(os.path.join(directory, "slow.json")) as f:
        slow = json.load(f)
    answers = sorted(set(slow.pop("trickle_answers")))
    print(f"hostile clients: {json.dumps(slow)}; trickle answers: {answers}")
    with open(os.path.join(directory, "stats.json")) as f:
        stats = json.load(f)
    seen = {k: v for k, v in stats["refused"].items() if v}
    print(f"server GET /stats at the end: {seen}")
    if requests == 0 or errors or growth >= 10:
        print("FAIL")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
