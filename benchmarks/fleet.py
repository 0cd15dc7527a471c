"""A fleet of accounts declared at once, through the real CDK provider framework.

    .venv/bin/python benchmarks/fleet.py --label after [--sizes 100,300] [--creation-seconds 10]
        [--throttle CreateAccount=5,ListCreateAccountStatus=10]

Runs tests/fleet.rs's `fleet_benchmark` (the harness the framework tests use: aws-cdk-lib's own
framework JavaScript under Node, the real `bootstrap` behind cargo lambda's emulator with one
instance per declaration, the realistic local Organizations with creations of
`--creation-seconds` and at most 5 in flight, as AWS). For each fleet size it records when the
last answer came against the quota's physical limit, ceil(n/5) x creation time, the CreateAccount
calls (accepted and refused), every Organizations call per account, and what the endpoint's
per-operation throttling refused. Results are kept by label in benchmarks/fleet-results.json
(run once on the code before a change with --label before, once after) and benchmarks/fleet.md
is written from all of them. Needs scripts/setup and scripts/node-setup.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "fleet-results.json"
REPORT = ROOT / "benchmarks" / "fleet.md"
LINE = re.compile(r"^FLEET-RESULT (\{.*\})$")


def run(sizes: str, creation_seconds: float, throttle: str) -> list[dict]:
    env = dict(os.environ, FLEET_SIZES=sizes, FLEET_CREATION_SECONDS=str(creation_seconds),
               FLEET_THROTTLE=throttle)
    out = subprocess.run(
        ["cargo", "test", "--quiet", "--test", "fleet", "fleet_benchmark", "--", "--ignored",
         "--nocapture", "--test-threads", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True)
    results = [json.loads(m.group(1)) for line in out.stdout.splitlines() if (m := LINE.match(line))]
    if out.returncode != 0 or not results:
        sys.stderr.write(out.stdout[-4000:] + out.stderr[-4000:])
        raise SystemExit(f"fleet_benchmark failed (exit {out.returncode})")
    return results


def report(runs: dict) -> str:
    lines = [
        "# Fleets: many accounts declared at once",
        "",
        "Measured by `benchmarks/fleet.py` through the real CDK provider framework (aws-cdk-lib's",
        "framework JavaScript under Node, the real `bootstrap` behind cargo lambda's emulator, one",
        "function instance per declaration), on the realistic local Organizations: creations of a",
        "fixed time, at most 5 in flight as in AWS, CreateAccount throttled per second as configured.",
        "The quota's limit is ceil(n/5) x creation time: no strategy can finish sooner.",
        "",
        "| label | code | accounts | creation | last answer | quota's limit | ratio | CreateAccount calls (refused or throttled) | per account | Organizations calls per account | throttled |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, entry in runs.items():
        for r in entry["results"]:
            throttled = ", ".join(f"{op} {n}" for op, n in sorted(r["throttled"].items())) or "none"
            lines.append(
                f"| {label} | {entry['commit']} | {r['accounts']} | {r['creation_seconds']:g} s | "
                f"{r['last_answer_seconds']:.1f} s | {r['quota_limit_seconds']:g} s | {r['ratio']:.2f}x | "
                f"{r['create_account_calls']} ({r['create_account_refused']}) | "
                f"{r['create_account_per_account']:.2f} | {r['organizations_calls_per_account']:.1f} | {throttled} |")
    lines += ["", "Organizations calls by operation:", ""]
    for label, entry in runs.items():
        for r in entry["results"]:
            calls = ", ".join(f"{op} {n}" for op, n in sorted(r["calls"].items()))
            lines.append(f"- {label}, {r['accounts']} accounts: {calls}")
    lines += ["", "Runs:", ""]
    for label, entry in runs.items():
        lines.append(f"- {label}: {entry['when']}, {entry['machine']}, {entry['seconds']:.0f} s, "
                     f"throttle `{entry['throttle']}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--sizes", default="100")
    parser.add_argument("--creation-seconds", type=float, default=10.0)
    parser.add_argument("--throttle", default="CreateAccount=5")
    parser.add_argument("--code", help="what code ran, when not the checked-out commit")
    args = parser.parse_args()
    commit = args.code or subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                         capture_output=True, text=True).stdout.strip()
    started = time.time()
    results = run(args.sizes, args.creation_seconds, args.throttle)
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs[args.label] = {
        "commit": commit, "when": time.strftime("%Y-%m-%d"), "seconds": time.time() - started,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "throttle": args.throttle,
        "results": results,
    }
    RESULTS.write_text(json.dumps(runs, indent=1) + "\n")
    REPORT.write_text(report(runs))
    print(REPORT.read_text())


if __name__ == "__main__":
    main()
