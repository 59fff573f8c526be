"""Judge a pull request by rules it cannot edit: policies from its base, its own changes as findings.

``gate --stage pr --policy-ref REF`` reads ``policies/`` (rules, governance, waivers) as committed
at ``REF`` (the base branch) and judges the run with them. What the pull request changes there is
compared with ``REF``, and each difference is a finding of its own:

- ``POLICY-001`` a rule added, removed or changed (any field: limit, severity, stages, ``where``);
- ``POLICY-002`` a governance value changed (an approver, a license, ``waivers.max_days``, the GPU budget);
- ``POLICY-003`` a waiver added or edited (one the base does not have);
- ``POLICY-004`` a file under ``deploy/`` changed (only the release workflow writes the desired state).

Each blocks at PR stage until an approver listed in the base's governance has approved the pull
request at its head commit (``approvals``); then it passes, naming who approved. An approved
waiver is applied like the base's own waivers (checked against the base's governance); one
pending approval is not applied. Removing a waiver only makes the gate stricter and is shown,
not held. In CI the checkout is the merge of the pull request into its base, so the differences
are exactly what the pull request changes; locally, rebase on the base first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import gitinfo
from .approvals import Approvals
from .engine import Location, Result, doc_location
from .pack import LoadedWaiver, PolicyPack

DEPLOY = "deploy"
TITLES = {
    "POLICY-001": "Rule changes are approved by an owner",
    "POLICY-002": "Governance changes are approved by an owner",
    "POLICY-003": "New waivers are approved by an owner",
    "POLICY-004": "The deployed state changes only through a release",
}
HELP = (
    "A pull request is judged by the policies, governance, waivers and production baseline of its base "
    "branch. What it changes there takes effect after merge, and needs an approving review, at the pull "
    "request's latest commit, from one of the `approvers` in the base branch's policies/governance.yaml. "
    "deploy/ is written by the release workflow only: revert the edit."
)


@dataclass
class Change:
    """One difference between the base's policies and this tree's."""

    id: str  # POLICY-00x
    subject: str  # e.g. "rule REG-001", "governance waivers.max_days"
    what: str  # added | removed | changed
    detail: str = ""
    location: Location | None = None
    held: bool = True  # whether it needs approval (a removed waiver does not)

    def sentence(self) -> str:
        return f"{self.subject} {self.what}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Trust:
    """Where the verdict's policies came from, what this change alters, and who approved it."""

    ref: str
    commit: str
    base: PolicyPack
    head: PolicyPack
    approvals: Approvals
    changes: list[Change] = field(default_factory=list)

    @property
    def approved_by(self) -> list[str]:
        return self.approvals.by(self.base.governance.approvers)

    def judging_pack(self) -> PolicyPack:
        """The base's pack, plus the waivers this change adds once they are approved."""
        added = [w for w in self.head.waivers if _waiver_key(w) not in {_waiver_key(b) for b in self.base.waivers}]
        return dataclasses.replace(self.base, waivers=self.base.waivers + (added if self.approved_by else []))

    def findings(self) -> list[Result]:
        """One result per held change: passed when approved, a blocking failure while pending."""
        who = self.approved_by
        results = []
        for change in (c for c in self.changes if c.held):
            if who:
                status = "pass"
                message = f"{change.sentence()}; approved by {', '.join(who)} at {self.approvals.head_sha[:12]}"
            else:
                status = "fail"
                message = f"pending approval: {change.sentence()}; {self._needed()}"
            results.append(
                Result(
                    id=change.id,
                    title=TITLES[change.id],
                    severity="error",
                    status=status,
                    message=message,
                    help=HELP,
                    where=change.subject,
                    failures=[] if who else [change.subject],
                    location=change.location,
                    pending=not who,
                )
            )
        return results

    def _needed(self) -> str:
        people = [a for a in self.base.governance.approvers if "/" not in a]
        listed = ", ".join(people) if people else "none listed by handle (teams cannot be checked from reviews)"
        stale = "; ".join(
            f"@{login} approved an earlier commit {sha[:12]}" for login, sha in self.approvals.stale.items()
        )
        return f"needs an APPROVED review at the head commit by one of {listed} ({self.ref})" + (
            f"; {stale}" if stale else ""
        )

    def to_json(self) -> dict:
        return {
            "ref": self.ref,
            "commit": self.commit,
            "policy_hash": self.base.hash,
            "head_policy_hash": self.head.hash,
            "head_sha": self.approvals.head_sha,
            "reviews": self.approvals.source,
            "approved_by": self.approved_by,
            "changes": [
                {"id": c.id, "subject": c.subject, "what": c.what, "detail": c.detail, "held": c.held}
                for c in self.changes
            ],
        }


