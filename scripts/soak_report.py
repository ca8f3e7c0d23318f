#!/usr/bin/env python3
"""The figures of one scripts/soak.sh run (stdlib only).

Usage: soak_report.py DIR

Reads DIR/settings.json (the run's limits and attackers),
DIR/baseline-*.json and DIR/soak-*.json (`imgwire bench --export-json`,
one a run of the load), DIR/rss.txt and DIR/rss-baseline.txt (seconds and
VmRSS kB, one sample a line), DIR/hwm-*.txt (the server's VmHWM at the end
of each phase, where it lived), DIR/crashes.txt (one line a server that
died), DIR/slow.json and DIR/attackers.json (the attackers' summaries) and
DIR/stats.json (the server's GET /stats at the end). Prints crashes,
errors, each scenario's p99 of request wall time before and during the
attack, the server's peak RSS against the bound, and RSS at 10 s against
the end with the peaks of the two halves of the run; exits 1 on a crash, a
valid request that failed, no valid request at all, or a peak RSS at or
over the bound.
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
    """Requests, errors, an example error, and each scenario's p99s (one per
    run)."""
    requests = errors = 0
    example = None
    p99s = {}
    for run in phase_runs:
        for s in run["scenarios"]:
            requests += s["requests"]
            errors += s["errors"]
            example = example or next(iter(s.get("error_examples", [])), None)
            wall = s.get("stages", {}).get("wall")
            if wall:
                p99s.setdefault(scenario_name(s), []).append(wall["p99_ns"] / 1e6)
    return requests, errors, example, p99s


def read_optional(directory, name, default):
    path = os.path.join(directory, name)
    if not os.path.exists(path) or not os.path.getsize(path):
        return default
    with open(path) as f:
        return json.load(f) if name.endswith(".json") else f.read()


def rss_figures(path):
    """RSS (kB) at 10 s, at the end, the end's time, the peaks of the two
    halves of the samples from 10 s on, and the highest sample."""
    samples = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                samples.append((float(parts[0]), int(parts[1])))
    if not samples:
        return None
    settled = [kb for second, kb in samples if second >= 10] or [samples[-1][1]]
    half = len(settled) // 2
    first, second = max(settled[: half or 1]), max(settled[half:])
    return settled[0], samples[-1][1], samples[-1][0], first, second, max(kb for _, kb in samples)


def mib(kb):
    return f"{kb / 1024:.0f} MiB"


def print_rss(directory, phase, name):
    """Prints the phase's RSS lines; returns its peak in kB (VmHWM where
    read, else the highest sample)."""
    figures = rss_figures(os.path.join(directory, name))
    hwm = read_optional(directory, f"hwm-{phase}.txt", "").strip()
    if figures is None:
        print(f"server RSS, {phase}: no samples")
        return int(hwm or 0)
    at_10, at_end, last, first, second, highest = figures
    peak = int(hwm) if hwm else highest
    print(f"server RSS, {phase}: peak {mib(peak)} ({'VmHWM' if hwm else 'highest sample'}); "
          f"{mib(at_10)} at 10 s, {mib(at_end)} at {last:.0f} s; peak {mib(first)} in the "
          f"first half from 10 s, {mib(second)} in the second "
          f"({(second - first) / first * 100:+.1f} %)")
    return peak


def main():
    directory = sys.argv[1]
    settings = read_optional(directory, "settings.json", {})
    limit_mb = settings.get("rss_limit_mb", 1536)
    base_runs, soak_runs = runs(directory, "baseline"), runs(directory, "soak")
    base_requests, base_errors, _, base = summary(base_runs)
    requests, errors, example, soak = summary(soak_runs)
    crashes = [line for line in read_optional(directory, "crashes.txt", "").splitlines() if line]
    print(f"crashes: {len(crashes)} (must be 0)")
    for line in crashes:
        print(f"  {line[:400]}")
    print(f"baseline: {len(base_runs)} bench runs, {base_requests} requests, {base_errors} errors")
    print(f"soak:     {len(soak_runs)} bench runs, {requests} requests, {errors} errors "
          f"(must be 0){f'; first: {example[:300]}' if example else ''}")
    print("p99 of request wall time, ms (median over the runs of each run's p99), before and")
    print("during the attack:")
    print(f"  {'scenario':<28} {'before':>10} {'during':>10} {'ratio':>10}")
    for name in soak:
        b = statistics.median(base[name]) if name in base else float("nan")
        s = statistics.median(soak[name])
        print(f"  {name:<28} {b:>10.1f} {s:>10.1f} {s / b:>10.2f}")
    print_rss(directory, "baseline", "rss-baseline.txt")
    peak = print_rss(directory, "soak", "rss.txt")
    print(f"  soak peak {mib(peak)} against the bound {limit_mb} MiB (RSS_LIMIT_MB; the server "
          f"ran under prlimit -v (address space) {settings.get('as_limit_mb', '?')} MiB)")
    slow = read_optional(directory, "slow.json", {})
    answers = sorted(set(slow.pop("trickle_answers", [])))
    print(f"slow clients: {json.dumps(slow)}; trickle answers: {answers}")
    print(f"attackers ({settings.get('attacks') or 'none'}): "
          f"{json.dumps(read_optional(directory, 'attackers.json', {}))}")
    stats = read_optional(directory, "stats.json", {"refused": {}})
    seen = {k: v for k, v in stats.get("refused", {}).items() if v}
    print(f"server GET /stats at the end: {seen or 'not read (server gone?)'}")
    if crashes or requests == 0 or errors or peak >= limit_mb * 1024:
        print("FAIL")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
