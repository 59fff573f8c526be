"""The serve command: a real ``bentoml serve`` on a loopback port, under concurrent load."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .tiny_run import copy_project, texts, write_run

pytestmark = pytest.mark.slow  # serves a model over HTTP

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: object = None, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body)
        conn.request(method, path, payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """(port, project root, /readyz statuses seen while starting) of `serve` running the tiny run."""
    root = copy_project(tmp_path_factory.mktemp("serve"))
    write_run(root)
    port = free_port()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    log = (root / "serve.log").open("wb")
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "--project", str(root), "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    seen: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not seen or seen[-1] != 200:
            assert process.poll() is None, (root / "serve.log").read_text()
            assert time.monotonic() < deadline, "the service did not become ready"
            with contextlib.suppress(OSError):  # not listening yet
                seen.append(request(port, "GET", "/readyz", timeout=5)[0])
            time.sleep(0.1)
        yield port, root, seen
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its workers: our own process group
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_not_ready_before_the_model_loads(server):
    port, _, seen = server
    assert seen[0] == 503, "the process answers before the model is loaded, and says it is not ready"
    assert request(port, "GET", "/livez")[0] == 200
    status, body = request(port, "POST", "/classify", {"texts": ["where is my parcel"]})
    assert status == 200 and len(json.loads(body)) == 1, "ready means it classifies"


def test_bad_inputs_are_answered_4xx(server):
    port = server[0]
    for body in ({"texts": []}, {"texts": ["x" * 100_000]}, {"texts": ["a"] * 1000}, {"texts": [1]}, {"text": "hi"}):
        status, answer = request(port, "POST", "/classify", body)
        assert status == 400, (body, answer[:200])
        assert b"detail" in answer


def test_300_requests_from_16_clients_get_no_5xx(server):
    port, root, _ = server
    corpus = texts(root, "test")

    def one(i: int) -> tuple[int, int]:
        status, body = request(port, "POST", "/classify", {"texts": [corpus[i % len(corpus)]]})
        return status, len(json.loads(body)) if status == 200 else 0

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(300)))
    assert Counter(status for status, _ in results) == {200: 300}
    assert all(n == 1 for _, n in results)
    status, metrics = request(port, "GET", "/metrics")
    assert status == 200
    served = [
        line for line in metrics.decode().splitlines()
        if line.startswith("bentoml_service_request_total{") and 'endpoint="/classify"' in line
        and 'http_response_code="200"' in line
    ]  # fmt: skip
    assert served and float(served[0].rsplit(" ", 1)[1]) >= 300
    assert "predicted_label_total{" in metrics.decode()


def test_predictions_are_logged_without_raw_text(server):
    port, root, _ = server
    sent = [f"order {n} never arrived, call me on 0207 946 {n:04d}" for n in range(20)]
    for text in sent:
        assert request(port, "POST", "/classify", {"texts": [text]})[0] == 200
    logs = list((root / "artifacts").glob("*/monitoring/predictions/data/*.log"))
    assert logs, "the prediction log is written into the run"
    content = "".join(path.read_text() for path in logs)
    lines = [json.loads(line) for line in content.splitlines()]
    assert len(lines) >= len(sent)
    assert all("text" not in line and len(line["text_sha256"]) == 16 for line in lines)
    assert not any(text in content for text in sent)
