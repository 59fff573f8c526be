"""The evaluate command on a trained smoke run: metrics.json per its schema, report, plots."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from {{ cookiecutter.package_name }}.cli import main

from .conftest import ROOT


def metrics_of(project: Path) -> dict:
    return json.loads((project / "artifacts" / "smoke" / "metrics.json").read_text())


@pytest.mark.slow
def test_metrics_follow_the_published_schema(smoke_run: Path):
    schema = json.loads((ROOT / "schemas" / "metrics.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(metrics_of(smoke_run))


@pytest.mark.slow
def test_metrics_cover_what_the_evaluation_spec_asks(smoke_run: Path):
    metrics = metrics_of(smoke_run)
    labels = json.loads((smoke_run / "artifacts" / "smoke" / "run.json").read_text())["labels"]
    test = metrics["test"]
    assert (metrics["run_id"], metrics["split"], metrics["primary_metric"]) == ("smoke", "test", "macro_f1")
    assert test["rows"] == 400 and list(test["per_class"]) == labels
    assert sum(map(sum, test["confusion_matrix"]["matrix"])) == 400
    assert set(metrics["slices"]["channel"]) == {"email", "chat", "phone"}
    assert sum(s["rows"] for s in metrics["slices"]["channel"].values()) == 400
    assert metrics["max_slice_gap"] == metrics["slice_gaps"]["channel"]["gap"] > 0
    assert set(metrics["robustness"]) == {"lowercase", "typos", "extra_whitespace", "strip_punctuation", "drop_words"}
    assert metrics["max_robustness_drop"] == max(r["drop"] for r in metrics["robustness"].values())
    assert set(metrics["latency"]["batches"]) == {"1", "16", "64"}


@pytest.mark.slow
def test_the_sample_data_is_hard_but_learnable(smoke_run: Path):
    """Even the smoke profile routes well, passes the golden set, and phone transcripts are the hardest slice."""
    metrics = metrics_of(smoke_run)
    assert 0.85 <= metrics["test"]["macro_f1"] <= 0.97
    assert metrics["golden"]["pass_rate"] == 1.0 and metrics["golden"]["failures"] == []
    assert metrics["slice_gaps"]["channel"]["worst"] == "phone"


@pytest.mark.slow
def test_report_and_plots(smoke_run: Path):
    run = smoke_run / "artifacts" / "smoke"
    report = (run / "report.md").read_text()
    assert report.startswith("# Evaluation of run `smoke`")
    for png in ("confusion_matrix.png", "slices_channel.png"):
        assert (run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in report
    assert "## Golden set" in report and "## Robustness" in report


def test_an_unknown_run_is_a_clear_error(project: Path, capsys):
    assert main(["--project", str(project), "evaluate", "--run", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no complete run 'nope'" in err and "Traceback" not in err
