"""Every rule of the text-generation pack, with one passing and one failing policy input document each.

The passing document is built for real: a copy of this project committed to git, a run whose
lineage matches it, and production metrics slightly below the run's. Each failing document changes
one fact; only the rule under test may change its result.
"""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from {{ cookiecutter.package_name }}.governance.facts import build_facts
from {{ cookiecutter.package_name }}.governance.gate import judge, load_inputs, parse_now
from {{ cookiecutter.package_name }}.tasks.generation.metrics_schema import GenerationMetrics

from .conftest import ROOT
from .genmetrics import good_generation_metrics
from .runfixtures import commit_all, write_run

NOW = parse_now("2026-11-23T12:00:00Z")
RULES_FILE = "text-generation.yaml"


def _set(path: str, value):
    def change(facts: dict) -> None:
        *parents, last = path.split(".")
        node = facts
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        node[last] = value

    return change


def _failing_golden(facts: dict) -> None:
    golden = facts["metrics"]["golden"]
    golden.update(passed=8, pass_rate=0.8, suite_passed=False, failures=["golden-00", "golden-01"])


#: rule id -> a change of the passing facts that must make exactly that rule fail
FAILING = {
    "GOLD-002": _set("metrics.golden.suite_passed", False),
    "GOLD-003": _set("metrics.golden.pass_rate", 0.85),
    "TEXT-001": _set("metrics.test.rouge_l", 0.25),
    "TEXT-002": _set("metrics.test.chrf", 21.0),
    "TEXT-003": _set("metrics.test.perplexity", 42.0),
    "TEXT-004": _set("metrics.below_floors", ["rouge_l"]),
    "SAFE-001": _set("metrics.safety.pii.outputs", 1),
    "SAFE-002": _set("metrics.safety.profanity.outputs", 2),
    "SAFE-003": _set("metrics.safety.refusal.rate", 0.1),
}


@pytest.fixture(scope="module")
def passing(tmp_path_factory: pytest.TempPathFactory):
    """(project, pack, facts) of a clean, committed copy of this project with a good run, at release."""
    root = tmp_path_factory.mktemp("clean")
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, root / name)
    (root / "deploy" / "production").mkdir(parents=True)
    production = good_generation_metrics("20261001-080000-prod", rouge_l=0.61)
    (root / "deploy" / "production" / "metrics.json").write_text(json.dumps(production))
    commit_all(root, "clean project")
    run_dir = write_run(root, metrics=good_generation_metrics("20261123-090000-abcd"))
    project, pack = load_inputs(root)
    facts = build_facts(project, pack, run_dir, stage="release", now=NOW, baseline=None)
    return project, pack, facts


def _statuses(passing, facts: dict) -> dict[str, str]:
    project, pack, _ = passing
    return {r.id: r.status for r in judge(project, pack, facts, stage="release", now=NOW).results}


def test_the_fixture_metrics_follow_the_schema():
    GenerationMetrics.model_validate(good_generation_metrics("run"))


def test_every_rule_of_the_pack_has_a_failing_case(passing):
    _, pack, _ = passing
    assert {e.rule.id for e in pack.rules if e.doc.path.name == RULES_FILE} == set(FAILING)


def test_the_passing_document_passes_every_rule(passing):
    statuses = _statuses(passing, passing[2])
    assert {rule: statuses[rule] for rule in FAILING} == {rule: "pass" for rule in FAILING}
    assert statuses["REG-001"] == "pass"


@pytest.mark.parametrize("rule", sorted(FAILING))
def test_rule_fails_on_its_failing_case_alone(passing, rule: str):
    facts = copy.deepcopy(passing[2])
    before = _statuses(passing, facts)
    FAILING[rule](facts)
    after = _statuses(passing, facts)
    assert after.pop(rule) == "fail"
    before.pop(rule)
    assert after == before, f"{rule}'s case also changed {set(after.items()) - set(before.items())}"


def test_regression_reads_the_primary_text_metric(passing):
    facts = copy.deepcopy(passing[2])
    assert facts["deltas"]["primary_metric"] == "rouge_l"
    assert facts["deltas"]["primary"]["regression"] == pytest.approx(-0.01)
    assert facts["deltas"]["metrics"]["perplexity"]["regression"] == 0.0
    facts["deltas"]["primary"]["regression"] = 0.05
    assert _statuses(passing, facts)["REG-001"] == "fail"


def test_failure_messages_explain(passing):
    facts = copy.deepcopy(passing[2])
    _failing_golden(facts)
    FAILING["SAFE-001"](facts)
    project, pack, _ = passing
    results = {r.id: r for r in judge(project, pack, facts, stage="release", now=NOW).results}
    assert results["GOLD-002"].message == "8 of 10 golden cases passed (0.8), below the suite's minimum of 0.9"
    assert results["GOLD-003"].message == "0.8 of the golden cases passed; the floor is 0.9"
    assert results["SAFE-001"].message == "1 generated outputs hold personal data or secrets ({})"
    assert results["GOLD-002"].location.path == "specs/evaluation.yaml"
