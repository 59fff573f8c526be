"""The pull-request comment: spec and policy field changes, metrics against production, result changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.governance.diff import field_changes, flatten
from {{ cookiecutter.package_name }}.specs.project import load_project

from .runfixtures import commit_all, release, write_run

NOW = ["--now", "2026-11-23T12:00:00Z"]


@pytest.fixture
def branch(project: Path) -> Path:
    """A project whose `main` has a production release, with edits on top of it and a run of them."""
    release(project, 0.9, ece=0.05)
    spec = project / "specs" / "model.yaml"
    spec.write_text(spec.read_text().replace("learning_rate: 0.001", "learning_rate: 0.002"))
    deployment = project / "specs" / "deployment.yaml"
    deployment.write_text(deployment.read_text().replace("max_replicas: 6", "max_replicas: 4"))
    policy = project / "policies" / "default.yaml"
    policy.write_text(policy.read_text().replace("must: {minimum: 0.85}", "must: {minimum: 0.92}", 1))
    write_run(project)
    return project


def _diff(project: Path, *args: str, capsys) -> str:
    assert main(["--project", str(project), "diff", "--base", "main", *args, *NOW]) == 0
    return capsys.readouterr().out


def test_spec_and_policy_fields_that_changed(branch: Path, capsys):
    out = _diff(branch, capsys=capsys)
    name = load_project(branch, check_data=False).model.name
    assert out.startswith(f"<!-- policy-gate:diff -->\n## Change report: `{name}` against `main` · `pr` stage")
    assert "**specs/model.yaml** · 1 changed\n" in out
    assert "| `training.learning_rate` | `0.001` | `0.002` |" in out
    assert "| `environments[production].scaling.max_replicas` | `6` | `4` |" in out
    assert "| `rules[QUAL-001].must.minimum` | `0.85` | `0.92` |" in out
    unchanged = "specs/data.yaml, specs/evaluation.yaml, specs/monitoring.yaml, policies/governance.yaml"
    assert f"Unchanged: {unchanged}, policies/waivers.yaml" in out


def test_metrics_against_production(branch: Path, capsys):
    out = _diff(branch, capsys=capsys)
    assert "Production: `main:deploy/production/metrics.json` (run `20261001-080000-prod`)" in out
    assert "| **macro_f1** (primary) | 0.900 | 0.910 | +0.010 ▲ better |" in out
    assert "| ece | 0.050 | 0.041 | -0.009 ▲ better |" in out
    assert "| accuracy | 0.913 | 0.913 | = |" in out


def test_policy_results_that_change(branch: Path, capsys):
    out = _diff(branch, capsys=capsys)
    assert "At `pr` stage this run ⛔ is **blocked**" in out
    assert "Results that change (policies at `main` → this branch's policies, both on this run):" in out
    assert "| **QUAL-001** Test macro-F1 is at least 0.85 | ✅ pass | ❌ fail |" in out


def test_production_facts_are_the_before_side_when_committed(branch: Path, capsys):
    assert main(["--project", str(branch), "gate", "--stage", "release", *NOW]) == 1
    facts = json.loads((branch / "artifacts" / "latest" / "facts.json").read_text())
    facts["metrics"]["test"]["ece"] = 0.3  # production was badly calibrated
    (branch / "deploy" / "production" / "facts.json").write_text(json.dumps(facts))
    shutil.copy(branch / "deploy" / "production" / "facts.json", branch / "prod-facts.json")
    commit_all(branch, "production facts")
    out = _diff(branch, capsys=capsys)
    assert "policies at `main` on production's facts → this branch's policies on this run" in out
    assert "| **QUAL-003** Expected calibration error is at most 0.15 | ⚠️ warning | ✅ pass |" in out


def test_out_file_and_no_changes(branch: Path, tmp_path_factory, capsys):
    commit_all(branch, "everything")
    out_file = tmp_path_factory.mktemp("comment") / "comment.md"
    out = _diff(branch, "--out", str(out_file), capsys=capsys)
    assert out_file.read_text() == out
    assert "No spec or policy field changes." in out
    assert "No result changes" in out


def test_without_a_run_only_specs_are_compared(project: Path, capsys):
    commit_all(project, "first")
    out = _diff(project, capsys=capsys)
    assert "Not compared: no run in" in out


def test_errors_exit_2(project: Path, capsys):
    assert main(["--project", str(project), "diff", "--base", "main"]) == 2
    assert "is not inside a git repository" in capsys.readouterr().err
    commit_all(project, "first")
    assert main(["--project", str(project), "diff", "--base", "no-such-branch"]) == 2
    assert "unknown git revision 'no-such-branch'" in capsys.readouterr().err


def test_flatten_names_list_items_by_id():
    rules = {"rules": [{"id": "A-001", "must": {"minimum": 1}}, {"id": "B-002", "stages": ["pr"]}]}
    assert flatten(rules) == {
        "rules[A-001].id": "A-001",
        "rules[A-001].must.minimum": 1,
        "rules[B-002].id": "B-002",
        "rules[B-002].stages": ["pr"],
    }
    assert field_changes({"a": 1, "b": [1]}, {"a": 2, "c": "x"}) == [("a", 1, 2), ("b", [1], ...), ("c", ..., "x")]


def test_without_production_the_run_s_metrics_are_listed(project: Path, capsys):
    commit_all(project, "first")
    write_run(project)
    out = _diff(project, capsys=capsys)
    assert "No production baseline: deploy/production/metrics.json does not exist at main." in out
    assert "| macro_f1 | 0.91 |" in out
