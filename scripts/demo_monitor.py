"""The monitoring part of `make demo`: serve the model, replay two kinds of traffic, judge each window.

    python scripts/demo_monitor.py PROJECT

PROJECT is the demo's baked project with a trained, released run. This writes the run's drift
reference (as the release does), starts `serve` on a free loopback port, and sends two windows of
traffic over HTTP: a seeded sample of the train split's texts (like the reference), then only
the billing queue's texts (a shifted label mix). After each window it runs `drift` and `gate --stage monitor` on that
window and prints the verdict: the first passes, the second is blocked on DRIFT-001. It exits 0
whatever the verdicts, and stops the server it started.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BATCH = 8
SHIFTED_QUEUE = "billing"
SAMPLE_ROWS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(port: int, texts: list[str]) -> None:
    body = json.dumps({"texts": texts}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/classify", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()


def wait_ready(port: int, process: subprocess.Popen, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"demo: serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("demo: the service did not become ready")


def stamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(argv: list[str]) -> int:
    project = Path(argv[0]).resolve()
    package = next(p.name for p in (project / "src").iterdir() if (p / "cli.py").is_file())
    cli = [sys.executable, "-m", package, "--project", str(project)]
    loaded = importlib.import_module(f"{package}.specs.project").load_project(project, check_data=False)
    text, label = loaded.data.columns.text, loaded.data.columns.label
    rows = [json.loads(line) for line in (project / loaded.data.splits.train.path).read_text().splitlines() if line]
    like_reference = [row[text] for row in random.Random(7).sample(rows, SAMPLE_ROWS)]
    shifted = [row[text] for row in rows if row[label] == SHIFTED_QUEUE][:SAMPLE_ROWS]

    subprocess.run([*cli, "drift", "--save-reference"], check=True)
    logs = project / "artifacts" / "demo-traffic"
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--logs", str(logs), "--log-flush-s", "0.5"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    verdicts = []
    try:
        wait_ready(port, server)
        for name, texts in (("like the reference", like_reference), ("shifted to the billing queue", shifted)):
            since = stamp()
            for start in range(0, len(texts), BATCH):
                post(port, texts[start : start + BATCH])
            time.sleep(1.5)  # the log is written every 0.5 s
            until = stamp()
            out = project / "artifacts" / f"monitoring-{len(verdicts) + 1}"
            window = ["--since", since, "--now", until]
            print(f"\ndemo: {len(texts)} texts {name}, sent to the service over HTTP; drift and the monitor gate:")
            subprocess.run([*cli, "drift", "--logs", str(logs), *window, "--out", str(out)], check=True)
            gate = subprocess.run(
                [*cli, "gate", "--stage", "monitor", "--drift", str(out / "drift.json"), "--now", until]
            )
            blocking = [r["id"] for r in json.loads((out / "gate.json").read_text())["results"] if r["blocking"]]
            verdicts.append(
                f"traffic {name}: " + ("PASSED" if gate.returncode == 0 else f"BLOCKED on {', '.join(blocking)}")
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    print()
    for line in verdicts:
        print(f"demo: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
