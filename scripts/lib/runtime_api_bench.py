#!/usr/bin/env python3
"""Invoke-to-response of a 10,000-record Kinesis event through a fake Lambda
Runtime API on 127.0.0.1, for the release `processor` binary and for
Powertools for AWS Lambda (Python) `BatchProcessor` doing the same work, side
by side in one run (machines here are noisy: only figures from one run compare).

The fake Runtime API serves `GET /2018-06-01/runtime/invocation/next` (the
event, with the Runtime API's headers) and takes
`POST /2018-06-01/runtime/invocation/{id}/response` (or `/error`). An
invocation is timed from just before the event is written to the function
until the whole answer has been read: what Lambda bills, minus its own
overhead. Both functions run at once, each behind its own fake API, and
are invoked in turn, one invocation each per round (who goes first
alternates), so that both see the same moments of a noisy machine. There are
`--warmup` unmeasured rounds, then `--runs` measured ones; medians count, and
each round's ratio is reported too.

For the processor the time is split with its own debug lines: `event read`
(`read_us`, the event's bytes to a batch), `batch processed` (`process_us`,
the batch helper's loop) and `invocation answered` (`invocation_us`, from
having the event's bytes to having posted the answer):
- hand-off: total - invocation_us (the event through the Runtime API);
- deserialisation: read_us;
- processing: process_us;
- response: invocation_us - read_us - process_us (the answer serialised and
  posted, and the runtime's own work around the handler).

Peak RSS is each process's VmHWM after the runs. Prints `result:` lines.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import threading
import time

API = "/2018-06-01/runtime"
HERE = os.path.dirname(os.path.abspath(__file__))
ELEMENTS = [
    (1, "Hydrogen", "H", 1.008),
    (2, "Helium", "He", 4.0026),
    (3, "Lithium", "Li", 6.94),
    (4, "Beryllium", "Be", 9.0122),
    (5, "Boron", "B", 10.811),
    (6, "Carbon", "C", 12.011),
    (7, "Nitrogen", "N", 14.007),
    (8, "Oxygen", "O", 15.999),
    (9, "Fluorine", "F", 18.998),
    (10, "Neon", "Ne", 20.18),
]


def make_event(count):
    """A real-shaped Kinesis event of valid elements, 56-digit sequence numbers."""
    records = []
    for i in range(count):
        number, name, symbol, mass = ELEMENTS[i % len(ELEMENTS)]
        element = json.dumps(
            {"AtomicNumber": number, "Element": name, "Symbol": symbol, "AtomicMass": mass},
            separators=(",", ":"),
        )
        sequence_number = f"4965695925209453244739117821838627129840653243{i:010d}"
        records.append({
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "periodic-table",
                "sequenceNumber": sequence_number,
                "data": base64.b64encode(element.encode()).decode(),
                # Epoch seconds with milliseconds, as the ESM writes them:
                # three decimals, not a float sum's 1795428897.5140002.
                "approximateArrivalTimestamp": (1795428897512 + i) / 1000,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"shardId-000000000000:{sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/streamdlq-processor-role",
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/streamdlq-demo",
        })
    return json.dumps({"Records": records}, separators=(",", ":")).encode()


class FakeRuntimeApi(http.server.ThreadingHTTPServer):
    """One function's Runtime API: events in, answers out, timed."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.events = queue.Queue()
        self.answers = queue.Queue()
        self.sent_at = {}
        self.counter = 0
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        # The function is terminated after the runs, mid long-poll.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def address(self):
        return f"127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != f"{API}/invocation/next":
            self.send_error(404)
            return
        event = self.server.events.get()
        with self.server.lock:
            self.server.counter += 1
            request_id = f"bench-{self.server.counter}"
        deadline = int(time.time() * 1000) + 900_000
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(event)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench",
        )
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.server.sent_at[request_id] = time.perf_counter_ns()
        self.end_headers()
        self.wfile.write(event)
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answered = time.perf_counter_ns()
        parts = self.path.split("/")
        # /2018-06-01/runtime/invocation/{id}/response|error, or /init/error
        if len(parts) == 6 and parts[3] == "invocation":
            request_id, kind = parts[4], parts[5]
            started = self.server.sent_at.pop(request_id, answered)
            self.server.answers.put((kind, answered - started, body))
        else:
            self.server.answers.put(("init-error", 0, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def template_environment():
    """The processor's environment in infra/template.yaml that changes how
    it runs (its malloc setting), so the binary is measured as deployed."""
    with open(os.path.join(HERE, "../../infra/template.yaml")) as text:
        found = re.search(r"^\s*GLIBC_TUNABLES:\s*(\S+)", text.read(), re.MULTILINE)
    if not found:
        sys.exit("infra/template.yaml: the processor's GLIBC_TUNABLES is missing")
    return {"GLIBC_TUNABLES": found.group(1)}


def lines_of(stream, into):
    for line in stream:
        into.put(line)


class Function:
    """One function process behind its own fake Runtime API."""

    def __init__(self, name, command, env):
        self.name = name
        self.api = FakeRuntimeApi()
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        env = dict(env, AWS_LAMBDA_RUNTIME_API=self.api.address)
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.logs = queue.Queue()
        threading.Thread(target=lines_of, args=(self.process.stdout, self.logs), daemon=True).start()

    def invoke(self, event):
        """One invocation; its invoke-to-response time in ns."""
        self.api.events.put(event)
        kind, elapsed, body = self.api.answers.get(timeout=120)
        if kind != "response":
            sys.exit(f"{self.name}: {kind}: {body[:500]!r}")
        answer = json.loads(body)
        if answer != {"batchItemFailures": []}:
            sys.exit(f"{self.name}: unexpected answer {str(answer)[:200]}")
        return elapsed

    def stop(self):
        """Stops the function; its peak RSS (KiB) and its log lines."""
        # The function logs its last timing line after the answer's post
        # returns: give it that moment before stopping it.
        time.sleep(0.3)
        try:
            rss_kib = peak_rss_kib(self.process.pid)
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.api.shutdown()
        return rss_kib, drain(self.logs)


def run_side_by_side(functions, event, warmup, runs):
    """Invokes the functions in turn, one invocation each per round, so
    that both see the same moments of a noisy machine; returns each one's
    measured times (ns), peak RSS (KiB) and logs."""
    totals = {function.name: [] for function in functions}
    try:
        for i in range(warmup + runs):
            # Alternate who goes first, so neither always follows the other.
            order = functions if i % 2 == 0 else functions[::-1]
            for function in order:
                elapsed = function.invoke(event)
                if i >= warmup:
                    totals[function.name].append(elapsed)
    finally:
        stopped = {function.name: function.stop() for function in functions}
    return {name: (totals[name], *stopped[name]) for name in totals}


def drain(logs):
    out = []
    while True:
        try:
            out.append(logs.get_nowait())
        except queue.Empty:
            return out


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def logged(lines, message, field):
    values = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        fields = entry.get("fields", {})
        if fields.get("message") == message and field in fields:
            values.append(int(fields[field]))
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processor", required=True, help="the release processor binary")
    parser.add_argument("--powertools-python", help="python with aws-lambda-powertools")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    event = make_event(args.records)
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
    }
    mib = len(event) / 1024 / 1024
    print(f"event: {args.records} records, {len(event)} bytes ({mib:.1f} MiB); "
          f"{args.warmup} warm-up and {args.runs} measured invocations each")

    rust_env = dict(base_env, RUST_LOG="info,processor::timing=debug", **template_environment())
    functions = [Function("processor", [args.processor], rust_env)]
    if args.powertools_python:
        handler = os.path.join(HERE, "powertools_bench.py")
        functions.append(
            Function("powertools", [args.powertools_python, handler], base_env)
        )
    results = run_side_by_side(functions, event, args.warmup, args.runs)
    totals, rss, logs = results["processor"]
    read_us = logged(logs, "event read", "read_us")[args.warmup:]
    process_us = logged(logs, "batch processed", "process_us")[args.warmup:]
    invocation_us = logged(logs, "invocation answered", "invocation_us")[args.warmup:]
    total_ms = statistics.median(totals) / 1e6
    rust_rate = args.records / (total_ms / 1000)
    print(f"result: processor (Rust) invoke-to-response {total_ms:.2f} ms median, "
          f"{rust_rate / 1e6:.2f} M records/s, peak RSS {rss / 1024:.1f} MiB")
    if len(read_us) == len(process_us) == len(totals) == len(invocation_us):
        handoff = statistics.median(
            t / 1e3 - inv for t, inv in zip(totals, invocation_us)
        )
        reading = statistics.median(read_us)
        processing = statistics.median(process_us)
        response = statistics.median(
            inv - r - p for inv, r, p in zip(invocation_us, read_us, process_us)
        )
        print(f"result: processor breakdown (medians): Runtime API hand-off {handoff / 1e3:.2f} ms, "
              f"deserialisation {reading / 1e3:.2f} ms, processing {processing / 1e3:.2f} ms, "
              f"response {response / 1e3:.2f} ms")
    else:
        print(f"breakdown unavailable: {len(read_us)} read lines, {len(process_us)} process lines, "
              f"{len(invocation_us)} invocation lines for {len(totals)} runs")

    if args.powertools_python:
        py_totals, py_rss, _ = results["powertools"]
        py_ms = statistics.median(py_totals) / 1e6
        py_rate = args.records / (py_ms / 1000)
        print(f"result: Powertools (Python) BatchProcessor invoke-to-response {py_ms:.2f} ms median, "
              f"{py_rate / 1e3:.0f} k records/s, peak RSS {py_rss / 1024:.1f} MiB")
        # Each round's two invocations ran moments apart: their ratio is
        # the comparison least moved by the machine's noise.
        ratios = sorted(py / rust for py, rust in zip(py_totals, totals))
        print(f"result: processor vs Powertools: {py_ms / total_ms:.1f}x the throughput "
              f"(ratio of medians); per round median {statistics.median(ratios):.1f}x, "
              f"lowest {ratios[0]:.1f}x, highest {ratios[-1]:.1f}x")


if __name__ == "__main__":
    main()
