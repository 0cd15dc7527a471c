"""When does the AccountId first reach CloudFormation, and at what cost?

    .venv/bin/python benchmarks/create_window.py      (after: cargo build --bin cfn-driver)

Each scenario gets its own realistic local Organizations (scripts/local_organizations.py), all
running side by side in one run. The driver plays CloudFormation with real callback delays
(--time-scale 1) and a Lambda function timeout of 60 s (each invocation's deadline), so what it
prints is what CloudFormation would see:
- single creations taking 5, 20, 45 and 90 s: when the first event carrying AccountId arrives,
  whether that is within CloudFormation's 60-second window, how many invocations the create
  takes, and how many Organizations calls (counted by the endpoint);
- fleets declared at once without DependsOn (5, 6, 10 and 12 accounts, creations of 20 s, at most 5
  in flight as in AWS): how many get their AccountId within the window.
Writes benchmarks/create-window.md.
"""
import concurrent.futures
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from emulator import free_port, wait_port  # noqa: E402

DRIVER = ROOT / "target" / "debug" / "cfn-driver"
LINE = re.compile(r"^\[\s*([0-9.]+)s\] CREATE (\w+)")
WINDOW = 60.0


def endpoint(creation_seconds):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts/local_organizations.py"), "-p", str(port),
         "--creation-seconds", str(creation_seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    url = f"http://127.0.0.1:{port}"
    subprocess.run([sys.executable, str(ROOT / "scripts/local-organization.py"), url], check=True,
                   stdout=subprocess.DEVNULL)
    return proc, url


def calls(url):
    with urllib.request.urlopen(url + "/_local_org/stats") as r:
        return json.load(r)["calls"]


def create(url, name, logical):
    props = {"AccountName": name, "Email": f"{logical.lower()}@example.com"}
    out = subprocess.run(
        [str(DRIVER), "--action", "CREATE", "--time-scale", "1", "--function-timeout", "60",
         "--logical-id", logical, "--properties", json.dumps(props)],
        env=dict(os.environ, AWS_ENDPOINT_URL=url), capture_output=True, text=True)
    lines = [l for l in out.stderr.splitlines() if LINE.match(l)]
    first_id = next((float(LINE.match(l).group(1)) for l in lines if "account=" in l), None)
    first = float(LINE.match(lines[0]).group(1)) if lines else None
    return {"ok": out.returncode == 0, "first_event": first, "first_id": first_id,
            "invocations": len(lines), "total": float(LINE.match(lines[-1]).group(1)) if lines else None}


def single(creation_seconds):
    proc, url = endpoint(creation_seconds)
    try:
        before = sum(calls(url).values())
        result = create(url, f"Single {creation_seconds}", f"Single{creation_seconds}")
        org_calls = calls(url)
        result["org_calls"] = sum(org_calls.values()) - before
        result["describe_polls"] = org_calls.get("DescribeCreateAccountStatus", 0)
        result["creation_seconds"] = creation_seconds
        return result
    finally:
        proc.terminate()


def fleet(size, creation_seconds):
    proc, url = endpoint(creation_seconds)
    try:
        before = calls(url)
        with concurrent.futures.ThreadPoolExecutor(size) as pool:
            results = list(pool.map(lambda i: create(url, f"Fleet {i}", f"Fleet{size}x{i}"), range(size)))
        counted = calls(url)
        return {"size": size, "creation_seconds": creation_seconds, "results": results,
                "create_calls": counted.get("CreateAccount", 0),
                "org_calls": sum(n - before.get(op, 0) for op, n in counted.items() if "." not in op)}
    finally:
        proc.terminate()


def main():
    if not DRIVER.is_file():
        sys.exit(f"{DRIVER} missing: cargo build --bin cfn-driver")
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        singles = [pool.submit(single, s) for s in (5, 20, 45, 90)]
        fleets = [pool.submit(fleet, n, 20) for n in (5, 6, 10, 12)]
        singles = [f.result() for f in singles]
        fleets = [f.result() for f in fleets]
    fmt = lambda v: "-" if v is None else f"{v:.1f} s"
    out = [
        "# Create: when the AccountId reaches CloudFormation",
        "",
        f"Measured by `benchmarks/create_window.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}, in {time.time() - started:.0f} s: the driver in-process with real "
        "callback delays and a 60 s function timeout, each scenario on its own realistic local "
        "Organizations, all side by side.",
        "",
        "## One account",
        "",
        "| creation takes | first answer | AccountId first reaches CloudFormation | within 60 s | invocations | Organizations calls (of them DescribeCreateAccountStatus) | create done |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in singles:
        within = r["first_id"] is not None and r["first_id"] <= WINDOW
        out.append(f"| {r['creation_seconds']} s | {fmt(r['first_event'])} | {fmt(r['first_id'])} | "
                   f"{'yes' if within else 'no'} | {r['invocations']} | {r['org_calls']} ({r['describe_polls']}) | "
                   f"{fmt(r['total']) if r['ok'] else 'FAILED'} |")
    out += ["", "## Accounts declared at once (no DependsOn), creations of 20 s, at most 5 in flight", "",
            "| accounts | AccountId within 60 s | slowest AccountId | CreateAccount calls (refusals waited out) | Organizations calls | all created |",
            "|---|---|---|---|---|---|"]
    for f in fleets:
        ids = [r["first_id"] for r in f["results"]]
        within = sum(1 for t in ids if t is not None and t <= WINDOW)
        slowest = max((t for t in ids if t is not None), default=None)
        out.append(f"| {f['size']} | {within} of {f['size']} | {fmt(slowest)} | {f['create_calls']} | "
                   f"{f['org_calls']} | {'yes' if all(r['ok'] for r in f['results']) else 'no'} |")
    (ROOT / "benchmarks" / "create-window.md").write_text("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
