"""Cold start and memory of the release `bootstrap`, measured side by side in one run.

    .venv/bin/python benchmarks/run.py [--rounds 10] [--warm 200]   (after a release build:
    .venv/bin/cargo-lambda lambda build --release --bin bootstrap)

Against the local Organizations endpoint (moto) behind cargo lambda's runtime API emulator:
- cold: a fresh `bootstrap` process per round, time from spawn to the answer of its first READ
  (process start, configuration load, first connection, three Organizations calls);
- warm: READs against one running process, each timed;
- memory: the process's peak resident set (VmHWM) after all warm calls.
Ratios (cold / warm median) come from the same run, so machine noise affects both sides alike.
Writes benchmarks/results.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from emulator import free_port, function_env, invoke, start_emulator, wait_port  # noqa: E402

BINARY = ROOT / "target" / "lambda" / "bootstrap" / "bootstrap"




def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warm", type=int, default=200)
    args = parser.parse_args()
    if not BINARY.is_file():
        sys.exit(f"{BINARY} missing: build it with cargo lambda build --release --bin bootstrap")

    procs = []
    try:
        moto_port = free_port()
        procs.append(subprocess.Popen([str(ROOT / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(moto_port)
        moto = f"http://127.0.0.1:{moto_port}"
        subprocess.run([sys.executable, str(ROOT / "scripts/local-organization.py"), moto], check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([str(ROOT / "target/debug/cfn-driver"), "--action", "CREATE", "--time-scale", "0",
                                  "--properties", json.dumps({"AccountName": "Bench", "Email": "bench@example.com"})],
                                 env=dict(os.environ, AWS_ENDPOINT_URL=moto), check=True, capture_output=True, text=True)
        account = json.loads(created.stdout)["resourceModel"]["AccountId"]

        port = free_port()
        procs.append(start_emulator(port))
        env = function_env(os.environ, port, AWS_ENDPOINT_URL=moto, RUST_LOG="warn")
        read = {"action": "READ", "bearerToken": "bench", "region": "us-east-1",
                "requestData": {"callerCredentials": {"accessKeyId": "AKIAFAKEFAKEFAKE0000",
                                                      "secretAccessKey": "fake", "sessionToken": "fake"},
                                "logicalResourceId": "Bench", "resourceProperties": {"AccountId": account}}}

        cold = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            function = subprocess.Popen([str(BINARY)], env=env, stdout=subprocess.DEVNULL)
            event = invoke(port, read)
            cold.append(time.perf_counter() - started)
            assert event["status"] == "SUCCESS", event
            function.kill()
            function.wait()

        function = subprocess.Popen([str(BINARY)], env=env, stdout=subprocess.DEVNULL)
        procs.append(function)
        invoke(port, read)
        warm = []
        for _ in range(args.warm):
            started = time.perf_counter()
            event = invoke(port, read)
            warm.append(time.perf_counter() - started)
            assert event["status"] == "SUCCESS", event
        status = Path(f"/proc/{function.pid}/status").read_text()
        peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    finally:
        for p in reversed(procs):
            p.kill()
            p.wait()

    cold_ms = statistics.median(cold) * 1000
    warm_ms = statistics.median(warm) * 1000
    size_mb = BINARY.stat().st_size / 1e6
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `benchmarks/run.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}; local moto endpoint behind cargo lambda's runtime API emulator.",
        "Absolute times include moto (Python) answering three calls per READ; the ratio is the",
        "figure to compare across machines.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| release bootstrap size | {size_mb:.1f} MB |",
        f"| cold start to first READ answered (median of {args.rounds}) | {cold_ms:.1f} ms |",
        f"| warm READ (median of {args.warm}) | {warm_ms:.1f} ms |",
        f"| cold / warm ratio | {cold_ms / warm_ms:.1f}x |",
        f"| peak resident memory after {args.warm + 1} READs | {peak_kb / 1024:.1f} MB |",
        f"| share of the SAM template's 128 MB | {peak_kb / 1024 / 128 * 100:.0f}% |",
        "",
    ]
    (ROOT / "benchmarks" / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
