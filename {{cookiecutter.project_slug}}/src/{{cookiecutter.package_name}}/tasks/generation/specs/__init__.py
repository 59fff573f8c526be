"""The spec kinds of a generation project and the checks between them (pydantic only: ``validate`` stays fast)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ....errors import Problem
from ....specs import localbase
from ....specs.model import LocalBase
from ....specs.monitoring import MonitoringSpec
from ....specs.problems import located
from .data import GenerationDataSpec
from .deployment import GenerationDeploymentSpec
from .evaluation import GenerationEvaluationSpec
from .model import CausalScratchBase, GenerationModelSpec, adapter_findings, length_findings
from .prompts import PromptsSpec, variables

#: spec file stem -> model class; ``specs/<stem>.yaml`` is checked against ``schemas/<stem>.schema.json``.
SPEC_KINDS = {
    "data": GenerationDataSpec,
    "model": GenerationModelSpec,
    "prompts": PromptsSpec,
    "evaluation": GenerationEvaluationSpec,
    "deployment": GenerationDeploymentSpec,
    "monitoring": MonitoringSpec,
}

__all__ = ["SPEC_KINDS", "cross_problems", "schema_models"]


def schema_models() -> dict[str, type]:
    """Stem -> model of every task-specific schema under ``schemas/``: the specs and ``metrics.json``."""
    from ..metrics_schema import GenerationMetrics

    return {**SPEC_KINDS, "metrics": GenerationMetrics}


def cross_problems(project) -> Iterator[Problem]:
    """Prompt variables are input columns; slices, golden split and golden rows exist in the data;
    the adapter's modules exist in the base and sequence lengths fit its context."""
    have = project.specs.keys()
    if {"data", "prompts"} <= have:
        yield from _prompts_vs_data(project)
    if {"data", "evaluation"} <= have:
        yield from _evaluation_vs_data(project)
    if "model" in have:
        yield from _local_base(project)
    if {"model", "deployment"} <= have:
        yield from _limits_vs_context(project)


def context_length(project) -> tuple[int, str] | None:
    """``(tokens, where)``: the longest sequence the base reads and where that is declared; ``None``
    when unknown before loading it (a Hub base)."""
    base = project.model.base
    if isinstance(base, CausalScratchBase):
        return base.architecture.context_length, "base.architecture.context_length"
    config = _local_config(project)
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        if isinstance(config.get(key), int):
            return config[key], f"{key} of {base.path}/config.json"
    return None


def _prompts_vs_data(project) -> Iterator[Problem]:
    doc, inputs = project.docs["prompts"], project.data.columns.inputs
    for name, text in project.specs["prompts"].templates.items():
        for variable in variables(text):
            if variable not in inputs:
                yield located(
                    doc,
                    ("templates", name),
                    f"{{{variable}}} is not an input column of specs/data.yaml (columns.inputs: {', '.join(inputs)})",
                )


def _evaluation_vs_data(project) -> Iterator[Problem]:
    doc, evaluation = project.docs["evaluation"], project.evaluation
    for i, column in enumerate(evaluation.slices):
        if column not in project.data.columns.slices:
            known = ", ".join(project.data.columns.slices) or "none"
            yield located(doc, ("slices", i), f"{column!r} is not a slice column of specs/data.yaml (known: {known})")
    if evaluation.golden is None:
        return
    if project.data.splits.golden is None:
        yield located(doc, ("golden",), "specs/data.yaml has no golden split; add one or remove `golden`")
        return
    rows, id_column = project.data_rows.get("golden"), project.data.columns.id
    if id_column is None:
        yield located(doc, ("golden",), "golden cases name rows by id: set columns.id in specs/data.yaml")
        return
    if rows is None or rows.problems:  # not read (validate without data), or reported with the data
        return
    ids = {str(record.get(id_column)) for record in rows.records}
    for i, case in enumerate(evaluation.golden.cases):
        if case.id not in ids:
            yield located(doc, ("golden", "cases", i, "id"), f"no row of the golden split has {id_column} {case.id!r}")


def _local_config(project) -> dict:
    """The ``config.json`` of a local base (empty when there is none or it is not readable)."""
    base = project.model.base
    if not isinstance(base, LocalBase):
        return {}
    try:
        path = localbase.resolve(project.root, base.path) / "config.json"
        config = json.loads(path.read_text(encoding="utf-8"))
    except (localbase.UnsafeBase, OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _local_base(project) -> Iterator[Problem]:
    """The adapter and lengths against a local base's config.json (the scratch base is checked in its spec)."""
    config = _local_config(project)
    if not config:
        return
    doc, spec = project.docs["model"], project.model
    family = config.get("model_type")
    if isinstance(family, str):
        for loc, message in adapter_findings(spec.adapter, family):
            yield located(doc, loc, message)
    found = context_length(project)
    if found:
        for loc, message in length_findings(spec, *found):
            yield located(doc, loc, message)


def _limits_vs_context(project) -> Iterator[Problem]:
    found = context_length(project)
    limits = project.deployment.service.generation
    if found and limits.max_prompt_tokens + limits.max_tokens > found[0]:
        yield located(
            project.docs["deployment"],
            ("service", "generation", "max_tokens"),
            f"max_prompt_tokens + max_tokens ({limits.max_prompt_tokens} + {limits.max_tokens}) exceed the "
            f"model's context ({found[0]} tokens, {found[1]} in specs/model.yaml)",
        )
