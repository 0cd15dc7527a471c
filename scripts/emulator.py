"""Loopback helpers shared by the package check and the benchmark: free ports, waiting for a
listener, cargo lambda's runtime API emulator, the environment a `bootstrap` needs to serve it,
and one Invoke call."""
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def start_emulator(port):
    """`cargo lambda watch --only-lambda-apis`: the runtime API, without building anything."""
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/cargo-lambda"), "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return process


def function_env(base, port, **extra):
    """The variables a function process needs to take invocations from the emulator on `port`."""
    env = dict(base, AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{port}/.rt", AWS_LAMBDA_FUNCTION_NAME="_",
               AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128")
    env.update(extra)
    return env


def invoke(port, body):
    """One Invoke through the emulator; `body` is bytes or a JSON-serializable value."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/2015-03-31/functions/_/invocations", data=data,
        headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())
