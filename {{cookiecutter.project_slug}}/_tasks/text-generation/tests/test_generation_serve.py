"""`serve` of a text-generation run over real HTTP, called with the official ``openai`` client, unchanged.

One server for the module: a real ``serve`` subprocess (``bentoml serve`` underneath) on a free
loopback port, serving a run around the tiny model taught after this project's system prompt.
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
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.specs.project import load_project

from .tiny_llm import REPLIES, RUN_ID, copy_project, write_generation_run

pytestmark = pytest.mark.slow  # serves a model over HTTP

HOST = "127.0.0.1"
PARCEL, WRITE_TO = list(REPLIES)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """(port, project root) of `serve` running the tiny generation run."""
    root = copy_project(tmp_path_factory.mktemp("serve-generation"))
    write_generation_run(root)
    port = free_port()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    log = (root / "serve.log").open("wb")
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}", "--project", str(root),
        "serve", "--port", str(port), "--log-flush-s", "0.2",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, (root / "serve.log").read_text()
            assert time.monotonic() < deadline, "the service did not become ready"
            with contextlib.suppress(OSError):  # not listening yet
                if get(port, "/readyz")[0] == 200:
                    break
            time.sleep(0.1)
        yield port, root
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the server and its workers: our own process group
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=f"http://{HOST}:{server[0]}/v1", api_key="not-checked", max_retries=0, timeout=60)


def served_model(server) -> str:
    return load_project(server[1]).model.name


def test_the_openai_client_streams_a_chat_completion(server, client):
    stream = client.chat.completions.create(
        model=served_model(server),
        messages=[{"role": "user", "content": PARCEL}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        usage = chunk.usage or usage
    assert "".join(pieces) == REPLIES[PARCEL], "the reply taught after the project's system prompt"
    assert len([p for p in pieces if p]) > 1, "in pieces, as they are generated"
    assert finish == "stop" and usage.completion_tokens > 1 and usage.prompt_tokens > 0


def test_the_openai_client_gets_whole_answers_and_the_model_list(server, client):
    name = served_model(server)
    assert [model.id for model in client.models.list()] == [name]
    chat = client.chat.completions.create(model=name, messages=[{"role": "user", "content": PARCEL}])
    assert chat.choices[0].message.content == REPLIES[PARCEL] and chat.system_fingerprint == RUN_ID
    completion = client.completions.create(model=name, prompt="Your refund", max_tokens=4)
    assert completion.usage.completion_tokens <= 4 and completion.choices[0].finish_reason in ("stop", "length")


def test_limits_reach_the_client_as_openai_errors(server, client):
    import openai

    limits = load_project(server[1]).deployment.service.generation
    name = served_model(server)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model=name, messages=[{"role": "user", "content": PARCEL}], max_tokens=limits.max_tokens + 1
        )
    assert (refused.value.code, refused.value.param) == ("integer_above_max_value", "max_tokens")
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(
            model=name, messages=[{"role": "user", "content": "parcel " * (limits.max_prompt_tokens + 1)}], stream=True
        )
    assert too_long.value.code == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": PARCEL}])


def test_the_watcher_counts_and_the_log_records_every_response(server, client):
    port, root = server
    client.chat.completions.create(model=served_model(server), messages=[{"role": "user", "content": WRITE_TO}])
    metrics = ""

    def counted(name: str, **labels: str) -> float:
        wanted = [f'{key}="{value}"' for key, value in labels.items()]
        return sum(
            float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
            if line.startswith(name + "{") and all(w in line for w in wanted)
        )  # fmt: skip

    deadline = time.monotonic() + 30
    while not counted("generation_watcher_total", check="pii") and time.monotonic() < deadline:
        time.sleep(0.1)  # the watcher checks a reply once it has been sent
        status, metrics = get(port, "/metrics")
        assert status == 200
    assert counted("generation_watcher_total", check="pii") >= 1, "the e-mail address in the reply was flagged"
    assert counted("generation_watcher_total", check="responses") >= 1
    assert counted("generated_tokens_total", finish_reason="stop") > 0
    assert counted("bentoml_service_request_total", endpoint="/v1/chat/completions", http_response_code="200") >= 2
    version = load_project(root).specs["prompts"].version
    deadline = time.monotonic() + 30
    while True:
        parts = sorted((root / "artifacts" / RUN_ID / "monitoring" / "predictions").rglob("*.jsonl"))
        records = [json.loads(line) for part in parts for line in part.read_text().splitlines()]
        if any(r["watcher"] and r["watcher"]["pii"] for r in records) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert records and all(r["task"] == "text-generation" and r["prompt_version"] == version for r in records)
    assert any(r["watcher"] and r["watcher"]["pii"] for r in records), "the flagged reply is logged as flagged"
    assert any(r["error"] == "integer_above_max_value" for r in records), "refusals are logged too"
    pii = load_project(root).data.pii
    if pii.may_contain or not pii.log_raw_text:
        assert not any(WRITE_TO in json.dumps(r) for r in records), "no raw text unless the data spec allows it"
