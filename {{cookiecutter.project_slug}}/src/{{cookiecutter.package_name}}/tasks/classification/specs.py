"""The spec kinds of a classification project and the checks between them."""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import Problem
from ...specs import SPEC_KINDS
from ...specs.problems import located

__all__ = ["SPEC_KINDS", "cross_problems", "schema_models"]


def schema_models() -> dict[str, type]:
    """Stem -> model of every task-specific schema under ``schemas/``: the specs and ``metrics.json``."""
    from ...evaluation.metrics_schema import MetricsReport

    return {**SPEC_KINDS, "metrics": MetricsReport}


def cross_problems(project) -> Iterator[Problem]:
    """Labels agree between data and model; the evaluation's slices and golden split exist in the data."""
    have = project.specs.keys()
    if {"data", "model"} <= have:
        yield from _labels(project)
    if {"data", "evaluation"} <= have:
        yield from _evaluation_vs_data(project)


def _labels(project) -> Iterator[Problem]:
    data, model = project.data.labels, project.model.labels
    if data != model:
        missing, extra = sorted(set(data) - set(model)), sorted(set(model) - set(data))
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"not in the data: {', '.join(extra)}" if extra else "",
                "same labels in another order" if not (missing or extra) else "",
            )
            if part
        )
        yield located(project.docs["model"], ("labels",), f"labels must equal specs/data.yaml labels ({detail})")


def _evaluation_vs_data(project) -> Iterator[Problem]:
    doc, evaluation = project.docs["evaluation"], project.evaluation
    for i, column in enumerate(evaluation.slices):
        if column not in project.data.columns.slices:
            known = ", ".join(project.data.columns.slices) or "none"
            yield located(doc, ("slices", i), f"{column!r} is not a slice column of specs/data.yaml (known: {known})")
    if evaluation.golden is not None and project.data.splits.golden is None:
        yield located(doc, ("golden",), "specs/data.yaml has no golden split; add one or remove `golden`")
