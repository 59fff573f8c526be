"""Which dotted paths a rule may read: the paths of the policy input document.

The document is ``PolicyInput`` (``schemas/facts.schema.json``) with its free-form parts typed:
``metrics`` and ``baseline.metrics`` are ``metrics.json`` (the task's report model), ``specs.<stem>``
the spec models of the project's task and ``governance`` the governance file. A rule whose ``where`` is not such a path
would only ever see an absent value (and, with ``missing: skip``, never check anything), so
``validate`` refuses it and names the closest field. The walk reads the pydantic models' fields,
which is much cheaper than generating their JSON Schemas.
"""

from __future__ import annotations

import difflib
import typing
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from ...specs.problems import members


@lru_cache(maxsize=1)
def _typed() -> dict[tuple[type, str], Any]:
    """(model, field) -> the type that replaces a free-form field of the policy input document."""
    from ...monitoring.drift_schema import DriftReport
    from ...tasks import installed
    from .inputs import Baseline, PolicyInput
    from .models import Governance

    specs: dict[str, list] = {}  # stem -> the spec model of each installed task
    reports = []
    for task in installed():
        models = task.module("specs").schema_models()
        for stem in task.spec_kinds:
            specs.setdefault(stem, []).append(models[stem])
        reports += [models["metrics"]] if "metrics" in models else []
    metrics = typing.Union[tuple(reports)] if reports else Any  # noqa: UP007  (built from a list)
    return {
        (PolicyInput, "metrics"): metrics,
        (Baseline, "metrics"): metrics,
        (PolicyInput, "governance"): Governance,
        (PolicyInput, "drift"): DriftReport,
        (PolicyInput, "specs"): specs,
    }


def _model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _free(tp: Any) -> bool:
    """Whether any key may sit below a value of type ``tp`` (nothing there can be checked)."""
    return tp is Any or (typing.get_origin(tp) is dict and typing.get_args(tp)[1:] in ((Any,), ()))


def _below(tp: Any, step: str) -> list:
    """The types one ``step`` below a value of type ``tp``."""
    if isinstance(tp, dict):  # a table of named types (the specs by stem, one per installed task)
        return list(tp.get(step, []))
    if _model(tp):
        for name, info in tp.model_fields.items():
            if step in (name, info.alias):
                return members(_typed().get((tp, name), info.annotation))
        return []
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is dict and len(args) == 2:
        return members(args[1])
    if origin is list and args and step.isdigit():
        return members(args[0])
    return []


def _names(types_: list) -> list[str]:
    names: set[str] = set()
    for tp in types_:
        if isinstance(tp, dict):
            names |= set(tp)
        elif _model(tp):
            names |= {info.alias or name for name, info in tp.model_fields.items()}
    return sorted(names)


def path_problem(path: str) -> str | None:
    """Why dotted ``path`` is not a path of the policy input document; ``None`` when it is."""
    from .inputs import PolicyInput

    current: list = [PolicyInput]
    walked: list[str] = []
    for step in path.split("."):
        if any(_free(tp) for tp in current):
            return None  # a free-form value: any key below it may exist
        below = [tp for member in current for tp in _below(member, step)]
        if not below:
            at = ".".join(walked) or "the top"
            names = _names(current)
            close = difflib.get_close_matches(step, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            listed = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
            there = f"the fields there are {listed}" if names else "nothing is below it"
            return f"{step!r} is not a field at {at} of the policy input document; {hint}{there}"
        walked.append(step)
        current = below
    return None
