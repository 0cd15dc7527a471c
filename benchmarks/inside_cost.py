"""What aws-sdk-ec2, aws-sdk-iam and aws-sdk-s3control (the properties done inside the account)
cost the handler: build time, binary size, init and memory, before and after, in one run.

    .venv/bin/python benchmarks/inside_cost.py --before-rev 2100e8b [--after-rev HEAD] [--rounds 10] [--warm 50]

1. Builds the release `bootstrap` of each revision the way it is packaged (`cargo lambda build
   --release --no-default-features --bin bootstrap`), each in a fresh git worktree with a fresh
   target directory, one after the other, and times each build (all dependencies included: what
   a clean CI run pays).
2. Runs both binaries side by side behind cargo lambda's Runtime API emulator against the same
   realistic local endpoint, alternating so that machine noise hits both alike: cold READ
   (process start to first answer), warm READ median, init (cold minus warm median), peak
   resident memory (VmHWM) after the warm READs.
3. With the after binary only: a READ of a model naming the four in-account properties (every
   enabled Region read as the account) and an UPDATE turning EBS encryption on in every Region,
   with the EC2 calls they made per Region.
Writes benchmarks/inside-cost.md and prints it.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from emulator import free_port, function_env, invoke, start_emulator, wait_port  # noqa: E402

CREDS = {"accessKeyId": "AKIAFAKEFAKEFAKE0000", "secretAccessKey": "fake", "sessionToken": "fake"}


def build(rev, workdir):
    """Builds `rev`'s release bootstrap in a fresh worktree and target; (seconds, binary path)."""
    tree = workdir / f"tree-{rev}"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), rev], cwd=ROOT, check=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(workdir / f"target-{rev}"),
               PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/cargo-lambda"), "lambda", "build", "--release", "--no-default-features",
                    "--bin", "bootstrap"], cwd=tree, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    binary = workdir / f"bootstrap-{rev}"
    shutil.copy(workdir / f"target-{rev}" / "lambda" / "bootstrap" / "bootstrap", binary)
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)
    shutil.rmtree(workdir / f"target-{rev}", ignore_errors=True)
    return seconds, binary


def spread(values):
    ms = sorted(v * 1000 for v in values)
    return statistics.median(ms), ms[int(0.1 * (len(ms) - 1))], ms[int(0.9 * (len(ms) - 1))]


def peak_rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024


def zipped_mb(path):
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bootstrap", path.read_bytes())
    return len(out.getvalue()) / 1e6


