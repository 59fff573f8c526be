"""Acceptance of ``drift`` and ``gate --stage monitor`` on seeded synthetic logs drawn from a real reference.

The reference profile is built once from the default run (``drift --save-reference``); every
window of logs is drawn from it with a seed, then shifted in one property, and must fail exactly
the rule of that property. The hostile lines of ``tests/corpora/logs/`` are counted, located,
and block the gate through their rate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.cli import main

from .conftest import run_cli
from .drift_logs import records, write_parts

CORPUS = Path(__file__).parent / "corpora" / "logs"
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
WINDOW = ["--since", "2026-12-01", "--now", "2026-12-02T00:00:00Z"]
ROWS = 3000
SHIFTS = {
    "DRIFT-001": {
        "label_shares": {"billing": 0.7, "technical": 0.1, "account": 0.1, "shipping": 0.05, "returns": 0.05}
    },
    "DRIFT-003": {"extra_chars": 45},
    "DRIFT-004": {"unseen_rate": 0.2},
    "DRIFT-006": {"error_rate": 0.1},
}


@pytest.fixture(scope="module")
def reference(default_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(project, reference profile) of the default run; the profile is written outside the shared project."""
    path = tmp_path_factory.mktemp("reference") / "reference.json"
    done = run_cli(default_run, "drift", "--save-reference", "--reference", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    return default_run, json.loads(path.read_text())


def judge(project: Path, profile_path: Path, logs: Path, out: Path, capsys) -> tuple[dict, dict, int]:
    """(drift.json, gate.json, gate exit code) of one window of ``logs``."""
    base = ["--project", str(project)]
    assert (
        main([*base, "drift", "--logs", str(logs), "--reference", str(profile_path), "--out", str(out), *WINDOW]) == 0
    )
    code = main([*base, "gate", "--stage", "monitor", "--drift", str(out / "drift.json"), "--now", "2026-12-02"])
    capsys.readouterr()
    return json.loads((out / "drift.json").read_text()), json.loads((out / "gate.json").read_text()), code


def failed(gate: dict) -> list[str]:
    return sorted(r["id"] for r in gate["results"] if r["blocking"])


@pytest.fixture
def window(reference, tmp_path: Path):
    """Write a seeded window drawn from the reference (with a shift) and judge it."""
    project, profile = reference
    profile_path = tmp_path / "reference.json"
    profile_path.write_text(json.dumps(profile))

    def make(seed: int, capsys, **shift) -> tuple[dict, dict, int]:
        logs = tmp_path / f"logs-{seed}"
        write_parts(logs, records(profile, ROWS, seed=seed, start=START, **shift), per_part=1000)
        return judge(project, profile_path, logs, tmp_path / f"out-{seed}", capsys)

    return make


@pytest.mark.slow
def test_logs_drawn_from_the_reference_pass(window, capsys):
    drift, gate, code = window(11, capsys)
    assert code == 0 and gate["verdict"] == "pass" and failed(gate) == []
    assert drift["predictions"]["count"] == ROWS and drift["lines"]["unreadable"] == 0
    assert drift["lines"]["files"] == 3
    assert all(c["exceeded"] is False for c in drift["checks"].values())
    ran = {r["id"] for r in gate["results"] if r["status"] == "pass"}
    assert {f"DRIFT-00{n}" for n in range(1, 8)} <= ran


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(SHIFTS))
def test_each_shift_fails_its_rule_and_only_it(window, capsys, rule):
    drift, gate, code = window(20 + int(rule[-1]), capsys, **SHIFTS[rule])
    assert code == 1 and failed(gate) == [rule], gate["summary"]
    [result] = [r for r in gate["results"] if r["id"] == rule]
    assert result["location"]["path"] == "specs/monitoring.yaml"


@pytest.mark.slow
def test_the_window_leaves_out_older_records_and_too_few_predictions_fail(window, reference, tmp_path, capsys):
    project, profile = reference
    logs = tmp_path / "old"
    write_parts(logs, records(profile, 50, seed=3, start=START - dt.timedelta(days=3)))
    write_parts(logs / "recent", records(profile, 40, seed=4, start=START))
    (tmp_path / "reference.json").write_text(json.dumps(profile))
    drift, gate, code = judge(project, tmp_path / "reference.json", logs, tmp_path / "out", capsys)
    assert drift["predictions"]["count"] == 40 and drift["lines"]["files"] == 1
    assert code == 1 and failed(gate) == ["DRIFT-005"]


@pytest.mark.slow
def test_hostile_lines_are_counted_located_and_block_on_their_rate(window, reference, tmp_path, capsys):
    project, profile = reference
    expected = json.loads((CORPUS / "expected.json").read_text())
    logs = tmp_path / "hostile"
    write_parts(logs, records(profile, ROWS, seed=5, start=START))
    shutil.copy(CORPUS / "hostile.jsonl", logs / "2026-12-01" / "zz-hostile.jsonl")
    spec = project / "specs" / "monitoring.yaml"
    original = spec.read_text()
    spec.write_text(original.replace("max_line_bytes: 65536", f"max_line_bytes: {expected['max_line_bytes']}"))
    try:
        (tmp_path / "reference.json").write_text(json.dumps(profile))
        drift, gate, code = judge(project, tmp_path / "reference.json", logs, tmp_path / "out", capsys)
    finally:
        spec.write_text(original)
    lines = drift["lines"]
    kinds = list(expected["unreadable"].values())
    assert lines["by_kind"] == {k: kinds.count(k) for k in ("empty", "truncated", "malformed", "oversized")}
    located = {str(x["line"]): x["kind"] for x in lines["located"] if x["file"].endswith("zz-hostile.jsonl")}
    assert located == expected["unreadable"]
    assert all(x["file"] == "2026-12-01/zz-hostile.jsonl" for x in lines["located"])
    assert drift["predictions"]["count"] == ROWS + expected["readable"]
    assert "\x1b" not in json.dumps(drift) and "owned" not in json.dumps(drift)
    assert code == 1 and failed(gate) == ["DRIFT-007"]
    assert (tmp_path / "out" / "gate.sarif").is_file() and "DRIFT-007" in (tmp_path / "out" / "gate.md").read_text()


