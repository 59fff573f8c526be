"""Memory of the service under oversized uploads: 8 concurrent 200 MB bodies against 127.0.0.1.

Serves MiniLM (as ``serve_throughput.py`` does) through this project's service and sends
``--clients`` uploads of ``--mb`` MB at once, half with ``Content-Length`` and half chunked, each
streamed from a generator so the client never holds a body. It prints the growth of the resident
memory of the server and its workers (peak during the uploads minus before), how many uploads
the server answered 413 (from its /metrics), the wall time, and the target (< 150 MB).

    python benchmarks/serve_memory.py [--clients 8] [--mb 200] [--check]

``--check`` exits 1 when the target is missed. The BentoML stores live in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve_throughput as shared  # noqa: E402  (its MiniLM run and readiness wait)

HOST = shared.HOST
TARGET_MB = 150


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    import psutil

    process = psutil.Process(pid)
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def refused(port: int) -> float:
    """413 answers the server counted on /classify."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("bentoml_service_request_total{")
        and 'endpoint="/classify"' in line
        and 'http_response_code="413"' in line
    )


def upload(port: int, size: int, chunked: bool, chunk: int = 1 << 20) -> bool:
    """Stream ``size`` bytes; True when the server cut the upload off before it was all sent."""
    with socket.create_connection((HOST, port), timeout=120) as sock:
        head = f"POST /classify HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
        block = b"x" * chunk
        try:
            sock.sendall(head.encode())
            for _ in range(size // chunk):
                sock.sendall(b"%x\r\n%s\r\n" % (chunk, block) if chunked else block)
            sock.sendall(b"0\r\n\r\n" if chunked else b"")
        except OSError:
            return True
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent uploads (default: %(default)s)")
    parser.add_argument("--mb", type=int, default=200, help="size of each body in MB (default: %(default)s)")
    parser.add_argument("--port", type=int, default=3918, help="loopback port of the server (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-memory-") as tmp:
        workdir = Path(tmp)
        os.environ["BENTOML_HOME"] = str(workdir / "bentoml")  # before BentoML is imported
        sys.path.insert(0, str(shared.SRC))
        from {{ cookiecutter.package_name }}.serving.build import service_path
        from {{ cookiecutter.package_name }}.serving.config import service_config
        from {{ cookiecutter.package_name }}.serving.guard import body_limit
        from {{ cookiecutter.package_name }}.serving.serve import serve_command
        from {{ cookiecutter.package_name }}.serving.store import save_model
        from {{ cookiecutter.package_name }}.specs.project import load_project

        project = load_project(shared.ROOT)
        run = shared.minilm_run(workdir, list(project.data.labels))
        config = service_config(project, run, save_model(workdir, run, "minilm-benchmark"), monitoring_dir=tmp)
        arg_file = workdir / "service.json"
        arg_file.write_text(json.dumps(config.arguments()), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(shared.SRC)}
        with (workdir / "serve.log").open("wb") as log:
            process = subprocess.Popen(
                serve_command(service_path(project.task), arg_file, shared.ROOT, HOST, args.port),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                shared.wait_ready(args.port, process)
                before_413, before, peak, done = refused(args.port), tree_rss(process.pid), 0, threading.Event()

                def watch() -> None:
                    nonlocal peak
                    while not done.is_set():
                        peak = max(peak, tree_rss(process.pid))
                        time.sleep(0.05)

                watcher = threading.Thread(target=watch)
                watcher.start()
                started = time.perf_counter()
                with ThreadPoolExecutor(args.clients) as pool:
                    cut = list(pool.map(lambda i: upload(args.port, args.mb << 20, i % 2 == 0), range(args.clients)))
                wall = time.perf_counter() - started
                done.set()
                watcher.join()
                answered = refused(args.port) - before_413
            finally:
                process.terminate()
                process.wait(60)

    growth = (peak - before) / 2**20
    print(f"body limit from specs/deployment.yaml: {body_limit(config.limits):,} bytes")
    print(f"{args.clients} concurrent uploads of {args.mb} MB (half chunked) in {wall:.1f} s")
    print(f"server RSS before {before / 2**20:.1f} MB, peak {peak / 2**20:.1f} MB, growth {growth:.1f} MB")
    print(f"answered 413: {answered:.0f} of {args.clients}; cut off before fully sent: {sum(cut)} of {args.clients}")
    ok = growth < TARGET_MB and answered == args.clients
    print(f"RSS growth {growth:.1f} MB   target < {TARGET_MB} MB   {'ok' if ok else 'MISSED'}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
