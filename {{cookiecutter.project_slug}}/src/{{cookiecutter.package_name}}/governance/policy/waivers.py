"""Apply ``policies/waivers.yaml`` to gate results.

A waiver turns a failing result into ``waived`` (still listed, never hidden) when it names the
rule, its approver is on the governance approver list, and today is within its term: not past
``expires``, and ``expires`` at most ``max_days`` ahead. With a ``target``, only failures at or
below that dotted path are covered; a failure elsewhere in the same rule still fails. A waiver
that is expired, unapproved, too long or names an unknown rule is not applied and becomes a
blocking finding of its own (``WAIVER-001``), placed at the waiver in its file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .engine import Result, doc_location
from .models import WAIVER_RULE_ID
from .pack import LoadedWaiver, PolicyPack

WAIVER_TITLE = "Waivers are approved, unexpired and within the longest allowed term"
WAIVER_HELP = (
    "Each waiver in policies/waivers.yaml needs a rule id the policies define, an approver listed in "
    "policies/governance.yaml, and an expiry date between today and `waivers.max_days` ahead. Renew an expired "
    "waiver (with a fresh approval) or fix the failure and delete the waiver."
)


def covers(target: str | None, path: str) -> bool:
    """Whether a waiver ``target`` covers the failing ``path`` (no target covers everything)."""
    return target is None or path == target or path.startswith(target + ".")


def waiver_problems(entry: LoadedWaiver, pack: PolicyPack, today: dt.date) -> list[str]:
    """Why a waiver cannot be applied today; empty when it is valid."""
    waiver, governance = entry.waiver, pack.governance
    problems = []
    if pack.rule(waiver.rule) is None:
        problems.append(f"no rule {waiver.rule} in policies/")
    if waiver.approver.lower() not in {a.lower() for a in governance.approvers}:
        problems.append(f"approver {waiver.approver} is not in `approvers` of {pack.governance_doc.shown}")
    limit = governance.waivers.max_days
    if waiver.expires < today:
        problems.append(f"expired on {waiver.expires}")
    elif (waiver.expires - today).days > limit:
        latest = today + dt.timedelta(days=limit)
        problems.append(f"expires {waiver.expires}, more than {limit} days ahead (at most {latest})")
    return problems


def apply_waivers(results: list[Result], pack: PolicyPack, now: dt.datetime, root: Path) -> list[Result]:
    """Mark covered failures of ``results`` as waived; return one finding per invalid waiver."""
    today = now.date()
    findings: list[Result] = []
    valid: list[LoadedWaiver] = []
    for entry in pack.waivers:
        problems = waiver_problems(entry, pack, today)
        if not problems:
            valid.append(entry)
            continue
        waiver = entry.waiver
        scope = f" (target {waiver.target})" if waiver.target else ""
        findings.append(
            Result(
                id=WAIVER_RULE_ID,
                title=WAIVER_TITLE,
                severity="error",
                status="fail",
                message=f"waiver of {waiver.rule}{scope} approved by {waiver.approver}: " + "; ".join(problems),
                help=WAIVER_HELP,
                where=f"waivers.{entry.index}",
                failures=[f"waivers.{entry.index}"],
                location=doc_location(entry.doc, entry.loc, root),
            )
        )
        for result in results:
            if result.id == waiver.rule and result.status == "fail":
                result.message += f" [waiver not applied: {'; '.join(problems)}]"
    for result in results:
        if result.status != "fail":
            continue
        mine = [entry.waiver for entry in valid if entry.waiver.rule == result.id]
        if not mine:
            continue
        failures = result.failures or [result.where or result.id]
        open_ = [path for path in failures if not any(covers(w.target, path) for w in mine)]
        if open_:
            scopes = ", ".join(w.target or "all" for w in mine)
            result.message += f" [waived only for {scopes}; still failing: {', '.join(open_)}]"
            continue
        used = [w for w in mine if any(covers(w.target, path) for path in failures)]
        result.status = "waived"
        result.waiver = {
            "approver": used[0].approver,
            "reason": used[0].reason,
            "expires": used[0].expires.isoformat(),
            "target": used[0].target,
        }
    return findings