def stats(endpoint):
    with urllib.request.urlopen(f"{endpoint}/_local_org/stats") as r:
        return json.loads(r.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before-rev", required=True)
    parser.add_argument("--after-rev", default="HEAD")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warm", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="inside-cost-"))
    revs = {"before": args.before_rev, "after": args.after_rev}
    built = {name: build(rev, workdir) for name, rev in revs.items()}

    import boto3

    procs = []
    try:
        org_port = free_port()
        procs.append(subprocess.Popen([sys.executable, str(ROOT / "scripts/local_organizations.py"), "-p", str(org_port),
                                       "--creation-seconds", "0", "--region-enabling-seconds", "0"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(org_port)
        endpoint = f"http://127.0.0.1:{org_port}"
        subprocess.run([sys.executable, str(ROOT / "scripts/local-organization.py"), endpoint], check=True,
                       stdout=subprocess.DEVNULL)
        client = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=CREDS["accessKeyId"], aws_secret_access_key="fake")
        request_id = client.create_account(AccountName="Bench", Email="bench@example.com")["CreateAccountStatus"]["Id"]
        account = client.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]["AccountId"]

        def request(action, props, previous=None):
            data = {"callerCredentials": CREDS, "logicalResourceId": "Bench", "resourceProperties": props}
            if previous is not None:
                data["previousResourceProperties"] = previous
            return {"action": action, "bearerToken": "bench", "region": "us-east-1", "awsAccountId": "123456789012",
                    "resourceType": "AWS::Organizations::Account",
                    "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/1", "requestData": data}

        read = request("READ", {"AccountId": account})
        ports = {name: free_port() for name in built}
        for port in ports.values():
            procs.append(start_emulator(port))
        envs = {name: function_env(os.environ, port, AWS_ENDPOINT_URL=endpoint, RUST_LOG="warn")
                for name, port in ports.items()}

        def spawn(name):
            return subprocess.Popen([str(built[name][1])], env=envs[name], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)

        def answer(name, event=read):
            out = invoke(ports[name], event)
            assert out["status"] == "SUCCESS", (name, out)
            return out

        cold = {name: [] for name in built}
        for _ in range(args.rounds):
            for name in cold:
                started = time.perf_counter()
                process = spawn(name)
                answer(name)
                cold[name].append(time.perf_counter() - started)
                process.kill()
                process.wait()
        warm = {name: [] for name in built}
        running = {name: spawn(name) for name in built}
        procs.extend(running.values())
        for name in warm:
            answer(name)
        for _ in range(args.warm):
            for name in warm:
                started = time.perf_counter()
                answer(name)
                warm[name].append(time.perf_counter() - started)
        rss = {name: peak_rss_mb(p.pid) for name, p in running.items()}

        # The after binary inside the account: an UPDATE turning encryption on everywhere (as the
        # account), then READs of a model naming all four.
        inside = {"AccountId": account, "AccountName": "Bench", "Email": "bench@example.com",
                  "DeleteDefaultVpcs": True, "AccountAlias": "acme-bench", "EbsEncryptionByDefault": True,
                  "S3BlockPublicAccess": True}
        before_calls = stats(endpoint)["calls"]
        started = time.perf_counter()
        event = request("UPDATE", inside, {"AccountId": account, "AccountName": "Bench", "Email": "bench@example.com"})
        while True:
            out = invoke(ports["after"], event)
            if out["status"] != "IN_PROGRESS":
                break
            event = dict(event, callbackContext=out.get("callbackContext"))
        update_seconds = time.perf_counter() - started
        assert out["status"] == "SUCCESS", out
        after_calls = stats(endpoint)["calls"]
        ec2 = {k: after_calls.get(k, 0) - before_calls.get(k, 0) for k in after_calls if k.startswith("EC2.")}
        per_region = {}
        for key, n in ec2.items():
            if "@" in key and n:
                region = key.split("@")[1]
                per_region[region] = per_region.get(region, 0) + n
        inside_reads = []
        for _ in range(10):
            started = time.perf_counter()
            answer("after", request("READ", inside))
            inside_reads.append(time.perf_counter() - started)
    finally:
        for p in reversed(procs):
            p.kill()
            p.wait()

    c = {n: spread(v) for n, v in cold.items()}
    w = {n: spread(v) for n, v in warm.items()}
    init = {n: c[n][0] - w[n][0] for n in c}
    size = {n: built[n][1].stat().st_size / 1e6 for n in built}
    zipped = {n: zipped_mb(built[n][1]) for n in built}
    row = lambda s: f"{s[0]:.1f} ms ({s[1]:.1f}-{s[2]:.1f})"
    ratio = lambda a, b: f"{a / b:.2f}x" if b else "-"
    lines = [
        "# What the in-account SDKs cost",
        "",
        f"Measured by `benchmarks/inside_cost.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}: the release `bootstrap` before ({revs['before']}, without aws-sdk-ec2, "
        f"aws-sdk-iam, aws-sdk-s3control) and after ({revs['after']}), each built from scratch in a fresh worktree "
        "and target directory, then answering the same READ side by side behind cargo lambda's Runtime API "
        f"emulator and the realistic local endpoint: median (p10-p90) of {args.rounds} cold starts and "
        f"{args.warm} warm READs each, alternating. The machine is shared: compare the ratios.",
        "",
        "| measure | before | after | after / before |",
        "|---|---|---|---|",
        f"| release build from scratch (`cargo lambda build --release`) | {built['before'][0]:.0f} s | {built['after'][0]:.0f} s | {ratio(built['after'][0], built['before'][0])} |",
        f"| binary | {size['before']:.1f} MB | {size['after']:.1f} MB | {ratio(size['after'], size['before'])} |",
        f"| zipped | {zipped['before']:.1f} MB | {zipped['after']:.1f} MB | {ratio(zipped['after'], zipped['before'])} |",
        f"| cold READ (process start to first answer) | {row(c['before'])} | {row(c['after'])} | {ratio(c['after'][0], c['before'][0])} |",
        f"| warm READ | {row(w['before'])} | {row(w['after'])} | {ratio(w['after'][0], w['before'][0])} |",
        f"| init (cold minus warm median) | {init['before']:.1f} ms | {init['after']:.1f} ms | {ratio(init['after'], init['before'])} |",
        f"| peak resident memory after {args.warm} READs | {rss['before']:.1f} MB | {rss['after']:.1f} MB | {ratio(rss['after'], rss['before'])} |",
        "",
        "## Inside the account (after only)",
        "",
        f"An UPDATE declaring DeleteDefaultVpcs, AccountAlias, EbsEncryptionByDefault and S3BlockPublicAccess on an "
        f"account with {len(per_region)} enabled Regions took {update_seconds:.2f} s end to end (every Region side by side), "
        f"with these EC2 calls: " + ", ".join(f"{k[4:]} {v}" for k, v in sorted(ec2.items()) if "@" not in k and v) + ".",
        "Per Region: " + ", ".join(f"{r} {n}" for r, n in sorted(per_region.items())) + " EC2 calls.",
        f"A READ of a model naming the four (assume the role, then every Region side by side): "
        f"{row(spread(inside_reads))} over 10, against {w['after'][0]:.1f} ms for a READ that names none.",
        "",
    ]
    (ROOT / "benchmarks" / "inside-cost.md").write_text("\n".join(lines))
    print("\n".join(lines))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
