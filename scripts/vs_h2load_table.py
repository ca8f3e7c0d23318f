#!/usr/bin/env python3
"""The table of scripts/vs-h2load.sh: requests per second of h2load and of
each imgwire client, round by round, the ratio imgwire/h2load, and its min
and median. Both tools count the same thing: requests answered successfully
over the measured duration (h2load: `succeeded` / -D; imgwire: the closed
run's requests / its span, from the first send to the last reply). Every
run must have had no failure: h2load's failed/errored/timeout all 0 and
no answer other than 2xx; for gRPC, where h2load sees only the HTTP status, every
answer must also carry exactly one response message (its DATA bytes per
request equal the 5-byte frame plus the message imgwire read, give or take
the answers in flight when h2load's duration ended).

Beside the rates, each client's CPU time (user + system, from the shell's
`time`) per request: less sensitive than a rate to other work on a shared
machine. imgwire's includes its start and its warm-up windows, whose
requests are estimated at its measured rate."""

import json
import re
import statistics
import sys
from pathlib import Path

PROTOCOLS = {"rest": "REST/1.1", "grpc": "gRPC"}


def h2load_figures(path: Path) -> dict:
    text = path.read_text()
    rate = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text).group(1))
    counts = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
        r"(\d+) failed, (\d+) errored, (\d+) timeout",
        text,
    )
    succeeded, failed, errored, timeout = (int(counts.group(i)) for i in (4, 5, 6, 7))
    statuses = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    not_ok = sum(int(statuses.group(i)) for i in (2, 3, 4))
    data = int(re.search(r"traffic: .* \((\d+)\) data", text).group(1))
    # Statuses count answers whose headers came, some still in flight at the end.
    if failed or errored or timeout or not_ok:
        sys.exit(f"{path}: not every request succeeded ({counts.group(0)}; {statuses.group(0)})")
    return {
        "rate": rate,
        "data_per_request": data / max(succeeded, 1),
        "cpu_us": cpu_seconds(path) * 1e6 / max(succeeded, 1),
    }


def cpu_seconds(run: Path) -> float:
    """User + system seconds of the run whose output is `run`."""
    user, system = run.with_suffix(".cpu").read_text().split()[-2:]
    return float(user) + float(system)


def imgwire_figures(path: Path) -> dict:
    scenario = json.loads(path.read_text())["scenarios"][0]
    if scenario["errors"]:
        sys.exit(f"{path}: {scenario['errors']} requests failed: {scenario['error_examples']}")
    rate = scenario["throughput_rps"]
    warmup_s = len(scenario["warmup_burst_ns"]) * scenario["window_ns"] / 1e9
    requests = scenario["requests"] + warmup_s * rate
    return {
        "rate": rate,
        "response_bytes": scenario["bytes"]["response_body_bytes"],
        "cpu_us": cpu_seconds(path) * 1e6 / max(requests, 1),
    }


def main() -> None:
    out = Path(sys.argv[1])
    clients = sorted({p.stem.split("-", 2)[2] for p in out.glob("r*-*-*.json")})
    rounds = sorted({int(p.name.split("-")[0][1:]) for p in out.glob("r*-*-h2load.txt")})
    header = ["protocol", "round", "h2load req/s"]
    header += [f"{c} req/s" for c in clients] + [f"{c}/h2load" for c in clients]
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + " |")
    summary = []
    for proto, label in PROTOCOLS.items():
        ratios = {c: [] for c in clients}
        rates = {c: [] for c in ["h2load", *clients]}
        cpu = {c: [] for c in ["h2load", *clients]}
        for r in rounds:
            h2 = h2load_figures(out / f"r{r}-{proto}-h2load.txt")
            row = [label, str(r), f"{h2['rate']:.0f}"]
            rates["h2load"].append(h2["rate"])
            cpu["h2load"].append(h2["cpu_us"])
            figures = {c: imgwire_figures(out / f"r{r}-{proto}-{c}.json") for c in clients}
            for c in clients:
                if proto == "grpc":
                    expected = figures[c]["response_bytes"] + 5
                    # Answers still arriving when -D ended add a little.
                    if not expected - 0.5 < h2["data_per_request"] < expected * 1.01:
                        sys.exit(
                            f"round {r}: h2load read {h2['data_per_request']:.1f} DATA bytes a "
                            f"request, not the {expected} of one answer message: gRPC failures?"
                        )
                row.append(f"{figures[c]['rate']:.0f}")
                rates[c].append(figures[c]["rate"])
                cpu[c].append(figures[c]["cpu_us"])
            for c in clients:
                ratio = figures[c]["rate"] / h2["rate"]
                ratios[c].append(ratio)
                row.append(f"{ratio:.2f}")
            print("| " + " | ".join(row) + " |")
        for c in clients:
            summary.append(
                f"{label} {c}/h2load: min {min(ratios[c]):.2f}, median "
                f"{statistics.median(ratios[c]):.2f} (median req/s {c} "
                f"{statistics.median(rates[c]):.0f}, h2load {statistics.median(rates['h2load']):.0f})"
            )
        summary.append(
            f"{label} client CPU per request, median us: "
            + ", ".join(f"{c} {statistics.median(v):.1f}" for c, v in cpu.items())
        )
    print()
    print("\n".join(summary))


if __name__ == "__main__":
    main()
