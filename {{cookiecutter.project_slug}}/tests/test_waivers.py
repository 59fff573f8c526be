"""Waivers: approved, unexpired and short enough ones waive (visibly); others block on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.governance.gate import parse_now
from {{ cookiecutter.package_name }}.governance.policy.engine import evaluate, rules_for
from {{ cookiecutter.package_name }}.governance.policy.pack import load_policies
from {{ cookiecutter.package_name }}.governance.policy.waivers import apply_waivers

NOW = parse_now("2026-11-23T10:00:00Z")
APPROVER = load_policies(Path(__file__).resolve().parents[1] / "policies").governance.approvers[0]
FACTS = {
    "metrics": {
        "test": {
            "macro_f1": 0.8,
            "per_class": {"billing": {"f1": 0.9}, "returns": {"f1": 0.6}, "shipping": {"f1": 0.9}},
        }
    }
}


def _judge(project: Path, waivers: str, facts: dict = FACTS):
    path = project / "policies" / "waivers.yaml"
    path.write_text(path.read_text().replace("waivers: []", "waivers:\n" + waivers))
    pack = load_policies(project / "policies")
    results = evaluate(rules_for(pack, "pr"), facts, root=project)
    findings = apply_waivers(results, pack, NOW, project)
    return {r.id: r for r in results}, findings


def _waiver(rule: str = "QUAL-001", expires: str = "2026-12-31", approver: str = APPROVER, target: str = "") -> str:
    lines = [
        f"  - rule: {rule}",
        "    reason: Accepted until the data refresh in December lands.",
        f"    approver: '{approver}'",
        f"    expires: {expires}",
    ]
    if target:
        lines.insert(1, f"    target: {target}")
    return "\n".join(lines) + "\n"


def test_a_valid_waiver_waives_visibly(project: Path):
    results, findings = _judge(project, _waiver())
    result = results["QUAL-001"]
    assert (result.status, result.blocking, findings) == ("waived", False, [])
    assert result.waiver == {
        "approver": APPROVER,
        "reason": "Accepted until the data refresh in December lands.",
        "expires": "2026-12-31",
        "target": None,
    }
    assert "0.8" in result.message  # the failure itself is still shown


@pytest.mark.parametrize(
    ("waiver", "problem"),
    [
        (_waiver(expires="2026-11-22"), "expired on 2026-11-22"),
        (_waiver(expires="2027-02-22"), "expires 2027-02-22, more than 90 days ahead (at most 2027-02-21)"),
        (_waiver(approver="@someone/else"), "approver @someone/else is not in `approvers` of"),
        (_waiver(rule="QUAL-999"), "no rule QUAL-999 in policies/"),
    ],
    ids=["expired", "too-long", "unapproved", "unknown-rule"],
)
def test_a_bad_waiver_is_not_applied_and_blocks_itself(project: Path, waiver: str, problem: str):
    results, findings = _judge(project, waiver)
    assert results["QUAL-001"].status == "fail"
    (finding,) = findings
    assert (finding.id, finding.status, finding.blocking) == ("WAIVER-001", "fail", True)
    assert problem in finding.message
    text = (project / "policies" / "waivers.yaml").read_text().splitlines()
    line = next(n for n, t in enumerate(text, 1) if t.startswith("  - rule:"))
    assert (finding.location.path, finding.location.line) == ("policies/waivers.yaml", line)


@pytest.mark.parametrize("expires", ["2026-11-23", "2027-02-21"], ids=["last-day", "longest-term"])
def test_the_term_boundaries_are_inclusive(project: Path, expires: str):
    results, findings = _judge(project, _waiver(expires=expires))
    assert (results["QUAL-001"].status, findings) == ("waived", [])


def test_a_target_waives_only_failures_below_it(project: Path):
    results, _ = _judge(project, _waiver(rule="QUAL-002", target="metrics.test.per_class.returns"))
    assert results["QUAL-002"].status == "waived"
    assert results["QUAL-002"].waiver["target"] == "metrics.test.per_class.returns"

    facts = {
        "metrics": {
            "test": {**FACTS["metrics"]["test"], "per_class": {"returns": {"f1": 0.6}, "shipping": {"f1": 0.5}}}
        }
    }
    results, _ = _judge(project, _waiver(rule="QUAL-002", target="metrics.test.per_class.returns"), facts)
    assert results["QUAL-002"].status == "fail"
    assert "still failing: metrics.test.per_class.shipping.f1" in results["QUAL-002"].message


def test_a_target_elsewhere_waives_nothing(project: Path):
    results, findings = _judge(project, _waiver(rule="QUAL-002", target="metrics.test.per_class.billing"))
    assert (results["QUAL-002"].status, findings) == ("fail", [])
