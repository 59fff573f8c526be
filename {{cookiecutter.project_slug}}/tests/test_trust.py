"""The gate cannot be talked around: a pull request is judged by its base branch's policies.

Each test is one attack from a pull request on a project whose production model scores macro-F1
0.99, so the good (0.91) run below is blocked by REG-001. The base is the `main` branch of a small
repository; the pull request is a commit on top of it, judged with `--policy-ref main`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.governance.policy.approvals import load_approvals

from .runfixtures import commit_all, git, release, write_run

NOW = ["--now", "2026-11-23T12:00:00Z"]
OWNER = "@alice"  # listed in the base branch's approvers


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count))


@pytest.fixture
def pr(project: Path) -> Path:
    """`main` with a production release at macro-F1 0.99 and OWNER as an approver; a branch `pr` on it."""
    _edit(project / "policies" / "governance.yaml", "approvers:", f"approvers:\n  - '{OWNER}'")
    release(project, 0.99)
    git(project, "checkout", "-q", "-b", "pr")
    write_run(project)
    return project


def push(project: Path) -> str:
    """Commit the pull request's edits; returns its head sha."""
    return commit_all(project, "pull request")


def gate(project: Path, *args: str, stage: str = "pr") -> tuple[int, dict]:
    ref = ["--policy-ref", "main"] if stage == "pr" else []
    code = main(["--project", str(project), "gate", "--stage", stage, *ref, *NOW, *args])
    verdict = project / "artifacts" / "latest" / "gate.json"
    return code, json.loads(verdict.read_text()) if verdict.exists() and code != 2 else {}


def results(verdict: dict, key: str = "results") -> dict[str, list[dict]]:
    section = verdict if key == "results" else verdict[key]
    out: dict[str, list[dict]] = {}
    for r in section["results"]:
        out.setdefault(r["id"], []).append(r)
    return out


def reviews(project: Path, *entries: tuple[str, str, str]) -> list[str]:
    """An approvals file of (login, state, commit) reviews; returns the gate arguments that pass it."""
    path = project.parent / "reviews.json"
    path.write_text(json.dumps([{"user": {"login": u}, "state": s, "commit_id": c} for u, s, c in entries]))
    return ["--approvals", str(path), "--head-sha", git(project, "rev-parse", "HEAD").strip()]


def test_a_normal_run_is_blocked_by_the_base_s_baseline(pr: Path, capsys):
    code, verdict = gate(pr)
    assert code == 1
    (reg,) = results(verdict)["REG-001"]
    assert reg["status"] == "fail" and reg["blocking"]
    assert verdict["policies"]["ref"] == "main" and verdict["policies"]["changes"] == []
    facts = json.loads((pr / "artifacts" / "latest" / "facts.json").read_text())
    assert facts["baseline"]["source"] == "main:deploy/production/metrics.json"
    assert verdict["after_merge"]["verdict"] == "blocked"
    assert "policies, waivers and baseline from main" in capsys.readouterr().out


REG_001 = re.compile(r"  - id: REG-001\n(?:    .*\n|      .*\n)+")
RULE_ATTACKS = {
    "deleted": lambda text: REG_001.sub("", text),
    "limit raised": lambda text: text.replace("must: {maximum: 0.02}", "must: {maximum: 0.5}"),
    "severity lowered": lambda text: REG_001.sub(lambda m: m[0].replace("severity: error", "severity: warning"), text),
    "must wrapped in anyOf": lambda text: text.replace(
        "must: {maximum: 0.02}", "must: {anyOf: [{maximum: 0.02}, {minimum: 0}]}"
    ),
    "release stage only": lambda text: REG_001.sub(
        lambda m: m[0].replace("stages: [pr, release]", "stages: [release]"), text
    ),
}


