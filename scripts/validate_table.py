"""Reads what scripts/validate.sh wrote (imgwire's JSON, oha's JSON, h2load's
text) and prints the side-by-side table docs/validation.md shows.
Usage: validate_table.py OUTDIR"""

import json
import re
import sys
from pathlib import Path

out = Path(sys.argv[1])


def imgwire(concurrency, protocol):
    report = json.loads((out / f"imgwire-c{concurrency}.json").read_text())
    scenario = next(s for s in report["scenarios"] if s["protocol"] == protocol)
    stages = scenario["stages"]
    server = sum(v["mean_ns"] for k, v in stages.items() if k.startswith("server."))
    roundtrip_ms = (stages["transport"]["mean_ns"] + server) / 1e6
    per_second = concurrency / (scenario["burst"]["mean_ns"] / 1e9)
    return per_second, roundtrip_ms, scenario["errors"], scenario["requests"]


def oha(concurrency):
    summary = json.loads((out / f"oha-c{concurrency}.json").read_text())
    codes = summary.get("statusCodeDistribution", {})
    failed = sum(n for code, n in codes.items() if code != "200")
    done = sum(codes.values())
    s = summary["summary"]
    return s["requestsPerSec"], s["average"] * 1e3, failed, done


def to_ms(value, unit):
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def h2load(concurrency):
    text = (out / f"h2load-c{concurrency}.txt").read_text()
    per_second = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text).group(1))
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s", text)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", text)
    status = re.search(r"status codes: (\d+) 2xx", text)
    failed = int(done.group(1)) - int(status.group(1))
    return per_second, to_ms(*mean.groups()), failed, int(done.group(1))


def row(label, concurrency, mine, theirs, tool):
    ratio_rate = mine[0] / theirs[0]
    ratio_latency = mine[1] / theirs[1]
    return (
        f"| {label} | {concurrency} | {mine[0]:.1f} | {theirs[0]:.1f} ({tool}) | "
        f"{ratio_rate:.2f} | {mine[1]:.2f} | {theirs[1]:.2f} | {ratio_latency:.2f} | "
        f"{mine[2]}/{mine[3]}, {theirs[2]}/{theirs[3]} |"
    )


print("| workload | concurrency | imgwire req/s | other req/s | ratio | imgwire mean round trip, ms "
      "| other mean latency, ms | ratio | failed/sent (imgwire, other) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for concurrency in (1, 20):
    print(row("REST/1.1 binary", concurrency, imgwire(concurrency, "rest"), oha(concurrency), "oha"))
    print(row("gRPC binary", concurrency, imgwire(concurrency, "grpc"), h2load(concurrency), "h2load"))
