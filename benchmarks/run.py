"""This handler against what a team would write instead, side by side in one run.

    .venv/bin/python benchmarks/run.py [--rounds 10] [--warm 100] [--latency 0 30]
    (after a release build: .venv/bin/cargo-lambda lambda build --release --no-default-features --bin bootstrap)

Both answer the same READ behind cargo lambda's Runtime API emulator, against the same realistic
local Organizations endpoint:
- ours: the release `bootstrap`;
- the peer: benchmarks/peer, a READ handler on the official Python runtime
  (cloudformation-cli-python-lib + boto3) making the same three calls one after another, served
  by a minimal Runtime API loop (benchmarks/peer/runtime_loop.py); its packages are installed into
  benchmarks/peer/.venv on first use.
Measured, alternating between the two so that machine noise hits both alike:
- cold READ: process start to the first answer, `--rounds` times each;
- init: cold READ minus the warm median (what the first invocation costs beyond a warm one);
- warm READ: `--warm` READs against one running process each;
- peak resident memory (VmHWM) of each warm process;
- the bare calls: the same three Organizations calls made directly (boto3), their sum and the
  slowest, for the handler's overhead above them.
With `--latency`, every Organizations answer is delayed by that many milliseconds (AWS's round
trips are tens of milliseconds): READ issues its three calls together, so it approaches the
slowest call rather than the sum. Writes benchmarks/results.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from emulator import free_port, function_env, invoke, start_emulator, wait_port  # noqa: E402

BINARY = ROOT / "target" / "lambda" / "bootstrap" / "bootstrap"
PEER = ROOT / "benchmarks" / "peer"
PEER_PYTHON = PEER / ".venv" / "bin" / "python"


def peer_python():
    if not PEER_PYTHON.is_file():
        venv.create(PEER / ".venv", with_pip=True)
        subprocess.run([str(PEER_PYTHON), "-m", "pip", "install", "--quiet", "-r", str(PEER / "requirements.txt")],
                       check=True)
    return PEER_PYTHON


def control(endpoint, settings):
    request = urllib.request.Request(f"{endpoint}/_local_org/config", data=json.dumps(settings).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    urllib.request.urlopen(request).read()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def spread(values):
    ms = [v * 1000 for v in values]
    return statistics.median(ms), percentile(ms, 10), percentile(ms, 90)


def peak_rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 30])
    args = parser.parse_args()
    if not BINARY.is_file():
        sys.exit(f"{BINARY} missing: build it with cargo lambda build --release --no-default-features --bin bootstrap")
    python = peer_python()

    import boto3

    procs = []
    try:
        org_port = free_port()
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "scripts/local_organizations.py"), "-p", str(org_port),
                                       "--creation-seconds", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(org_port)
        endpoint = f"http://127.0.0.1:{org_port}"
        subprocess.run([sys.executable, str(ROOT / "scripts/local-organization.py"), endpoint], check=True,
                       stdout=subprocess.DEVNULL)
        client = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="AKIAFAKEFAKEFAKE0000", aws_secret_access_key="fake")
        request_id = client.create_account(AccountName="Bench", Email="bench@example.com",
                                           Tags=[{"Key": "team", "Value": "bench"}])["CreateAccountStatus"]["Id"]
        account = client.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]["AccountId"]
        read = {"action": "READ", "bearerToken": "bench", "region": "us-east-1", "awsAccountId": "123456789012",
                "resourceType": "AWS::Organizations::Account",
                "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/1",
                "requestData": {"callerCredentials": {"accessKeyId": "AKIAFAKEFAKEFAKE0000",
                                                      "secretAccessKey": "fake", "sessionToken": "fake"},
                                "logicalResourceId": "Bench", "resourceProperties": {"AccountId": account}}}

        ports = {"ours": free_port(), "peer": free_port()}
        for port in ports.values():
            procs.append(start_emulator(port))
        commands = {"ours": ([str(BINARY)], ROOT),
                    "peer": ([str(python), "runtime_loop.py", "organizations_account_peer.handlers.resource"], PEER)}
        envs = {name: function_env(os.environ, port, AWS_ENDPOINT_URL=endpoint, RUST_LOG="warn",
                                   AWS_DEFAULT_REGION="us-east-1")
                for name, port in ports.items()}

        def spawn(name):
            command, cwd = commands[name]
            return subprocess.Popen(command, cwd=cwd, env=envs[name], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)

        def answer(name):
            event = invoke(ports[name], read)
            assert event["status"] == "SUCCESS", (name, event)
            assert event["resourceModel"]["AccountId"] == account, (name, event)

        results = {}
        for latency in args.latency:
            control(endpoint, {"latency_ms": latency})
            cold = {"ours": [], "peer": []}
            for _ in range(args.rounds):
                for name in cold:
                    started = time.perf_counter()
                    process = spawn(name)
                    answer(name)
                    cold[name].append(time.perf_counter() - started)
                    process.kill()
                    process.wait()
            warm = {"ours": [], "peer": []}
            running = {name: spawn(name) for name in warm}
            procs.extend(running.values())
            for name in warm:
                answer(name)
            bare_sum, bare_max = [], []
            for _ in range(args.warm):
                for name in warm:
                    started = time.perf_counter()
                    answer(name)
                    warm[name].append(time.perf_counter() - started)
                calls = []
                for call in (lambda: client.describe_account(AccountId=account),
                             lambda: client.list_parents(ChildId=account),
                             lambda: client.list_tags_for_resource(ResourceId=account)):
                    started = time.perf_counter()
                    call()
                    calls.append(time.perf_counter() - started)
                bare_sum.append(sum(calls))
                bare_max.append(max(calls))
            rss = {name: peak_rss_mb(p.pid) for name, p in running.items()}
            for p in running.values():
                p.kill()
                p.wait()
            results[latency] = {"cold": cold, "warm": warm, "rss": rss, "bare_sum": bare_sum, "bare_max": bare_max}
    finally:
        for p in reversed(procs):
            p.kill()
            p.wait()

    data = BINARY.read_bytes()
    zipped = BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bootstrap", data)
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `benchmarks/run.py` on {platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}: "
        "this handler (release `bootstrap`) and the peer (official Python runtime, cloudformation-cli-python-lib + boto3, "
        "same three calls one after another) answering the same READ, side by side behind cargo lambda's Runtime API "
        "emulator and the same realistic local Organizations. Times are median (p10-p90) over "
        f"{args.rounds} cold starts and {args.warm} warm READs each, alternating; the ratios are the figures to compare "
        "across machines. \"Latency\" delays every Organizations answer as AWS's round trips do.",
        "",
        f"Release `bootstrap`: {len(data) / 1e6:.1f} MB, {len(zipped.getvalue()) / 1e6:.1f} MB zipped.",
        "",
    ]
    for latency, r in results.items():
        cold = {n: spread(v) for n, v in r["cold"].items()}
        warm = {n: spread(v) for n, v in r["warm"].items()}
        init = {n: cold[n][0] - warm[n][0] for n in cold}
        bare_sum = statistics.median(r["bare_sum"]) * 1000
        bare_max = statistics.median(r["bare_max"]) * 1000
        row = lambda s: f"{s[0]:.1f} ms ({s[1]:.1f}-{s[2]:.1f})"
        lines += [
            f"## Latency {latency} ms per Organizations call",
            "",
            "| measure | this handler | peer (Python) | peer / this |",
            "|---|---|---|---|",
            f"| cold READ: process start to first answer | {row(cold['ours'])} | {row(cold['peer'])} | {cold['peer'][0] / cold['ours'][0]:.1f}x |",
            f"| init (cold minus warm median) | {init['ours']:.1f} ms | {init['peer']:.1f} ms | {init['peer'] / max(init['ours'], 0.1):.1f}x |",
            f"| warm READ | {row(warm['ours'])} | {row(warm['peer'])} | {warm['peer'][0] / warm['ours'][0]:.1f}x |",
            f"| peak resident memory | {r['rss']['ours']:.1f} MB | {r['rss']['peer']:.1f} MB | {r['rss']['peer'] / r['rss']['ours']:.1f}x |",
            f"| warm READ above the slowest bare call ({bare_max:.1f} ms) | {warm['ours'][0] - bare_max:.1f} ms | {warm['peer'][0] - bare_max:.1f} ms | |",
            f"| warm READ above the sum of the three bare calls ({bare_sum:.1f} ms) | {warm['ours'][0] - bare_sum:.1f} ms | {warm['peer'][0] - bare_sum:.1f} ms | |",
            "",
        ]
    (ROOT / "benchmarks" / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
