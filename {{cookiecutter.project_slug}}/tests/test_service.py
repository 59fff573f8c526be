"""The BentoML service in-process: predictions, input limits, readiness and the prediction log."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.serving.config import service_config
from {{ cookiecutter.package_name }}.serving.guard import body_limit
from {{ cookiecutter.package_name }}.specs.project import load_project

from .tiny_run import copy_project, texts, write_run

pytestmark = pytest.mark.slow  # builds a model and loads it


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """(project, run.json, model tag, monitoring dir) of a project with one tiny run in the model store."""
    from {{ cookiecutter.package_name }}.serving.store import save_model

    root = copy_project(tmp_path_factory.mktemp("service"))
    run_dir = write_run(root)
    project = load_project(root)
    run = json.loads((run_dir / "run.json").read_text())
    tag = save_model(run_dir, run, project.model.name)
    return project, run, tag, tmp_path_factory.mktemp("monitoring")


def make_service(served, **overrides):
    from {{ cookiecutter.package_name }}.serving.service import create

    project, run, tag, monitoring = served
    return create(service_config(project, run, tag, monitoring_dir=str(monitoring), **overrides))


@pytest.fixture(scope="module")
def app(served):
    """The service as an ASGI app (one per process: BentoML registers its HTTP metrics once)."""
    return make_service(served).to_asgi()


def wait_ready(instance, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not instance.__is_ready__():
        assert instance.load_error is None, instance.load_error
        assert time.monotonic() < deadline, "the model did not load"
        time.sleep(0.05)


def test_classify_in_process_answers_one_prediction_per_text(served):
    project = served[0]
    svc = make_service(served)()
    wait_ready(svc)
    batch = texts(project.root, "test")[:5]
    out = svc.classify(batch)
    assert len(out) == 5
    for prediction in out:
        assert set(prediction["scores"]) == set(project.data.labels)
        assert prediction["label"] == max(prediction["scores"], key=prediction["scores"].get)
        assert prediction["score"] == prediction["scores"][prediction["label"]]
        assert sum(prediction["scores"].values()) == pytest.approx(1.0, abs=1e-4)


def test_bad_inputs_get_400_with_the_field_and_reason(served, app):
    from starlette.testclient import TestClient

    limits = served[0].deployment.service.limits
    cases = {
        "too long": ({"texts": ["x" * (limits.max_text_chars + 1)]}, "at most"),
        "too many": ({"texts": ["hello"] * (limits.max_items + 1)}, "at most"),
        "empty list": ({"texts": []}, "at least 1"),
        "blank text": ({"texts": ["   "]}, "empty, or only whitespace or invisible characters"),
        "not a string": ({"texts": [42]}, "valid string"),
        "not a list": ({"texts": "hello"}, "valid array"),
        "missing": ({}, "Field required"),
        "unknown field": ({"texts": ["hi"], "lang": "en"}, "Extra inputs"),
    }
    with TestClient(app) as client:
        for name, (body, reason) in cases.items():
            response = client.post("/classify", json=body)
            assert response.status_code == 400, name
            assert reason in response.text, (name, response.text)
        response = client.post("/classify", content=b"{not json", headers={"content-type": "application/json"})
        assert response.status_code == 400


def test_refused_text_does_not_reach_the_log(app, caplog):
    from starlette.testclient import TestClient

    secret = "call me on +44 20 7946 0958 " * 200
    with TestClient(app) as client, caplog.at_level("DEBUG"):
        assert client.post("/classify", json={"texts": [secret]}).status_code == 400
    assert "POST /classify answered 400: texts.0: string_too_long" in caplog.text, "the refusal is logged"
    assert "7946" not in caplog.text, "without the text"
    assert "Traceback" not in caplog.text, "in one line"


def test_not_ready_until_the_model_is_loaded(app, monkeypatch):
    from starlette.testclient import TestClient
    from transformers import AutoModelForSequenceClassification

    loading = threading.Event()
    real = AutoModelForSequenceClassification.from_pretrained

    def held_back(*args, **kwargs):  # loading a large model takes a while: hold it until the test lets go
        loading.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(AutoModelForSequenceClassification, "from_pretrained", held_back)
    with TestClient(app) as client:
        assert client.get("/livez").status_code == 200
        assert client.get("/readyz").status_code == 503
        loading_answer = client.post("/classify", json={"texts": ["where is my parcel"]})
        assert loading_answer.status_code == 503
        assert int(loading_answer.headers["retry-after"]) > 0, "a 503 says when to come back"
        loading.set()
        deadline = time.monotonic() + 30
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.post("/classify", json={"texts": ["where is my parcel"]}).status_code == 200


def test_a_model_that_fails_to_load_fails_liveness(app, monkeypatch):
    from starlette.testclient import TestClient
    from transformers import AutoModelForSequenceClassification

    def broken(*args, **kwargs):
        raise OSError("model.safetensors is truncated")

    monkeypatch.setattr(AutoModelForSequenceClassification, "from_pretrained", broken)
    with TestClient(app) as client:
        deadline = time.monotonic() + 30
        while client.get("/livez").status_code == 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 503


def test_prediction_log_holds_hashes_unless_raw_text_is_allowed(served):
    monitoring = Path(served[3])
    private, public = "my invoice INV-77 is wrong", "parcel never arrived"
    for text, raw in ((private, False), (public, True)):
        svc = make_service(served, log_raw_text=raw)()  # in-process: no ASGI app, no HTTP metrics
        wait_ready(svc)
        svc.classify([text])
        svc.log.flush()
    lines = [json.loads(line) for path in monitoring.glob("*/*.jsonl") for line in path.open()]
    by_text = {line.get("text"): line for line in lines}
    assert public in by_text, "raw text is logged when allowed"
    assert private not in json.dumps(lines)
    digest = hashlib.sha256(private.encode()).hexdigest()[:16]
    [hashed] = [line for line in lines if line.get("input_sha256") == digest]
    assert hashed["input_chars"] == len(private) and hashed["input_tokens"] >= 1
    assert 0 <= hashed["unseen_words"] <= hashed["words"] and hashed["words"] >= 5
    assert hashed["label"] in served[1]["labels"] and 0 < hashed["score"] <= 1 and hashed["error"] is None


def test_service_config_follows_the_specs(served):
    project, run, tag, _ = served
    config = service_config(project, run, tag)
    spec = project.deployment.service
    assert config.resources == {
        "cpu": spec.resources.cpu,
        "memory": spec.resources.memory,
        "gpu": spec.resources.gpu,
        "gpu_type": spec.resources.gpu_type,
    }
    assert config.traffic == {
        "timeout": spec.traffic.timeout_s,
        "concurrency": spec.traffic.concurrency,
        "max_concurrency": spec.traffic.max_concurrency,
    }
    assert config.batching.max_latency_ms == spec.batching.max_latency_ms
    changed = load_project(project.root)
    changed.deployment.service.resources.gpu = 0
    assert "gpu" not in service_config(changed, run, tag).resources, "BentoML wants no gpu key on CPU"
    changed.data.pii.may_contain, changed.data.pii.log_raw_text = True, True
    assert service_config(changed, run, tag).log_raw_text is False, "texts that may hold PII are never logged"


def test_the_body_limit_follows_the_deployment_spec(served):
    """``max_items x (max_text_chars x 12 + 8) + 1024`` bytes: the longest valid body, fully escaped, fits."""
    limits = served[0].deployment.service.limits
    longest = json.dumps({"texts": ["\U0001f600" * limits.max_text_chars] * limits.max_items})  # escaped: 12 bytes
    assert len(longest) <= body_limit(limits) < 2 * len(longest)
    assert body_limit(limits) == limits.max_items * (limits.max_text_chars * 12 + 8) + 1024
