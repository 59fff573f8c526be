"""Every rule of the default pack, with one passing and one failing policy input document each.

The passing document is built for real: a copy of this project committed to git, a run whose
lineage matches it, and production metrics slightly below the run's. Each failing document
changes one fact; only the rule under test may change its result.
"""

from __future__ import annotations

import copy
import shutil

import pytest

from {{ cookiecutter.package_name }}.governance.facts import build_facts
from {{ cookiecutter.package_name }}.governance.gate import judge, load_inputs, parse_now

from .conftest import ROOT
from .runfixtures import release, write_run

NOW = parse_now("2026-11-23T12:00:00Z")


def _set(path: str, value):
    def change(facts: dict) -> None:
        *parents, last = path.split(".")
        node = facts
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        node[last] = value

    return change


#: rule id -> a change of the passing facts that must make exactly that rule fail
FAILING = {
    "QUAL-001": _set("metrics.test.macro_f1", 0.84),
    "QUAL-002": _set("metrics.test.per_class.returns.f1", 0.62),
    "QUAL-003": _set("metrics.test.ece", 0.21),
    "REG-001": _set("deltas.primary.regression", 0.031),
    "GOLD-001": _set("metrics.golden.pass_rate", 0.975),
    "FAIR-001": _set("metrics.max_slice_gap", 0.22),
    "ROB-001": _set("metrics.max_robustness_drop", 0.26),
    "DATA-001": _set("data.pii.total", 2),
    "DATA-002": _set("data.duplicates.exact_across.count", 1),
    "DATA-003": _set("data.duplicates.near_across.count", 4),
    "DATA-004": _set("data.labels.unknown.count", 1),
    "DATA-005": _set("data.texts.empty.count", 3),
    "DATA-006": _set("data.texts.too_long.count", 1),
    "DATA-007": _set("data.labels.balance.train.min_share", 0.02),
    "LIC-001": _set("licenses.dataset.allowed", False),
    "LIC-002": _set("licenses.base_model", {"id": None, "allowed": False, "declared_in": "specs/model.yaml"}),
    "PIN-001": _set("specs.model.base", {"type": "huggingface", "id": "org/model", "revision": "main"}),
    "PIN-002": _set("specs.data.source", {"type": "huggingface", "id": "org/data", "revision": "v1.0"}),
    "RUN-001": _set("run.profile", "smoke"),
    "CARD-001": _set("card.missing", ["specs/model.yaml card.limitations: placeholder text"]),
    "OWN-001": _set("specs.model.card.owners", ["the ML team"]),
    "OWN-002": _set("specs.data.owner", "nobody"),
    "GPU-001": _set("budget.gpus.headroom", -2),
    "LIN-001": _set("lineage.mismatches", ["specs/model.yaml changed since the run was trained"]),
    "LIN-002": _set("run.dirty", True),
    "LIN-003": _set("git.dirty", True),
}


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory):
    """(project, pack, facts) of a clean, committed copy of this project with a good run, at release."""
    root = tmp_path_factory.mktemp("clean")
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, root / name)
    release(root, 0.9, message="clean project")
    run_dir = write_run(root)
    project, pack = load_inputs(root)
    facts = build_facts(project, pack, run_dir, stage="release", now=NOW, baseline=None)
    return project, pack, facts


def _statuses(passing, facts: dict) -> dict[str, str]:
    project, pack, _ = passing
    return {r.id: r.status for r in judge(project, pack, facts, stage="release", now=NOW).results}


def test_every_default_rule_has_a_failing_case(passing):
    _, pack, _ = passing
    shipped = ("default.yaml", "text-classification.yaml")
    default = {e.rule.id for e in pack.rules if e.doc.path.name in shipped}
    assert default == set(FAILING)


def test_the_passing_document_passes_every_rule(passing):
    assert _statuses(passing, passing[2]) == {rule: "pass" for rule in FAILING}


def test_the_sample_project_passes(passing):
    project, pack, _ = passing
    run_dir = project.root / "artifacts" / "latest"
    for stage in ("pr", "release"):
        facts = build_facts(project, pack, run_dir, stage=stage, now=NOW, baseline=None)
        report = judge(project, pack, facts, stage=stage, now=NOW)
        assert report.passed
        assert [(r.id, r.status) for r in report.results if r.status != "pass"] == []


@pytest.mark.parametrize("rule", sorted(FAILING))
def test_rule_fails_on_its_failing_case_alone(passing, rule: str):
    facts = copy.deepcopy(passing[2])
    FAILING[rule](facts)
    statuses = _statuses(passing, facts)
    assert statuses.pop(rule) == "fail"
    assert set(statuses.values()) == {"pass"}, f"{rule}'s case also changed {statuses}"


def test_pr_stage_runs_the_pr_rules_only(passing):
    project, pack, facts = passing
    ids = {r.id for r in judge(project, pack, {**facts, "stage": "pr"}, stage="pr", now=NOW).results}
    assert ids == set(FAILING) - {"CARD-001", "LIN-002", "LIN-003", "RUN-001"}


def test_regression_is_skipped_without_production(passing):
    facts = copy.deepcopy(passing[2])
    facts["baseline"] = facts["deltas"] = None
    facts["unavailable"]["deltas"] = "no production baseline: deploy/production/metrics.json does not exist"
    project, pack, _ = passing
    result = next(r for r in judge(project, pack, facts, stage="release", now=NOW).results if r.id == "REG-001")
    assert (result.status, result.blocking) == ("skipped", False)
    assert "no production baseline" in result.message


def test_failure_messages_explain(passing):
    facts = copy.deepcopy(passing[2])
    FAILING["GPU-001"](facts)
    FAILING["QUAL-001"](facts)
    project, pack, _ = passing
    results = {r.id: r for r in judge(project, pack, facts, stage="release", now=NOW).results}
    assert results["QUAL-001"].message == "macro-F1 on the test split is 0.84; the floor is 0.85"
    assert results["GPU-001"].message.startswith("the deployment may hold 8 GPUs (1 per replica")
    assert results["QUAL-001"].location.path == "specs/evaluation.yaml"
