"""The gate's decision: every result of one evaluation, and whether they let the run through.

``GateReport.to_json`` is the ``gate.json`` contract that ``build`` reads: the run passes when
no result blocks (``passed`` true, ``verdict`` ``pass``), and is ``blocked`` otherwise.
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
        parts = [f"{c['blocking']} blocking", f"{c['warning']} warning{'s' * (c['warning'] != 1)}"]
        parts += [f"{c[k]} {k}" for k in ("waived", "skipped") if c[k]]
        return f"{c['rules']} results: " + ", ".join(parts) + f", {c['passed']} passed"

    def to_json(self) -> dict:
        return {
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
