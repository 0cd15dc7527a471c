"""Checks a registration package: its handler archive holds an executable `bootstrap` that
starts under the Lambda runtime API emulator and answers a request with a ProgressEvent.

    .venv/bin/python scripts/package_check.py build/acme-organizations-account.zip
"""
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit(f"nothing listens on {port}")


def main():
    package = Path(sys.argv[1])
    with zipfile.ZipFile(package) as outer:
        names = set(outer.namelist())
        for required in ("schema.json", ".rpdk-config", "ResourceProvider.zip"):
            assert required in names, f"{package} lacks {required}: {sorted(names)}"
        schema = json.loads(outer.read("schema.json"))
        work = Path(tempfile.mkdtemp())
        inner = work / "ResourceProvider.zip"
        inner.write_bytes(outer.read("ResourceProvider.zip"))
    with zipfile.ZipFile(inner) as handler:
        info = handler.getinfo("bootstrap")
        assert (info.external_attr >> 16) & stat.S_IXUSR, "bootstrap is not executable in the archive"
        handler.extract("bootstrap", work)
    binary = work / "bootstrap"
    binary.chmod(0o755)

    port = free_port()
    emulator = subprocess.Popen(
        [str(ROOT / ".venv/bin/cargo-lambda"), "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    try:
        wait_port(port)
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{port}/.rt", AWS_LAMBDA_FUNCTION_NAME="_",
                   AWS_LAMBDA_FUNCTION_VERSION="1", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128")
        function = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL)
        try:
            body = (ROOT / "events" / "09-invalid-email.failed-invalid-request.json").read_bytes()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/2015-03-31/functions/_/invocations", data=body,
                headers={"content-type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=60) as response:
                event = json.loads(response.read())
        finally:
            function.kill()
            function.wait()
    finally:
        emulator.kill()
        emulator.wait()
    assert event.get("status") == "FAILED" and event.get("errorCode") == "InvalidRequest", event
    print(f"{package}: {schema['typeName']}, bootstrap {binary.stat().st_size} bytes starts and answers: "
          f"{event['status']} {event['errorCode']}: {event['message']}")


if __name__ == "__main__":
    main()
