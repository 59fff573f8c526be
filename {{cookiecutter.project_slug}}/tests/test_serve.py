"""The serve command: a real ``bentoml serve`` on a loopback port, under concurrent load and hostile uploads.

The tests share one server and run in file order; the last one stops it with SIGTERM.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.serving.guard import body_limit
from {{ cookiecutter.package_name }}.specs.project import load_project

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
    """(port, project root, /readyz statuses seen while starting, the serve process) of `serve` running the tiny run."""
    root = copy_project(tmp_path_factory.mktemp("serve"))
    write_run(root)
    port = free_port()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    log = (root / "serve.log").open("wb")
    command = [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}",
        "--project",
        str(root),
        "serve",
        "--port",
        str(port),
        "--log-flush-s",
        "0.5",
    ]
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
        yield port, root, seen, process
    finally:
        with contextlib.suppress(ProcessLookupError):  # the last test stops it
            os.killpg(process.pid, signal.SIGTERM)  # the server and its workers: our own process group
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_not_ready_before_the_model_loads(server):
    port, _, seen, _ = server
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
    port, root, _, _ = server
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
    port, root, _, _ = server
    sent = [f"order {n} never arrived, call me on 0207 946 {n:04d}" for n in range(20)]
    for text in sent:
        assert request(port, "POST", "/classify", {"texts": [text]})[0] == 200
    deadline = time.monotonic() + 30
    while True:  # parts are written every 0.5 s (--log-flush-s)
        logs = list((root / "artifacts").glob("*/monitoring/predictions/*/*.jsonl"))
        content = "".join(path.read_text() for path in logs)
        lines = [json.loads(line) for line in content.splitlines()]
        if len(lines) >= len(sent) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(lines) >= len(sent), "the prediction log is written into the run"
    assert all("text" not in line and len(line["input_sha256"]) == 16 for line in lines)
    assert all(line["task"] == "text-classification" and line["error"] is None for line in lines)
    assert not any(text in content for text in sent)


def group_processes(pgid: int) -> list[int]:
    """The ids of the live processes in process group ``pgid`` (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
                found.append(int(stat.parent.name))
    return found


def group_rss(pgid: int) -> int:
    """Resident memory of every process in group ``pgid``, in bytes."""
    total = 0
    for pid in group_processes(pgid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def answered(port: int, code: int) -> float:
    """How many /classify requests the server counted with status ``code`` (its /metrics)."""
    metrics = request(port, "GET", "/metrics")[1].decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
        if line.startswith("bentoml_service_request_total{") and 'endpoint="/classify"' in line
        and f'http_response_code="{code}"' in line
    )  # fmt: skip


def upload(port: int, size: int, chunked: bool, chunk: int = 1 << 20) -> str:
    """Send a ``size``-byte body from a generator (never held whole); return the status, or how the server cut it."""
    sock = socket.create_connection((HOST, port), timeout=60)
    try:
        head = f"POST /classify HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
        sock.sendall(head.encode())
        block = b"x" * chunk
        for _ in range(size // chunk):
            sock.sendall(b"%x\r\n%s\r\n" % (chunk, block) if chunked else block)
        sock.sendall(b"0\r\n\r\n" if chunked else b"")
    except OSError as err:  # the server answered and closed while we were still sending
        cut = type(err).__name__
    else:
        cut = "sent whole"
    try:
        answer = sock.recv(64).decode("latin-1")
        return answer.split(" ", 2)[1] if answer.startswith("HTTP/1.1 ") else cut
    except OSError:
        return cut
    finally:
        sock.close()


def test_eight_200_mb_uploads_are_refused_in_bounded_memory(server):
    """8 concurrent 200 MB bodies (half chunked) grow the server's memory by less than 150 MB, and get 413."""
    port, _, _, process = server
    refused = answered(port, 413)
    before, peak, done = group_rss(process.pid), 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, group_rss(process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda i: upload(port, 200 << 20, chunked=i % 2 == 0), range(8)))
    finally:
        done.set()
        watcher.join()
    growth = (peak - before) / 2**20
    print(f"server RSS {before / 2**20:.1f} MB before, peak {peak / 2**20:.1f} MB under 8 concurrent 200 MB uploads")
    assert before > 100 * 2**20, "the server and its workers are measured (torch alone takes more)"
    assert growth < 150, f"RSS grew {growth:.1f} MB"
    assert "sent whole" not in outcomes, outcomes
    assert answered(port, 413) == refused + 8, "each one is answered 413 (the client may miss it: it is cut off)"
    assert request(port, "POST", "/classify", {"texts": ["still serving"]})[0] == 200


CORPUS = Path(__file__).parent / "corpora" / "requests.jsonl"


def hostile_requests() -> list[dict]:
    """The hostile-request corpus: one JSON object per line.

    ``method``, ``path``, ``headers`` and the expected ``status``, and the body as one of: ``body``
    (text, sent as UTF-8), ``json`` (an object, sent as JSON), ``json_texts`` (``{"count", "chars",
    "char", "ascii"}``: that many texts of that many characters), ``body_nesting`` (a list nested
    that deep) or ``body_size`` (bytes of filler; ``chunked`` sends it without Content-Length).
    Counts may name a limit: ``max_items``, ``max_text_chars`` or ``limit`` (the body limit), with
    ``+N`` or a ``N*`` factor.
    """
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _amount(value: int | str, names: dict[str, int]) -> int:
    if isinstance(value, int):
        return value
    factor, _, rest = value.rpartition("*")
    name, _, plus = rest.partition("+")
    return (int(factor) if factor else 1) * names[name] + (int(plus) if plus else 0)


def request_body(case: dict, names: dict[str, int]):
    """The bytes (or, for a chunked case, a generator of chunks) that ``case`` sends."""
    if "json" in case:
        return json.dumps(case["json"]).encode()
    if "json_texts" in case:
        spec = case["json_texts"]
        text = spec.get("char", "x") * _amount(spec["chars"], names)
        texts = [text] * _amount(spec["count"], names)
        return json.dumps({"texts": texts}, ensure_ascii=spec.get("ascii", True)).encode()
    if "body_nesting" in case:
        depth = case["body_nesting"]
        return ('{"texts": ' + "[" * depth + "]" * depth + "}").encode()
    if "body_size" in case:
        size = _amount(case["body_size"], names)
        if case.get("chunked"):
            return (b"x" * min(65536, size - sent) for sent in range(0, size, 65536))
        return b"x" * size
    return case.get("body", "").encode("utf-8") if "body" in case else None


def send(port: int, case: dict, body) -> tuple[int | None, bytes]:
    """(status, body) of ``case``; status ``None`` when the server cut the upload off before it could be read."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request(case["method"], case["path"], body, case["headers"], encode_chunked=bool(case.get("chunked")))
        response = conn.getresponse()
        return response.status, response.read()
    except (BrokenPipeError, ConnectionResetError):
        return None, b""
    finally:
        conn.close()


def test_hostile_requests_get_the_status_of_the_corpus(server):
    """Every request of the corpus gets its status (none a 5xx), and the server logs no traceback."""
    port, root, _, _ = server
    limits = load_project(root).deployment.service.limits
    names = {"max_items": limits.max_items, "max_text_chars": limits.max_text_chars, "limit": body_limit(limits)}
    cases = hostile_requests()
    assert len(cases) >= 25 and {413, 415, 400, 200} <= {case["status"] for case in cases}
    for case in cases:
        refused = answered(port, 413)
        status, answer = send(port, case, request_body(case, names))
        if status is None:  # cut off while sending: the server's own count says what it answered
            assert case["status"] == 413 and answered(port, 413) == refused + 1, case["name"]
            continue
        assert status == case["status"], (case["name"], answer[:300])
        if status in (413, 415):
            assert b'"error"' in answer, case["name"]
    log = (root / "serve.log").read_text()
    assert "Traceback" not in log and "Exception on" not in log, "every refusal is one line"
    assert "status=413" in log, "the access log records the refusals"
    refusals = [line for line in log.splitlines() if "POST /classify answered 400: " in line]
    assert refusals and not any("xxxx" in line for line in refusals), log[-3000:]


def test_a_client_that_aborts_its_upload_is_not_counted_as_a_500(server):
    port, root, _, _ = server
    failed = answered(port, 500)
    for head in (
        b"Content-Length: 100000\r\n\r\n" + b'{"texts": ["' + b"x" * 100,
        b"Transfer-Encoding: chunked\r\n\r\n" + b"20\r\n" + b"x" * 10,
    ):
        with socket.create_connection((HOST, port), timeout=30) as sock:
            sock.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + head)
    time.sleep(1)  # let the server notice the closed connections
    assert answered(port, 500) == failed
    assert "Exception on /classify" not in (root / "serve.log").read_text()


def test_sigterm_to_serve_stops_the_server_and_its_workers(server):
    """`kill PID` of `serve ... &` stops `bentoml serve` too: the port closes and no process of the group is left."""
    port, _, _, process = server
    assert len(group_processes(process.pid)) > 1, "serve runs bentoml serve and its workers"
    os.kill(process.pid, signal.SIGTERM)  # serve alone, as a shell's `kill` does
    assert process.wait(120) in (0, 128 + signal.SIGTERM)
    deadline = time.monotonic() + 60
    while group_processes(process.pid):
        assert time.monotonic() < deadline, f"left running: {group_processes(process.pid)}"
        time.sleep(0.1)
    with pytest.raises(OSError):
        request(port, "GET", "/livez", timeout=5)
