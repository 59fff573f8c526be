"""The gate report as SARIF 2.1.0, for GitHub code scanning.

Each rule of the stage is a ``reportingDescriptor``; each failing, erroring or waived result is a
``result`` placed at the spec line the rule concerns (or the rule in its policy file), with a
stable ``partialFingerprints`` entry so an alert keeps its identity across runs. Waived results
carry an accepted ``suppression`` with the waiver's reason. Passed and skipped rules make no
result. URIs are relative to the repository root.
"""

from __future__ import annotations

import hashlib

from .engine import Result
from .models import WAIVER_RULE_ID
from .verdict import GateReport
from .waivers import WAIVER_HELP, WAIVER_TITLE

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _descriptor(rule_id: str, title: str, help_text: str, severity: str, url: str | None, tags: list[str]) -> dict:
    out = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title}. {help_text}"},
        "help": {"text": help_text, "markdown": f"**{title}**\n\n{help_text}"},
        "defaultConfiguration": {"level": severity},
        "properties": {"tags": tags},
    }
    if url:
        out["helpUri"] = url
    return out


def _result(result: Result, index: int, uri_prefix: str) -> dict:
    loc = result.location
    path = f"{uri_prefix}{loc.path}" if loc else "policies"
    line, col, end = (loc.line, loc.col, loc.end_col) if loc else (1, 1, 2)
    identity = "|".join([result.id, path, result.where or "", *result.failures])
    out = {
        "ruleId": result.id,
        "ruleIndex": index,
        "level": "error" if result.blocking or result.severity == "error" else "warning",
        "message": {"text": f"{result.title}: {result.message}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": line, "startColumn": col, "endLine": line, "endColumn": end},
                }
            }
        ],
        "partialFingerprints": {"policyResult/v1": hashlib.sha256(identity.encode()).hexdigest()[:32]},
    }
    if result.status == "waived" and result.waiver:
        w = result.waiver
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{w['reason']} (approved by {w['approver']}, expires {w['expires']})",
            }
        ]
    return out


def to_sarif(report: GateReport, *, tool: str, version: str, uri_prefix: str = "") -> dict:
    """The SARIF log of ``report``; ``uri_prefix`` is the project's folder inside the repository."""
    descriptors = [_descriptor(r.id, r.title, r.help, r.severity, r.url, ["policy", *r.stages]) for r in report.rules]
    if any(r.id == WAIVER_RULE_ID for r in report.results):
        descriptors.append(_descriptor(WAIVER_RULE_ID, WAIVER_TITLE, WAIVER_HELP, "error", None, ["policy", "waiver"]))
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = [
        _result(r, index[r.id], uri_prefix)
        for r in report.results
        if r.status in ("fail", "error", "waived") and r.id in index
    ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": tool, "version": version, "rules": descriptors}},
                "results": results,
                "properties": {
                    "stage": report.stage,
                    "verdict": report.verdict,
                    "runId": report.run_id,
                    "policyHash": report.policy_hash,
                },
            }
        ],
    }
