"""The policy input document of the monitor stage: the specs, git facts, governance and ``drift.json``.

``gate --stage monitor`` judges a window of the prediction log, not a run: the document's
``drift`` section is the ``drift.json`` that ``drift`` wrote, ``run.id`` is the reference run, and
the sections about a training run (metrics, data scan, card, lineage, budget) are null.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import ValidationError

from ..errors import ProjectError
from ..files import read_json
from ..governance.facts import git_facts
from ..governance.policy.inputs import PolicyInput
from ..governance.policy.pack import PolicyPack
from ..specs.project import Project
from .drift_schema import DriftReport

NOT_A_RUN = "the monitor stage judges the prediction log, not a training run"


def read_drift(path: Path, shown: str) -> dict:
    """``drift.json`` at ``path``, checked against its schema; exits 2 when absent or malformed."""
    if not path.is_file():
        raise ProjectError(f"{shown} does not exist; run `drift` first")
    data = read_json(path, required=True)
    try:
        return DriftReport.model_validate(data).model_dump(mode="json", by_alias=True)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProjectError(f"{shown}: not a drift report ({where}: {first['msg']}); run `drift` again") from None


def monitor_facts(project: Project, pack: PolicyPack, drift: dict, *, now: dt.datetime) -> dict:
    """The monitor stage's policy input document, checked against ``PolicyInput``."""
    git = git_facts(project.root)
    unavailable = {key: NOT_A_RUN for key in ("metrics", "baseline", "deltas", "data", "card", "lineage", "budget")}
    for name in ("output_length_ks", "watcher_rate"):
        if name not in drift["checks"]:
            unavailable[f"drift.checks.{name}"] = "no text-generation predictions in the window"
    for name in ("label_psi", "confidence_psi", "unseen_token_rate_increase"):
        if name not in drift["checks"]:
            unavailable[f"drift.checks.{name}"] = "the reference is not a text-classification run"
        elif drift["checks"][name]["value"] is None:
            unavailable[f"drift.checks.{name}"] = "no successful prediction in the window"
    if not git["repository"]:
        unavailable["git"] = "the project is not in a git repository"
    facts = {
        "apiVersion": "gated-ml/v1",
        "kind": "PolicyInput",
        "stage": "monitor",
        "now": now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "run": {"id": drift["reference"]["run_id"]},
        "specs": {stem: spec.model_dump(mode="json", by_alias=True) for stem, spec in project.specs.items()},
        "metrics": None,
        "baseline": None,
        "deltas": None,
        "git": git,
        "governance": pack.governance.model_dump(mode="json", by_alias=True),
        "drift": drift,
        "unavailable": unavailable,
    }
    return PolicyInput.model_validate(facts).model_dump(mode="json", by_alias=True)