@pytest.mark.parametrize("attack", RULE_ATTACKS)
def test_loosening_reg_001_still_blocks_and_needs_approval(pr: Path, attack: str, capsys):
    policy = pr / "policies" / "default.yaml"
    before = policy.read_text()
    policy.write_text(RULE_ATTACKS[attack](before))
    assert policy.read_text() != before
    push(pr)
    code, verdict = gate(pr)
    assert code == 1
    found = results(verdict)
    assert found["REG-001"][0]["status"] == "fail", "the base's rule judges the run"
    (change,) = found["POLICY-001"]
    assert change["pending_approval"] and change["blocking"] and change["where"] == "rule REG-001"
    assert change["message"].startswith("pending approval: rule REG-001 ")
    after = results(verdict, "after_merge").get("REG-001", [{"status": "absent", "blocking": False}])[0]
    assert not after["blocking"], "after merge, the loosened rule would let the run through"
    out = capsys.readouterr().out
    assert "PENDING POLICY-001" in out and "after merge (this change's policies)" in out
    comment = (pr / "artifacts" / "latest" / "gate.md").read_text()
    assert "Judged by the policies, waivers and production baseline of `main`" in comment
    assert "### After merge:" in comment and "⏳" in comment


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("must: {maximum: 0.02}", "must: {maximum: .nan}", "rules[0].must.maximum: a number that is not finite"),
        (
            "where: deltas.primary.regression",
            "where: deltas.primary.regresion",
            "rules[0].where: 'regresion' is not a field at deltas.primary of the policy input document; "
            "did you mean 'regression'?",
        ),
    ],
    ids=["nan limit", "typo in where"],
)
def test_a_rule_that_cannot_hold_is_invalid(pr: Path, old: str, new: str, problem: str, capsys):
    _edit(pr / "policies" / "default.yaml", old, new)
    push(pr)
    for stage in ("pr", "release"):
        assert gate(pr, stage=stage)[0] == 2
        assert problem in capsys.readouterr().err
    assert main(["--project", str(pr), "validate", "--skip-data"]) == 2
    assert problem in capsys.readouterr().err


def test_lowering_or_deleting_the_production_baseline(pr: Path, capsys, monkeypatch):
    metrics = pr / "deploy" / "production" / "metrics.json"
    lowered = json.loads(metrics.read_text())
    lowered["test"]["macro_f1"] = 0.5
    metrics.write_text(json.dumps(lowered))
    (pr / "main").write_text(json.dumps(lowered))  # a file named like the base ref is not a baseline
    monkeypatch.chdir(pr)
    push(pr)
    code, verdict = gate(pr)
    assert code == 1
    found = results(verdict)
    assert found["REG-001"][0]["status"] == "fail"  # the baseline is read from main
    assert found["POLICY-004"][0]["where"] == "deploy/production/metrics.json"
    assert found["POLICY-004"][0]["pending_approval"]
    assert main(["--project", str(pr), "diff", "--base", "main", *NOW]) == 0
    out = capsys.readouterr().out
    assert "No spec or policy field changes" not in out
    assert "**deploy/production/metrics.json** · 1 changed" in out and "| `test.macro_f1` | `0.99` | `0.5` |" in out
    metrics.unlink()
    push(pr)
    code, verdict = gate(pr)
    assert code == 1 and results(verdict)["REG-001"][0]["status"] == "fail"
    assert "deploy/production/metrics.json removed" in results(verdict)["POLICY-004"][0]["message"]


def _waive_reg_001(project: Path, approver: str = OWNER, expires: str = "2026-12-15", name: str = "waivers.yaml"):
    _edit(
        project / "policies" / name,
        "waivers: []",
        "waivers:\n  - rule: REG-001\n    reason: The relabelled test split lands next sprint.\n"
        f"    approver: '{approver}'\n    expires: {expires}\n",
    )


def test_a_waiver_counts_only_with_a_real_approval_at_the_head(pr: Path):
    _waive_reg_001(pr)
    old = push(pr)
    code, verdict = gate(pr)  # a listed approver's name, no review at all
    assert code == 1
    found = results(verdict)
    assert found["REG-001"][0]["status"] == "fail" and found["POLICY-003"][0]["pending_approval"]
    _edit(pr / "policies" / "waivers.yaml", "lands next sprint", "lands in the next sprint")
    head = push(pr)
    stale = reviews(pr, ("alice", "APPROVED", old))
    code, verdict = gate(pr, *stale)
    assert code == 1 and "@alice approved an earlier commit" in results(verdict)["POLICY-003"][0]["message"]
    approved = reviews(
        pr, ("alice", "CHANGES_REQUESTED", old), ("Alice", "APPROVED", head), ("alice", "COMMENTED", head)
    )
    code, verdict = gate(pr, *approved)
    assert code == 0
    found = results(verdict)
    assert found["REG-001"][0]["status"] == "waived"
    assert found["POLICY-003"][0]["status"] == "pass" and "approved by @alice" in found["POLICY-003"][0]["message"]
    assert verdict["policies"]["approved_by"] == [OWNER]


HEAD, OLD = "a" * 40, "b" * 40


