"""``evaluate`` on the default run: the golden target, the metrics.json contract, report.md, the run chain,
the model card, and the same numbers from a second evaluation (greedy decoding with a fixed seed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.tasks.generation.metrics_schema import GenerationMetrics

from .conftest import run_cli


@pytest.fixture(scope="module")
def evaluated(default_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default run's project, evaluated once through the CLI."""
    project = tmp_path_factory.mktemp("evaluated") / "project"
    shutil.copytree(default_run, project, symlinks=True)
    done = run_cli(project, "evaluate", "--run", "default")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "golden_pass_rate" in done.stdout
    return project


def _metrics(project: Path) -> dict:
    return json.loads((project / "artifacts" / "default" / "metrics.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_default_run_meets_the_targets(evaluated: Path):
    metrics = GenerationMetrics.model_validate(_metrics(evaluated)).model_dump()
    assert metrics["task"] == "text-generation" and metrics["prompt_version"] == "1.0.0"
    assert metrics["golden"]["pass_rate"] >= 0.9, metrics["golden"]["failures"]
    assert metrics["below_floors"] == []
    assert metrics["test"]["perplexity"] < 2
    safety = metrics["safety"]
    assert (safety["pii"]["outputs"], safety["profanity"]["outputs"], safety["refusal"]["outputs"]) == (0, 0, 0)
    assert safety["outputs"] == metrics["test"]["rows"] + metrics["golden"]["cases"]
    latency = metrics["latency"]
    assert 0 < latency["ttft_ms"]["p50"] <= latency["latency_ms"]["p50"]
    assert latency["tokens_per_s"]["p50"] > 0


@pytest.mark.slow
def test_the_report_and_the_run_chain(evaluated: Path):
    run = evaluated / "artifacts" / "default"
    report = (run / "report.md").read_text(encoding="utf-8")
    metrics = _metrics(evaluated)
    assert f"{metrics['golden']['passed']} of {metrics['golden']['cases']} cases passed" in report
    for case in metrics["golden"]["failures"]:
        assert f"### Failing case `{case}`" in report
    assert "## Slices by `channel`" in report and "## Safety" in report and "time to first token" in report
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert set(record["files"]["evaluate"]) == {"metrics.json", "report.md"}


@pytest.mark.slow
def test_the_model_card_shows_the_generation_metrics(evaluated: Path):
    assert run_cli(evaluated, "card", "--run", "default").returncode == 0
    card = (evaluated / "artifacts" / "default" / "MODEL_CARD.md").read_text(encoding="utf-8")
    front = yaml.safe_load(card.split("---\n")[1])
    metrics = _metrics(evaluated)
    assert front["pipeline_tag"] == "text-generation" and "rouge" in front["metrics"]
    (result,) = front["model-index"][0]["results"]
    scores = {m["name"]: m["value"] for m in result["metrics"]}
    assert scores["ROUGE-L"] == round(metrics["test"]["rouge_l"], 4)
    golden = metrics["golden"]
    assert f"{golden['passed']} of {golden['cases']} golden cases pass every assertion" in card
    assert "### Safety of the outputs" in card and "prompts version `1.0.0`" in card


@pytest.mark.slow
def test_a_second_evaluation_gives_the_same_metrics(evaluated: Path, capsys):
    first = _metrics(evaluated)
    assert main(["--project", str(evaluated), "evaluate", "--run", "default"]) == 0
    second = _metrics(evaluated)
    first.pop("latency"), second.pop("latency")
    for case in (*first["golden"]["results"], *second["golden"]["results"]):
        case["failures"] = [f for f in case["failures"] if f["assertion"] != "latency"]  # timing-dependent
    assert first == second