@pytest.mark.slow  # the reference is the default run's, which trains
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_only_regular_part_files_are_read(reference, tmp_path, capsys):
    """A FIFO named like a part would block a reader forever; it is not a part."""
    project, profile = reference
    logs = tmp_path / "logs"
    write_parts(logs, records(profile, 200, seed=6, start=START))
    os.mkfifo(logs / "2026-12-01" / "zz-fifo.jsonl")
    (tmp_path / "reference.json").write_text(json.dumps(profile))
    drift, _, _ = judge(project, tmp_path / "reference.json", logs, tmp_path / "out", capsys)
    assert drift["lines"]["files"] == 1 and drift["predictions"]["count"] == 200


def test_a_bad_since_or_missing_log_exits_2(project, tmp_path):
    done = run_cli(project, "drift", "--logs", str(tmp_path / "nowhere"), "--reference", str(tmp_path / "r.json"))
    assert done.returncode == 2 and "r.json does not exist" in done.stderr and "Traceback" not in done.stderr
    done = run_cli(project, "drift", "--since", "last tuesday")
    assert done.returncode == 2 and "--since 'last tuesday'" in done.stderr
    done = run_cli(project, "gate", "--stage", "monitor", "--drift", str(tmp_path / "drift.json"))
    assert done.returncode == 2 and "run `drift` first" in done.stderr


def generation_records(n: int, *, seed: int, extra_output: int = 0, flagged: float = 0.0) -> list[dict]:
    """Records as the text-generation service writes them (the shared log contract), drawn with a seed."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "ts": (START + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                "task": "text-generation",
                "prompt_version": "1",
                "input_sha256": f"{i:016x}",
                "input_chars": int(rng.integers(40, 120)),
                "input_tokens": 30,
                "output_tokens": 40,
                "output_chars": int(rng.integers(80, 200)) + extra_output,
                "latency_ms": 50.0,
                "ttft_ms": 10.0,
                "finish_reason": "stop",
                "watcher": {"pii": False, "profanity": bool(rng.random() < flagged), "refusal": False},
                "error": None,
            }
        )
    return out


@pytest.mark.parametrize(
    ("shift", "failing"), [({}, []), ({"extra_output": 150}, ["DRIFT-008"]), ({"flagged": 0.1}, ["DRIFT-009"])]
)
def test_text_generation_logs_check_output_length_and_watcher_rates(project, tmp_path, capsys, shift, failing):
    from {{ cookiecutter.package_name }}.monitoring.reference import LengthHistogram
    from {{ cookiecutter.package_name }}.monitoring.stats import length_histogram

    rng = np.random.default_rng(0)
    profile = {
        "apiVersion": "gated-ml/v1", "kind": "DriftReference", "run_id": "generator", "created": "2026-12-01T00:00:00Z",
        "task": "text-generation", "data_split": "train", "predictions_split": "test", "labels": {},
        "confidence": [0] * 10, "words": 0, "unseen_words": 0,
        "input_chars": LengthHistogram.of(length_histogram(rng.integers(40, 120, 1000))).model_dump(),
        "output_chars": LengthHistogram.of(length_histogram(rng.integers(80, 200, 1000))).model_dump(),
    }  # fmt: skip
    (tmp_path / "reference.json").write_text(json.dumps(profile))
    write_parts(tmp_path / "logs", generation_records(1000, seed=1, **shift))
    drift, gate, code = judge(project, tmp_path / "reference.json", tmp_path / "logs", tmp_path / "out", capsys)
    assert drift["predictions"]["by_task"] == {"text-generation": 1000} and drift["labels"] is None
    assert set(drift["checks"]) >= {"output_length_ks", "watcher_rate"} and "label_psi" not in drift["checks"]
    assert failed(gate) == failing and code == (1 if failing else 0)


@pytest.mark.parametrize("block", [1, 3, 7, 64])
def test_lines_are_split_alike_whatever_the_block_size(monkeypatch, block):
    """Lines that cross block boundaries come out whole; a line over the limit comes out as None, once."""
    import io

    from {{ cookiecutter.package_name }}.monitoring import logs

    rng = np.random.default_rng(block)
    lines = [bytes(rng.integers(32, 127, int(n))) for n in rng.integers(0, 30, 200)]
    data = b"\n".join(lines)  # no newline at the end: the last line still counts
    expected = [None if len(line) > 20 else line for line in lines]
    if expected and expected[-1] == b"":
        expected.pop()
    monkeypatch.setattr(logs, "BLOCK", block)
    assert list(logs.lines_of(io.BytesIO(data), 20)) == expected
