"""The text-generation service in-process and as an ASGI app: OpenAI's shapes, limits, the watcher and the log.

Responses are checked against the ``openai`` package's own response types, so a field that the
official client expects and the service leaves out (or shapes differently) fails here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.tasks.generation.serviceconfig import body_limit

from .tiny_llm import REPLIES, SERVED, SYSTEM_PROMPT, config, store_tiny_llm

pytestmark = pytest.mark.slow  # teaches a model and loads it

PARCEL, WRITE_TO = list(REPLIES)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(model tag in the store, a monitoring directory)."""
    return store_tiny_llm(tmp_path_factory.mktemp("tiny-llm")), tmp_path_factory.mktemp("monitoring")


def make(stored, **overrides):
    from {{ cookiecutter.package_name }}.tasks.generation.service import create

    tag, monitoring = stored
    return create(config(tag, monitoring, **overrides))


def ready(instance, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not instance.__is_ready__():
        assert instance.load_error is None, instance.load_error
        assert time.monotonic() < deadline, "the model did not load"
        time.sleep(0.05)
    return instance


@pytest.fixture(scope="module")
def svc(stored):
    return ready(make(stored)())


@pytest.fixture(scope="module")
def app(stored):
    """The service as an ASGI app (one per process: BentoML registers its HTTP metrics once)."""
    return make(stored).to_asgi()


def chat(question: str, **fields) -> dict:
    return {"model": SERVED, "messages": [{"role": "user", "content": question}], **fields}


def answer(svc, kind: str, body: dict) -> dict:
    return asyncio.run(svc.complete(svc.prepare(kind, body)))


def streamed(svc, kind: str, body: dict) -> list[dict]:
    async def collect() -> list[dict]:
        return [c async for c in svc.stream(svc.prepare(kind, {**body, "stream": True}))]

    return asyncio.run(collect())


def test_a_chat_completion_is_the_taught_reply_in_openai_shape(svc):
    from openai.types.chat import ChatCompletion

    out = answer(svc, "chat", chat(PARCEL))
    parsed = ChatCompletion.model_validate(out)
    assert parsed.choices[0].message.content == REPLIES[PARCEL]
    assert parsed.choices[0].finish_reason == "stop"
    assert out["id"].startswith("chatcmpl-") and out["model"] == SERVED and out["object"] == "chat.completion"
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": PARCEL}]
    prompt = svc.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert parsed.usage.prompt_tokens == len(svc.tokenizer(prompt, add_special_tokens=False)["input_ids"])
    reply_tokens = len(svc.tokenizer(REPLIES[PARCEL], add_special_tokens=False)["input_ids"])
    assert parsed.usage.completion_tokens == reply_tokens + 1, "the reply and its end-of-sequence token"
    assert parsed.usage.total_tokens == parsed.usage.prompt_tokens + parsed.usage.completion_tokens


def test_a_streamed_chat_is_the_same_reply_in_chunks(svc):
    from openai.types.chat import ChatCompletionChunk

    body = chat(PARCEL, stream_options={"include_usage": True})
    chunks = [ChatCompletionChunk.model_validate(c) for c in streamed(svc, "chat", body)]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(text) > 1, "the reply comes in pieces"
    assert "".join(text) == REPLIES[PARCEL]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 1, "usage last, as asked"
    assert len({c.id for c in chunks}) == 1
    without_usage = streamed(svc, "chat", chat(PARCEL))
    assert without_usage[-1]["choices"][0]["finish_reason"] == "stop" and without_usage[-1]["usage"] is None


def test_a_completion_takes_the_prompt_as_it_is(svc):
    from openai.types import Completion

    prompt = "Your refund for order 1042"
    whole = Completion.model_validate(answer(svc, "completion", {"model": SERVED, "prompt": prompt, "max_tokens": 8}))
    assert whole.object == "text_completion" and whole.id.startswith("cmpl-")
    assert whole.usage.prompt_tokens == len(svc.tokenizer(prompt)["input_ids"])
    assert whole.usage.completion_tokens <= 8 and whole.choices[0].finish_reason in ("stop", "length")
    body = {"model": SERVED, "prompt": prompt, "max_tokens": 8}
    *pieces, last = streamed(svc, "completion", body)
    # OpenAI streams legacy completions with finish_reason null until the last chunk (the SDK's type,
    # made for whole answers, says otherwise): the last chunk validates as it stands, the others with it set
    chunks = [*(Completion.model_validate(_finished(c)) for c in pieces), Completion.model_validate(last)]
    assert all(c["choices"][0]["finish_reason"] is None for c in pieces)
    assert "".join(c.choices[0].text for c in chunks) == whole.choices[0].text, "greedy: the same text either way"


def _finished(chunk: dict) -> dict:
    return {**chunk, "choices": [{**choice, "finish_reason": "length"} for choice in chunk["choices"]]}


def test_the_system_prompt_is_added_only_to_a_chat_without_one(svc):
    decode = svc.tokenizer.decode
    assert SYSTEM_PROMPT in decode(svc.prepare("chat", chat(PARCEL)).prompt_ids)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": PARCEL}]
    own = {"model": SERVED, "messages": messages}
    rendered = decode(svc.prepare("chat", own).prompt_ids)
    assert "Be brief." in rendered and SYSTEM_PROMPT not in rendered


def test_a_client_that_goes_away_stops_the_generation(svc):
    async def first_then_leave() -> None:
        stream = svc.stream(svc.prepare("chat", chat(PARCEL)))
        assert (await anext(stream))["choices"][0]["delta"]["role"] == "assistant"
        await anext(stream)
        await stream.aclose()

    asyncio.run(first_then_leave())
    after = answer(svc, "chat", chat(PARCEL))
    assert after["choices"][0]["message"]["content"] == REPLIES[PARCEL], "and frees the model"


def wait_http_ready(client, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the model did not load"
        time.sleep(0.05)


def test_limits_and_bad_requests_get_openai_errors(stored, app):
    from starlette.testclient import TestClient

    limits = config(*stored).limits
    over = "integer_above_max_value"
    robot = {"model": SERVED, "messages": [{"role": "robot", "content": "hi"}]}
    long_prompt = " ".join(["parcel"] * (limits.max_prompt_tokens + 1))
    cases = {
        "prompt over the limit": (chat(long_prompt), 400, "messages", "context_length_exceeded"),
        "max_tokens over the limit": (chat(PARCEL, max_tokens=limits.max_tokens + 1), 400, "max_tokens", over),
        "max_completion_tokens over": (chat(PARCEL, max_completion_tokens=10_000), 400, "max_completion_tokens", over),
        "completion prompt over": ({"model": SERVED, "prompt": long_prompt}, 400, "prompt", "context_length_exceeded"),
        "unsupported field": (chat(PARCEL, tools=[]), 400, "tools", "unsupported_parameter"),
        "more than one choice": (chat(PARCEL, n=2), 400, "n", "invalid_value"),
        "no messages": ({"model": SERVED, "messages": []}, 400, "messages", "invalid_value"),
        "unknown role": (robot, 400, "messages.0.role", "invalid_value"),
        "temperature out of range": (chat(PARCEL, temperature=3), 400, "temperature", "invalid_value"),
        "another model": (chat(PARCEL) | {"model": "gpt-4o"}, 404, "model", "model_not_found"),
    }
    with TestClient(app) as client:
        wait_http_ready(client)
        for name, (body, status, param, code) in cases.items():
            path = "/v1/completions" if "prompt" in body else "/v1/chat/completions"
            for stream in (False, True):
                got = client.post(path, json={**body, "stream": stream})
                assert got.status_code == status, (name, got.text)
                error = got.json()["error"]
                assert (error["param"], error["code"]) == (param, code), (name, error)
                assert error["type"] == ("not_found_error" if status == 404 else "invalid_request_error")
                assert error["message"], name
        got = client.post("/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
        assert got.status_code == 400 and got.json()["error"]["code"] == "invalid_json"
        form = {"content-type": "application/x-www-form-urlencoded"}
        got = client.post("/v1/chat/completions", content=b"model=x", headers=form)
        assert got.status_code == 415, "the guard refuses it"
        assert "application/json" in got.json()["error"]["message"], "in OpenAI's error shape"
        size = body_limit(limits) + 1
        got = client.post("/v1/chat/completions", content=b"x" * size, headers={"content-type": "application/json"})
        assert got.status_code == 413 and got.json()["error"]["type"] == "invalid_request_error"


def test_http_answers_stream_as_server_sent_events(app):
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        wait_http_ready(client)
        assert client.get("/livez").status_code == 200
        assert client.get("/v1/models").json()["data"][0]["id"] == SERVED
        whole = client.post("/v1/chat/completions", json=chat(PARCEL))
        assert whole.status_code == 200 and whole.json()["choices"][0]["message"]["content"] == REPLIES[PARCEL]
        with client.stream("POST", "/v1/chat/completions", json=chat(PARCEL, stream=True)) as events:
            assert events.status_code == 200 and events.headers["content-type"].startswith("text/event-stream")
            lines = [line for line in events.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    pieces = [json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in lines[:-1]]
    assert "".join(pieces) == REPLIES[PARCEL]


def test_not_ready_until_the_model_is_loaded(app, monkeypatch):
    from starlette.testclient import TestClient
    from transformers import AutoTokenizer

    loading = threading.Event()
    real = AutoTokenizer.from_pretrained

    def held_back(*args, **kwargs):  # a large model takes a while: hold it until the test lets go
        loading.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", held_back)
    with TestClient(app) as client:
        assert client.get("/livez").status_code == 200 and client.get("/readyz").status_code == 503
        early = client.post("/v1/chat/completions", json=chat(PARCEL))
        assert early.status_code == 503 and early.json()["error"]["code"] == "model_loading"
        assert int(early.headers["retry-after"]) > 0, "a 503 says when to come back"
        loading.set()
        wait_http_ready(client)
        assert client.post("/v1/chat/completions", json=chat(PARCEL)).status_code == 200


def test_a_refused_prompt_never_reaches_the_log(stored, app, caplog):
    from starlette.testclient import TestClient

    secret = "call me on +44 20 7946 0958 " * 50
    with TestClient(app) as client, caplog.at_level("DEBUG"):
        wait_http_ready(client)
        assert client.post("/v1/chat/completions", json=chat(secret)).status_code == 400
        bad_role = {"model": SERVED, "messages": [{"role": 1, "content": secret}]}
        assert client.post("/v1/chat/completions", json=bad_role).status_code == 400
    assert "7946" not in caplog.text and "Traceback" not in caplog.text


def log_records(monitoring: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(monitoring.rglob("*.jsonl")) for line in path.read_text().splitlines()]


def test_every_response_is_logged_with_the_prompt_version_and_the_watcher(stored, tmp_path):
    from {{ cookiecutter.package_name }}.tasks.generation.openai_api import ApiError

    svc = ready(make((stored[0], tmp_path / "hashed"))())
    answer(svc, "chat", chat(PARCEL))
    streamed(svc, "chat", chat(WRITE_TO))
    with pytest.raises(ApiError):
        svc.prepare("chat", chat(PARCEL, max_tokens=10_000))
    svc.settle()
    svc.log.flush()
    parcel, write_to, refused = log_records(tmp_path / "hashed")
    for record in (parcel, write_to, refused):
        assert record["task"] == "text-generation" and record["prompt_version"] == "3"
        assert set(record) >= {"ts", "input_sha256", "input_chars", "input_tokens", "output_tokens", "output_chars",
                               "latency_ms", "ttft_ms", "finish_reason", "watcher", "error"}  # fmt: skip
        assert "text" not in record and "output" not in record, "no raw text unless the data spec allows it"
    assert parcel["watcher"] == {"pii": False, "profanity": False, "refusal": False} and parcel["error"] is None
    assert parcel["output_chars"] == len(REPLIES[PARCEL]) and parcel["finish_reason"] == "stop"
    assert 0 < parcel["ttft_ms"] <= parcel["latency_ms"] and parcel["input_chars"] == len(PARCEL)
    assert write_to["watcher"]["pii"] is True, "the e-mail address in the reply is caught"
    assert refused["error"] == "integer_above_max_value" and refused["output_tokens"] == 0
    assert refused["watcher"] is None, "nothing was generated to check"
    raw = ready(make((stored[0], tmp_path / "raw"), log_raw_text=True)())
    answer(raw, "chat", chat(WRITE_TO))
    raw.settle()
    raw.log.flush()
    [record] = log_records(tmp_path / "raw")
    assert (record["text"], record["output"]) == (WRITE_TO, REPLIES[WRITE_TO])


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_the_vllm_engine_without_vllm_fails_liveness_and_says_how_to_fix_it(stored):
    from {{ cookiecutter.package_name }}.tasks.generation.engines import EngineUnavailable

    svc = make(stored, engine="vllm")()
    deadline = time.monotonic() + 60
    while svc.load_error is None:
        assert time.monotonic() < deadline and not svc.__is_ready__()
        time.sleep(0.05)
    assert isinstance(svc.load_error, EngineUnavailable) and not svc.__is_alive__()
    assert "pip install 'vllm==" in str(svc.load_error) and "engine: transformers" in str(svc.load_error)


def test_the_watcher_checks_in_batches_and_reports_in_order():
    from {{ cookiecutter.package_name }}.tasks.generation.safety import check_output
    from {{ cookiecutter.package_name }}.tasks.generation.watcher import Watcher

    reported = []
    markers = ("I cannot help",)
    watcher = Watcher(("GB",), markers, report=lambda item, flags: reported.append((item, flags)))
    texts = [REPLIES[PARCEL], REPLIES[WRITE_TO], None, "I cannot help with that, sorry."]
    for n, text in enumerate(texts):
        watcher.watch(text, n)
    watcher.settle()
    assert [n for n, _ in reported] == [0, 1, 2, 3], "every item, in order"
    assert reported[2][1] is None, "nothing generated, nothing checked"
    assert reported[1][1]["pii"] and reported[3][1]["refusal"] and not any(reported[0][1].values())
    assert [flags for _, flags in reported if flags] == [check_output(t, ("GB",), markers) for t in texts if t]
