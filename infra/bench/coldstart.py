"""Cold-start benchmark: a Lambda Runtime API emulator on loopback.

For each function it starts the release binary (or, for the Python peer, the official
runtime interface client) with the environment Lambda gives a function, hands it a sample
event from events/ through the documented /2018-06-01/runtime/invocation/next and
/response protocol, and records over repeated runs: init time (process start → first request
for work), first response (process start → first response), warm response time, and peak
resident memory (VmHWM). Functions that touch storage are pointed at the AWS emulator that
`make bench` starts (AWS_ENDPOINT_URL), provisioned and seeded with the demo data.

Usage: coldstart.py <binaries dir> <runs> <warm invocations>  (prints a markdown table;
FUNCTIONS=a,b limits it to those binaries, beside checkout and the Python peer)
"""

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    """One function instance's Runtime API: events in, responses out, with their times."""

    def __init__(self):
        self.events = []
        self.ready = threading.Condition()
        self.first_next = None
        self.responses = {}
        self.handed = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in separate writes: without this, Nagle's algorithm and
            # the client's delayed ACK add 40 ms to every invocation on loopback.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self.reply(404)
                with api.ready:
                    if api.first_next is None:
                        api.first_next = time.perf_counter()
                    while not api.events:
                        api.ready.wait()
                    request_id, event = api.events.pop(0)
                    api.handed[request_id] = time.perf_counter()
                self.reply(200, event, {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30_000),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:123456789012:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                    "Content-Type": "application/json",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = self.path.split("/")
                if self.path.startswith(f"{PREFIX}/invocation/") and parts[-1] in ("response", "error"):
                    with api.ready:
                        api.responses[parts[-2]] = (time.perf_counter(), parts[-1], body)
                        api.ready.notify_all()
                    return self.reply(202)
                if self.path == f"{PREFIX}/init/error":
                    with api.ready:
                        api.responses["init"] = (time.perf_counter(), "init_error", body)
                        api.ready.notify_all()
                    return self.reply(202)
                self.reply(404)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A function killed at the end of its run drops its connection: expected.
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.server.server_address[1]}"

    def invoke(self, event):
        request_id = str(uuid.uuid4())
        with self.ready:
            self.events.append((request_id, event))
            self.ready.notify_all()
        return request_id

    def wait(self, request_id, timeout=30):
        deadline = time.perf_counter() + timeout
        with self.ready:
            while request_id not in self.responses and "init" not in self.responses:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise TimeoutError(request_id)
                self.ready.wait(remaining)
            if "init" in self.responses:
                raise RuntimeError(f"init error: {self.responses['init'][2][:300]!r}")
        return self.responses[request_id]

    def close(self):
        self.server.shutdown()


def peak_rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_cold_start(command, env, event, warm):
    api = RuntimeApi()
    environment = {**env, "AWS_LAMBDA_RUNTIME_API": api.address}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        first = api.invoke(event)
        done, kind, body = api.wait(first)
        if kind != "response":
            raise RuntimeError(f"{command[0]} answered an error: {body[:300]!r}")
        init_ms = (api.first_next - started) * 1000
        first_ms = (done - started) * 1000
        warm_ms = []
        for _ in range(warm):
            request_id = api.invoke(event)
            done, _, _ = api.wait(request_id)
            warm_ms.append((done - api.handed[request_id]) * 1000)
        rss = peak_rss_kib(process.pid)
        return init_ms, first_ms, statistics.median(warm_ms) if warm_ms else 0.0, rss, json.loads(body or b"null")
    finally:
        process.kill()
        process.wait()
        api.close()


def main():
    binaries, runs, warm = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    manifest = json.loads((ROOT / "events/manifest.json").read_text())
    # One sample per function: the first listed.
    samples = {}
    for sample in manifest["samples"]:
        samples.setdefault(sample["function"], sample["event"])
    env = {
        "PATH": os.environ["PATH"],
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "TABLE_NAME": os.environ.get("TABLE_NAME", "marketplace"),
        "BUCKET_NAME": os.environ.get("BUCKET_NAME", "marketplace-documents"),
        "QUEUE_PREFIX": os.environ.get("QUEUE_PREFIX", ""),
        "PAYMENT_WEBHOOK_SECRET": "bench-webhook-secret",
        # The invitations' sender; the job refuses to start without one, as in the template.
        "MAIL_FROM": "reviews@marketplace.example",
        "RUST_LOG": "warn",
    }
    # Each function's binary, from the template's cargo-lambda metadata: a new function
    # joins the benchmark with its sample event alone.
    template = (ROOT / "template.yaml").read_text()
    binary_of = dict(re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function\n(?:    .*\n)*?        Binary: ([\w-]+)", template, re.M))
    quote_event = (ROOT / "events/checkout/create-quote.json").read_bytes()
    subjects = [(f"checkout (Rust) — POST /quotes", [str(binaries / "checkout")], quote_event)]
    peer = [sys.executable, "-m", "awslambdaric", "quote.handler"]
    subjects.append(("checkout quote (Python peer)", peer, quote_event))
    # FUNCTIONS=a,b measures only those binaries (beside checkout and its peer, to compare).
    only = {f for f in os.environ.get("FUNCTIONS", "").split(",") if f}
    for function, event_file in samples.items():
        if function == "CheckoutFunction" or (only and binary_of[function] not in only):
            continue
        binary = binaries / binary_of[function]
        subjects.append((f"{binary_of[function]} — {event_file}", [str(binary)], (ROOT / "events" / event_file).read_bytes()))

    print("| function — sample | size | init (median) | first response (median) | warm (median) | peak RSS (max) |")
    print("|---|---|---|---|---|---|")
    results = {}
    for name, command, event in subjects:
        peer_env = {**env, "PYTHONPATH": str(ROOT / "infra/bench/python-peer")} if command[0] == sys.executable else env
        samples_ = [one_cold_start(command, peer_env, event, warm) for _ in range(runs)]
        init = statistics.median(s[0] for s in samples_)
        first = statistics.median(s[1] for s in samples_)
        warm_ms = statistics.median(s[2] for s in samples_)
        rss = max(s[3] for s in samples_)
        size = Path(command[0]).stat().st_size if command[0] != sys.executable else 0
        results[name] = (init, rss)
        size_text = f"{size / 1e6:.1f} MB" if size else "(interpreter)"
        print(f"| {name} | {size_text} | {init:.1f} ms | {first:.1f} ms | {warm_ms:.2f} ms | {rss / 1024:.1f} MB |", flush=True)
    rust = results["checkout (Rust) — POST /quotes"]
    python = results["checkout quote (Python peer)"]
    print(f"\nPython peer / Rust checkout: init {python[0] / rust[0]:.0f}× slower, peak memory {python[1] / rust[1]:.1f}× larger")


if __name__ == "__main__":
    main()
