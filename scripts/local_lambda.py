"""Lambda's asynchronous invocation, in front of cargo lambda's emulator, on 127.0.0.1.

cargo lambda 1.9.2's emulator treats `X-Amz-Invocation-Type: Event` like RequestResponse: the
caller waits until a function has answered (checked: such an invoke with no function polling
blocks until the client gives up). Lambda instead answers 202 at once and runs the invocation
later, which is what a custom resource's hand-off to a later invocation relies on, and how
CloudFormation itself invokes a custom resource's function. This proxy does exactly that: Event
invokes are answered 202 and delivered to the emulator from a thread; everything else passes
through unchanged, except that a function error is answered as Lambda answers it (200 with
X-Amz-Function-Error). The emulator serves its one function as "_" and sends no ARN, so every function
name or ARN in an invoke path is mapped to it (the function knows its own name from
AWS_LAMBDA_FUNCTION_NAME). GET /_local_lambda/stats counts both kinds.

usage: local_lambda.py --port P --emulator http://127.0.0.1:E
"""
import argparse
import collections
import json
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATS = collections.Counter()
LOCK = threading.Lock()


def forward(emulator, path, body, headers):
    request = urllib.request.Request(emulator + path, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=900) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def function_error(body):
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and "errorMessage" in value


class Handler(BaseHTTPRequestHandler):
    emulator = ""

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_local_lambda/stats":
            with LOCK:
                self.reply(200, json.dumps(dict(STATS)).encode(), {"Content-Type": "application/json"})
        else:
            self.reply(404, b"{}")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.path = re.sub(r"^/2015-03-31/functions/[^/]+/invocations", "/2015-03-31/functions/_/invocations", self.path)
        kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        headers = {"Content-Type": "application/json"}
        if kind == "Event":
            with LOCK:
                STATS["event"] += 1
            threading.Thread(target=forward, args=(self.emulator, self.path, body, headers), daemon=True).start()
            self.reply(202, b"", {"X-Amzn-Requestid": "local"})
            return
        with LOCK:
            STATS["request_response"] += 1
        status, answer_headers, answer = forward(self.emulator, self.path, body, headers)
        # A function error: the emulator answers HTTP 500 with the error's payload; Lambda
        # answers 200 with X-Amz-Function-Error, which is what SDK clients read (the CDK
        # provider framework among them).
        if status == 500 and function_error(answer):
            status = 200
            answer_headers = {"Content-Type": "application/json", "X-Amz-Function-Error": "Unhandled"}
        self.reply(status, answer, answer_headers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--emulator", required=True)
    args = parser.parse_args()
    Handler.emulator = args.emulator.rstrip("/")
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
