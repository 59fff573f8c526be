"""Drift of a text-generation service's log against the reference its task builds from the training data.

The reference comes from the real builder (``tasks/generation/monitoring.py``: input and reply
lengths of the train split); the logs are records of the shared log contract, drawn with a seed
from those lengths, then shifted in one property: each shift fails its rule and only that one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.monitoring.reference import LengthHistogram
from {{ cookiecutter.package_name }}.specs.common import API_VERSION
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.tasks.generation.monitoring import reference

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
ROWS = 1500


def profile_of(project: Path) -> dict:
    """The reference profile document of this project's data (no run is needed for a generator's)."""
    parts = reference(load_project(project), project / "artifacts" / "none")
    return {
        "apiVersion": API_VERSION,
        "kind": "DriftReference",
        "run_id": "generator",
        "created": "2026-12-01T00:00:00Z",
        "data_split": "train",
        "predictions_split": "test",
        **parts,
        **{k: LengthHistogram.of(parts[k]).model_dump() for k in ("input_chars", "output_chars")},
    }


def draw(hist: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    counts = np.array(hist["counts"], dtype=float)
    return rng.choice(np.array(hist["lengths"]), size=n, p=counts / counts.sum())


def write_log(directory: Path, profile: dict, *, seed: int, longer: int = 0, flagged: float = 0.0, failed: float = 0.0):
    rng = np.random.default_rng(seed)
    inputs, outputs = draw(profile["input_chars"], ROWS, rng), draw(profile["output_chars"], ROWS, rng) + longer
    lines = []
    for i in range(ROWS):
        error = "Timeout" if rng.random() < failed else None
        lines.append(
            json.dumps(
                {
                    "ts": (START + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                    "task": "text-generation",
                    "prompt_version": "1",
                    "input_sha256": f"{i:016x}",
                    "input_chars": int(inputs[i]),
                    "input_tokens": 20,
                    "output_tokens": 30,
                    "output_chars": int(outputs[i]),
                    "latency_ms": 40.0,
                    "ttft_ms": 8.0,
                    "finish_reason": "stop",
                    "watcher": {"pii": False, "profanity": bool(rng.random() < flagged), "refusal": False},
                    "error": error,
                }
            )
        )
    (directory / "2026-12-01").mkdir(parents=True)
    (directory / "2026-12-01" / "090000-host-1-abc-000001.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("shift", "failing"),
    [({}, []), ({"longer": 400}, ["DRIFT-008"]), ({"flagged": 0.1}, ["DRIFT-009"]), ({"failed": 0.1}, ["DRIFT-006"])],
)
def test_each_shift_of_a_generator_s_traffic_fails_its_rule_alone(project, tmp_path, capsys, shift, failing):
    profile = profile_of(project)
    (tmp_path / "reference.json").write_text(json.dumps(profile))
    write_log(tmp_path / "logs", profile, seed=3, **shift)
    base = ["--project", str(project)]
    window = ["--since", "2026-12-01", "--now", "2026-12-02T00:00:00Z"]
    out = ["--reference", str(tmp_path / "reference.json"), "--out", str(tmp_path / "out")]
    assert main([*base, "drift", "--logs", str(tmp_path / "logs"), *out, *window]) == 0
    judged = ["--drift", str(tmp_path / "out" / "drift.json"), "--now", "2026-12-02"]
    code = main([*base, "gate", "--stage", "monitor", *judged])
    capsys.readouterr()
    drift = json.loads((tmp_path / "out" / "drift.json").read_text())
    gate = json.loads((tmp_path / "out" / "gate.json").read_text())
    assert drift["predictions"]["by_task"] == {"text-generation": ROWS} and drift["labels"] is None
    assert {"output_length_ks", "watcher_rate"} <= set(drift["checks"]) and "label_psi" not in drift["checks"]
    assert sorted(r["id"] for r in gate["results"] if r["blocking"]) == failing
    assert code == (1 if failing else 0)
    skipped = {r["id"] for r in gate["results"] if r["status"] == "skipped"}
    assert skipped == {"DRIFT-001", "DRIFT-002", "DRIFT-004"}, "the classifier's checks do not apply"
