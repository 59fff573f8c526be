"""What differs per task, behind one seam; the stages call it and never branch on the task's name.

``specs/model.yaml``'s ``task`` names the task. Each task is a package here (``classification``,
``generation``) whose modules each hold one concern, found by name:

- ``specs``: ``SPEC_KINDS`` (spec file stem -> pydantic model), ``schema_models()`` (every model
  published under ``schemas/``) and ``cross_problems(project)`` (the task's cross-spec checks);
  imports pydantic only, so ``validate`` stays fast.
- ``training``: what ``train`` hands the transformers ``Trainer`` (see ``TrainingParts``).
- ``evaluate``: ``evaluate(project, run_dir, record) -> Evaluated`` for the ``evaluate`` command.
- ``card``: the model card's task parts (summary, scratch base, model-index metrics, split table,
  evaluation section) for ``governance/card.py``.
- ``monitoring``: the task's fields of the drift reference; ``serving``: what ``build`` and
  ``serve`` package and start.
- the service module that BentoML imports (``Task.service``), and the task's default policy rules
  (``Task.rules``, a file of the project's ``policies/``).

A baked project holds the package of its own task only; ``installed()`` says which are present.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

#: task name (the model spec's ``task``) -> package below ``tasks``
PACKAGES = {"text-classification": "classification", "text-generation": "generation"}


@dataclass(frozen=True)
class Task:
    """One task: its name, its package and where its parts are."""

    name: str
    package: str
    service: str = field(default="")  # "<module below the package>:<class>" that BentoML serves

    def module(self, concern: str) -> ModuleType:
        """``tasks/<package>/<concern>.py``, imported on first use."""
        return importlib.import_module(f"{__name__}.{self.package}.{concern}")

    @property
    def spec_kinds(self) -> dict[str, type]:
        """Spec file stem -> pydantic model of every ``specs/<stem>.yaml`` the task reads."""
        return self.module("specs").SPEC_KINDS

    @property
    def rules(self) -> str:
        """The task's default policy rules, relative to the project root."""
        return f"policies/tasks/{self.name}.yaml"


#: what each task's package declares about itself (kept here so naming a task imports nothing)
TASKS = {
    "text-classification": Task("text-classification", "classification", service="serving.service:Classifier"),
    "text-generation": Task("text-generation", "generation", service="tasks.generation.service:Generator"),
}


def installed() -> list[Task]:
    """The tasks whose package is present in this project (a baked project keeps its own)."""
    return [task for task in TASKS.values() if importlib.util.find_spec(f"{__name__}.{task.package}") is not None]


def task_named(name: Any) -> Task:
    """The task called ``name``; an unknown or absent one gives the first installed task, whose
    spec models then report the model spec's ``task`` field with its allowed value."""
    task = TASKS.get(name) if isinstance(name, str) else None
    present = installed()
    return task if task in present else present[0]


def task_of_root(root: Path) -> Task:
    """The task that ``root``'s ``specs/model.yaml`` declares (read without validating it)."""
    from ..errors import ProjectError
    from ..specs.yamlio import load_yaml

    try:
        data = load_yaml(root / "specs" / "model.yaml", "specs/model.yaml", root=root).data
    except (ProjectError, OSError):
        data = None
    return task_named(data.get("task") if isinstance(data, dict) else None)


class TrainingParts(Protocol):
    """What a task's ``training`` module gives ``train`` (module-level names).

    - ``load_splits(project, names) -> {name: split}``: splits with ``len()``, ``head(rows)`` and
      ``texts`` (what a tokenizer trained here learns from);
    - ``load_tokenizer(project, train_split, max_length)`` and ``load_model(project, tokenizer, max_length,
      work)``: the tokenizer and the model the Trainer fits (``work``: the run directory being built);
    - ``dataset(split, tokenizer, max_length)``: a ``datasets.Dataset`` of model inputs and labels;
    - ``collator(tokenizer)``: the Trainer's ``data_collator`` (``None``: the Trainer's default);
    - ``compute_metrics``: the Trainer's validation metrics (``None``: the loss only);
    - ``VALIDATION_METRICS``: the metric names shown and recorded for the chosen checkpoint;
    - ``save(trainer, tokenizer, work) -> dict``: write the model files into the run directory
      ``work`` and return the fields they add to ``run.json`` (at least ``model_dir``);
    - ``run_fields(project) -> dict``: what ``run.json`` records about the task (labels, prompts).
    """

    VALIDATION_METRICS: tuple[str, ...]


@dataclass(frozen=True)
class Evaluated:
    """What a task's ``evaluate`` wrote into the run (file names) and its one-line summary."""

    files: list[str]
    summary: str