@pytest.mark.parametrize(
    ("reviews_", "approved"),
    [
        ([("alice", "APPROVED", HEAD)], ["@alice"]),
        ([("alice", "APPROVED", OLD)], []),  # an approval of an earlier push
        ([("mallory", "APPROVED", HEAD)], []),  # not an approver of the base
        ([("alice", "APPROVED", HEAD), ("alice", "CHANGES_REQUESTED", HEAD)], []),  # withdrawn
        ([("alice", "APPROVED", HEAD), ("alice", "DISMISSED", HEAD)], []),
        ([("alice", "APPROVED", HEAD), ("alice", "COMMENTED", HEAD)], ["@alice"]),  # a comment changes nothing
        ([("bob", "APPROVED", HEAD)], []),  # a team listed as approver cannot be checked
    ],
)
def test_the_latest_deciding_review_at_the_head_counts(tmp_path: Path, reviews_: list, approved: list):
    path = tmp_path / "reviews.json"
    page = [{"user": {"login": u}, "state": s, "commit_id": c} for u, s, c in reviews_]
    path.write_text(json.dumps(page[:1]) + "\n" + json.dumps(page[1:]))  # `gh api --paginate`: pages back to back
    assert load_approvals(path, HEAD).by(["@alice", "@acme/bob"]) == approved


def test_adding_oneself_to_the_approvers_approves_nothing(pr: Path):
    _edit(pr / "policies" / "governance.yaml", "approvers:", "approvers:\n  - '@mallory'")
    _waive_reg_001(pr, approver="@mallory")
    head = push(pr)
    code, verdict = gate(pr, *reviews(pr, ("mallory", "APPROVED", head)))
    assert code == 1
    found = results(verdict)
    assert found["REG-001"][0]["status"] == "fail"
    assert "WAIVER-001" not in found, "a waiver pending approval is not applied at all"
    assert found["POLICY-002"][0]["pending_approval"] and "added ['@mallory']" in found["POLICY-002"][0]["message"]
    assert found["POLICY-003"][0]["pending_approval"]


def test_raising_max_days_takes_effect_only_after_merge(pr: Path):
    _edit(pr / "policies" / "governance.yaml", "max_days: 90", "max_days: 365")
    _waive_reg_001(pr, expires="2027-06-30")
    head = push(pr)
    code, verdict = gate(pr)
    assert code == 1
    assert "governance waivers.max_days changed: 90 -> 365" in results(verdict)["POLICY-002"][0]["message"]
    code, verdict = gate(pr, *reviews(pr, ("alice", "APPROVED", head)))
    assert code == 1, "approved, the waiver is still held to the base's 90 days"
    found = results(verdict)
    assert found["POLICY-002"][0]["status"] == "pass"
    assert "more than 90 days ahead" in found["WAIVER-001"][0]["message"]
    assert found["REG-001"][0]["status"] == "fail"


def test_a_second_waivers_file_is_invalid(pr: Path, capsys):
    (pr / "policies" / "extra-waivers.yaml").write_text((pr / "policies" / "waivers.yaml").read_text())
    _waive_reg_001(pr, name="extra-waivers.yaml")
    push(pr)
    assert gate(pr)[0] == 2
    assert "a second Waivers file" in capsys.readouterr().err


def test_release_trusts_the_merged_branch_and_refuses_a_policy_ref(pr: Path, capsys):
    assert main(["--project", str(pr), "gate", "--stage", "release", "--policy-ref", "main", *NOW]) == 2
    assert "--policy-ref is for --stage pr" in capsys.readouterr().err
    assert gate(pr, stage="release")[1]["verdict"] == "blocked"  # main's baseline: REG-001


def test_bad_approvals_exit_2(pr: Path, capsys):
    path = pr.parent / "reviews.json"
    path.write_text('[{"user": {"login": "alice"}, "state": "APPROVED"}')
    head = git(pr, "rev-parse", "HEAD").strip()
    assert gate(pr, "--approvals", str(path), "--head-sha", head)[0] == 2
    assert "not the JSON GitHub returns for reviews" in capsys.readouterr().err
    path.write_text(json.dumps([{"user": {}, "state": "APPROVED", "commit_id": head}]))
    assert gate(pr, "--approvals", str(path), "--head-sha", head)[0] == 2
    assert "review [0] needs user.login, state and commit_id" in capsys.readouterr().err
    assert gate(pr, "--approvals", str(path), "--head-sha", "HEAD")[0] == 2
    assert "is not a full commit sha" in capsys.readouterr().err
    assert main(["--project", str(pr), "gate", "--stage", "pr", "--approvals", str(path), *NOW]) == 2
    assert "--approvals needs --policy-ref" in capsys.readouterr().err