def _waiver_key(entry: LoadedWaiver) -> tuple:
    return tuple(sorted(entry.waiver.model_dump(mode="json").items()))


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _shown(value: Any) -> str:
    return "absent" if value is ... else repr(value)


def _field_changes(before: dict, after: dict) -> str:
    old, new = _flat(before), _flat(after)
    parts = [
        f"{path} {_shown(old.get(path, ...))} -> {_shown(new.get(path, ...))}"
        for path in sorted(old.keys() | new.keys())
        if old.get(path, ...) != new.get(path, ...)
    ]
    text = "; ".join(parts)
    return text if len(text) <= 300 else text[:299] + "…"


def rule_changes(base: PolicyPack, head: PolicyPack, root: Path) -> list[Change]:
    old = {e.rule.id: e for e in base.rules}
    new = {e.rule.id: e for e in head.rules}
    changes = []
    for rule_id in sorted(old.keys() | new.keys()):
        before, after = old.get(rule_id), new.get(rule_id)
        if after is None:
            loc = doc_location(before.doc, before.loc, root)
            changes.append(Change("POLICY-001", f"rule {rule_id}", "removed", before.rule.title, loc))
            continue
        loc = doc_location(after.doc, after.loc, root)
        if before is None:
            changes.append(Change("POLICY-001", f"rule {rule_id}", "added", after.rule.title, loc))
        elif before.rule != after.rule:
            detail = _field_changes(before.rule.model_dump(mode="json"), after.rule.model_dump(mode="json"))
            changes.append(Change("POLICY-001", f"rule {rule_id}", "changed", detail, loc))
    return changes


def governance_changes(base: PolicyPack, head: PolicyPack, root: Path) -> list[Change]:
    old = _flat(base.governance.model_dump(mode="json", by_alias=True))
    new = _flat(head.governance.model_dump(mode="json", by_alias=True))
    changes = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path, ...), new.get(path, ...)
        if before == after:
            continue
        loc = doc_location(head.governance_doc, tuple(path.split(".")), root)
        if isinstance(before, list) and isinstance(after, list):
            added = [v for v in after if v not in before]
            removed = [v for v in before if v not in after]
            detail = "; ".join(
                part for part in (f"added {added}" if added else "", f"removed {removed}" if removed else "") if part
            )
            changes.append(Change("POLICY-002", f"governance {path}", "changed", detail or "reordered", loc))
        else:
            changes.append(
                Change("POLICY-002", f"governance {path}", "changed", f"{_shown(before)} -> {_shown(after)}", loc)
            )
    return changes


def waiver_changes(base: PolicyPack, head: PolicyPack, root: Path) -> list[Change]:
    old = {_waiver_key(e) for e in base.waivers}
    new = {_waiver_key(e) for e in head.waivers}
    changes = []
    for entry in head.waivers:
        if _waiver_key(entry) not in old:
            w = entry.waiver
            scope = f"target {w.target}, " if w.target else ""
            detail = f"{scope}until {w.expires}, approver {w.approver}"
            changes.append(
                Change("POLICY-003", f"waiver of {w.rule}", "added", detail, doc_location(entry.doc, entry.loc, root))
            )
    for entry in base.waivers:
        if _waiver_key(entry) not in new:
            w = entry.waiver
            changes.append(Change("POLICY-003", f"waiver of {w.rule}", "removed", f"until {w.expires}", held=False))
    return changes


def deploy_changes(root: Path, commit: str) -> list[Change]:
    changes = []
    for path in gitinfo.changed_since(root, commit, DEPLOY):
        if not (root / path).exists():
            changes.append(Change("POLICY-004", path, "removed", "only the release workflow writes deploy/"))
        else:
            what = "changed" if gitinfo.show(root, commit, path) is not None else "added"
            changes.append(
                Change("POLICY-004", path, what, "only the release workflow writes deploy/", Location(path, 1, 1, 2))
            )
    return changes


def compare(root: Path, ref: str, commit: str, base: PolicyPack, head: PolicyPack, approvals: Approvals) -> Trust:
    """Everything this tree changes against ``ref`` that the verdict holds for approval."""
    changes = rule_changes(base, head, root) + governance_changes(base, head, root) + waiver_changes(base, head, root)
    changes += deploy_changes(root, commit)
    return Trust(ref, commit, base, head, approvals, changes)
