"""The policy input document: deltas to production, lineage, baselines, and what is unavailable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.governance.facts import build_facts, deltas, load_baseline
from {{ cookiecutter.package_name }}.governance.gate import load_inputs, parse_now

from .runfixtures import good_metrics, write_run

NOW = parse_now("2026-11-23T12:00:00Z")


def _facts(project: Path, run_dir: Path, **kwargs) -> dict:
    project_, pack = load_inputs(project)
    return build_facts(project_, pack, run_dir, stage="pr", now=NOW, **{"baseline": None, **kwargs})


def test_regression_is_positive_when_worse_in_either_direction():
    now, then = good_metrics("a"), good_metrics("b")
    now["test"].update(macro_f1=0.88, ece=0.09)
    then["test"].update(macro_f1=0.90, ece=0.05)
    out = deltas(now, then, "macro_f1")
    assert out["primary"] == {"current": 0.88, "baseline": 0.9, "delta": -0.02, "regression": 0.02}
    assert out["metrics"]["ece"] == {"current": 0.09, "baseline": 0.05, "delta": 0.04, "regression": 0.04}
    assert out["metrics"]["golden_pass_rate"]["regression"] == 0
    assert "rows" not in out["metrics"]


def test_lineage_names_each_mismatch(project: Path):
    run_dir = write_run(project, metrics={**good_metrics("someone-else")})
    spec = project / "specs" / "evaluation.yaml"
    spec.write_text(spec.read_text() + "\n")
    lineage = _facts(project, run_dir)["lineage"]
    assert lineage["specs"]["evaluation"]["match"] is False and lineage["specs"]["model"]["match"] is True
    assert lineage["mismatches"] == [
        "specs/evaluation.yaml changed since the run was trained",
        "metrics.json belongs to run 'someone-else', not '20261123-090000-abcd'",
    ]


def test_what_is_unavailable_says_why(project: Path):
    run_dir = write_run(project)
    (run_dir / "metrics.json").unlink()
    facts = _facts(project, run_dir)
    assert facts["metrics"] is None and facts["deltas"] is None and facts["baseline"] is None
    assert facts["unavailable"]["metrics"] == "no metrics.json in artifacts/20261123-090000-abcd; run `evaluate`"
    assert facts["unavailable"]["baseline"].startswith("no production baseline")
    assert facts["unavailable"]["git"] == "the project is not in a git repository"
    assert facts["card"]["complete"] is False


def test_bad_baselines_exit_2(project: Path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("baselines")
    (folder / "not-json.json").write_text("{")
    (folder / "not-metrics.json").write_text(json.dumps({"accuracy": 1}))
    with pytest.raises(ProjectError, match="not valid JSON"):
        load_baseline(project, str(folder / "not-json.json"))
    with pytest.raises(ProjectError, match="not a metrics.json"):
        load_baseline(project, str(folder / "not-metrics.json"))
    with pytest.raises(ProjectError, match="no such file, and .* is not a git repository"):
        load_baseline(project, "origin/main")


def test_licenses_and_budget(project: Path):
    facts = _facts(project, write_run(project))
    assert facts["licenses"]["dataset"] == {"id": "CC0-1.0", "allowed": True, "declared_in": "specs/data.yaml license"}
    assert facts["licenses"]["base_model"] is None
    gpus = facts["budget"]["gpus"]
    assert gpus["requested"] == gpus["per_replica"] * sum(gpus["max_replicas"].values())
    assert gpus["headroom"] == gpus["limit"] - gpus["requested"]


def test_malformed_metrics_and_run_files_exit_2_without_a_traceback(project: Path, capsys):
    from {{ cookiecutter.package_name }}.cli import main

    run_dir = write_run(project, metrics={**good_metrics("20261123-090000-abcd"), "slices": {"channel": [1, 2]}})
    assert main(["--project", str(project), "gate", "--stage", "pr"]) == 2
    assert "metrics.json: `slices.channel` must be a JSON object" in capsys.readouterr().err
    (run_dir / "metrics.json").write_text(json.dumps(good_metrics("20261123-090000-abcd")))
    (run_dir / "run.json").write_text(json.dumps({"run_id": "20261123-090000-abcd", "created": 5, "git": "x"}))
    facts = _facts(project, run_dir)
    assert facts["run"]["created"] is None and facts["run"]["dirty"] is None
    assert facts["lineage"]["mismatches"][0] == "run.json records no hash of specs/data.yaml"
    assert main(["--project", str(project), "card"]) == 0
