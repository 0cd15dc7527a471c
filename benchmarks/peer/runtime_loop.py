"""A minimal Lambda Runtime API client for the peer handler: next invocation, call the
handler, post its answer; the same three calls awslambdaric makes. (awslambdaric's native client
cannot take the `/.rt` path cargo lambda's emulator serves the Runtime API under: it crashes.)

    AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:PORT/.rt python runtime_loop.py module.attribute
"""
import importlib
import json
import os
import sys
import time
import urllib.request

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = (API if API.startswith("http") else f"http://{API}") + "/2018-06-01/runtime/invocation"


class Context:
    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "peer")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def main():
    module, attribute = sys.argv[1].rsplit(".", 1)
    handler = getattr(importlib.import_module(module), attribute)
    while True:
        with urllib.request.urlopen(f"{BASE}/next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            deadline = int(r.headers.get("Lambda-Runtime-Deadline-Ms") or 0)
            # cargo lambda sends a duration here, not an epoch time.
            if deadline < time.time() * 1000:
                deadline = int(time.time() * 1000) + 60_000
            event = json.loads(r.read())
        answer = handler(event, Context(request_id, deadline))
        body = json.dumps(answer).encode()
        urllib.request.urlopen(urllib.request.Request(f"{BASE}/{request_id}/response", data=body, method="POST")).read()


if __name__ == "__main__":
    main()
