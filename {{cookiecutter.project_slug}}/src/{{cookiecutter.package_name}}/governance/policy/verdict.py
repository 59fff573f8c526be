"""The gate's decision: every result of one evaluation, and whether they let the run through.

``GateReport.to_json`` is the ``gate.json`` contract that ``build`` reads: the run passes when
no result blocks (``passed`` true, ``verdict`` ``pass``), and is ``blocked`` otherwise. A pull
request judged by its base's policies also records where they came from (``policies``) and what
its own policies would decide (``after_merge``: shown, never part of the verdict).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .engine import Result
from .models import Rule

#: order of results in every report: what blocks first, what passed last
STATUS_ORDER = {"error": 0, "fail": 1, "waived": 2, "skipped": 3, "pass": 4}


@dataclass
class GateReport:
    """The results of one gate run, in report order."""

    run_id: str
    stage: str
    evaluated_at: str
    policy_hash: str
    results: list[Result]
    rules: list[Rule] = field(default_factory=list)
    took_ms: float = 0.0
    trust: dict | None = None  # Trust.to_json(): the ref the policies came from, changes, approvals
    after_merge: GateReport | None = None  # this change's own policies on the same run

    def __post_init__(self) -> None:
        self.results.sort(key=lambda r: (STATUS_ORDER[r.status], r.status == "fail" and not r.blocking, r.id))

    @property
    def passed(self) -> bool:
        return not any(r.blocking for r in self.results)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "blocked"

    def counts(self) -> dict[str, int]:
        """Results by kind: blocking, warning (failed, not blocking), waived, skipped, passed."""
        tally = Counter(r.status for r in self.results)
        return {
            "rules": len(self.results),
            "blocking": sum(r.blocking for r in self.results),
            "warning": sum(r.status == "fail" and not r.blocking for r in self.results),
            "waived": tally["waived"],
            "skipped": tally["skipped"],
            "passed": tally["pass"],
        }

    def summary(self) -> str:
        c = self.counts()
        pending = sum(r.pending for r in self.results)
        blocking = f"{c['blocking']} blocking" + (f" ({pending} pending approval)" if pending else "")
        parts = [blocking, f"{c['warning']} warning{'s' * (c['warning'] != 1)}"]
        parts += [f"{c[k]} {k}" for k in ("waived", "skipped") if c[k]]
        return f"{c['rules']} results: " + ", ".join(parts) + f", {c['passed']} passed"

    def to_json(self) -> dict:
        out = {
            "run_id": self.run_id,
            "stage": self.stage,
            "passed": self.passed,
            "verdict": self.verdict,
            "evaluated_at": self.evaluated_at,
            "policy_hash": self.policy_hash,
            "counts": self.counts(),
            "summary": self.summary(),
            "results": [r.to_json() for r in self.results],
        }
        if self.trust is not None:
            out["policies"] = self.trust
        if self.after_merge is not None:
            merged = self.after_merge
            out["after_merge"] = {
                "passed": merged.passed,
                "verdict": merged.verdict,
                "policy_hash": merged.policy_hash,
                "counts": merged.counts(),
                "results": [r.to_json() for r in merged.results],
            }
        return out
