"""Load every spec of a project, then check that the specs agree with each other and the data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, ProjectError
from ..tasks import Task, task_named, task_of_root
from . import localbase
from .common import SpecModel
from .data import DataSpec, LocalSource
from .deployment import DeploymentSpec
from .evaluation import EvaluationSpec
from .migrate import outdated_version
from .model import LocalBase, ModelSpec
from .problems import located, validation_problems
from .yamlio import Document, load_yaml


@dataclass
class Project:
    """A project's root, its loaded spec documents and their validated models."""

    root: Path
    docs: dict[str, Document] = field(default_factory=dict)
    specs: dict[str, SpecModel] = field(default_factory=dict)
    data_rows: dict[str, Any] = field(default_factory=dict)  # split -> datarows.Rows, read once
    task: Task = field(default_factory=lambda: task_named(None))  # what specs/model.yaml's `task` names

    @property
    def data(self) -> DataSpec:
        return self.specs["data"]  # type: ignore[return-value]

    @property
    def model(self) -> ModelSpec:
        return self.specs["model"]  # type: ignore[return-value]

    @property
    def evaluation(self) -> EvaluationSpec:
        return self.specs["evaluation"]  # type: ignore[return-value]

    @property
    def deployment(self) -> DeploymentSpec:
        return self.specs["deployment"]  # type: ignore[return-value]

    def spec_path(self, stem: str) -> Path:
        return self.root / "specs" / f"{stem}.yaml"

    def data_file(self, split: str) -> Path:
        """Absolute path of a local split's file."""
        return self.root / getattr(self.data.splits, split).path


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` that holds ``specs/``; exits 2 if none."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "specs").is_dir():
            return candidate
    raise ProjectError(f"no specs/ directory in {here} or its parents; run inside a project or pass --project")


def shown_path(path: Path) -> str:
    """A path as printed in messages: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load_spec(path: Path, model: type[SpecModel], root: Path | None = None) -> tuple[Document, SpecModel]:
    """Load and validate one spec file (refused when it resolves outside ``root``); raises
    ``ProjectError`` with every problem in it."""
    doc = load_yaml(path, shown_path(path), root=root)
    return doc, validate_document(doc, model)


def validate_document(doc: Document, model: type[SpecModel]) -> SpecModel:
    """Validate a loaded document against ``model``, then its own checks; problems carry positions.

    Values the loader could not read (``doc.problems``) are reported with the others; a type error
    at the same place is left out, since it is the same problem.
    """
    if outdated := outdated_version(doc, model):  # an older apiVersion: say to migrate, not every renamed field
        raise ProjectError([outdated])
    unreadable = list(doc.problems)
    try:
        spec = model.model_validate(doc.data)
    except ValidationError as err:
        places = {(p.line, p.col) for p in unreadable}
        found = [p for p in validation_problems(doc, err, model) if (p.line, p.col) not in places]
        raise ProjectError(unreadable + found) from None
    problems = unreadable + [located(doc, loc, message) for loc, message in spec.findings()]
    if problems:
        raise ProjectError(problems)
    return spec


def load_project(root: Path, *, check_data: bool = True) -> Project:
    """Load all specs of ``root`` (the kinds of the task its model spec names) and run the cross-spec checks.

    Raises ``ProjectError`` listing every problem of every file. ``check_data`` also hashes the
    local data files against their pinned sha256.
    """
    project = Project(root=root, task=task_of_root(root))
    problems: list[Problem] = []
    for stem, model in project.task.spec_kinds.items():
        try:
            project.docs[stem], project.specs[stem] = load_spec(project.spec_path(stem), model, root)
        except ProjectError as err:
            problems += err.problems
    problems += cross_problems(project, check_data=check_data)
    if problems:
        raise ProjectError(problems)
    return project


def cross_problems(project: Project, *, check_data: bool) -> list[Problem]:
    """Problems between specs (shared ones, then the task's); each check runs when the specs it needs loaded cleanly."""
    have = project.specs.keys()
    checks: list[Iterator[Problem]] = []
    if "data" in have and check_data:
        checks.append(_data_files(project))
    checks.append(project.task.module("specs").cross_problems(project))
    if {"model", "deployment"} <= have:
        checks.append(_deployment_vs_model(project))
    if "model" in have:
        checks.append(_model_base(project, check_data=check_data))
    return [problem for check in checks for problem in check]


def _data_files(project: Project) -> Iterator[Problem]:
    """Local split files are regular files inside the project, match their pinned sha256, and
    every row is valid (read once through ``datarows``)."""
    from .datarows import read_split

    if not isinstance(project.data.source, LocalSource):
        return
    doc = project.docs["data"]
    for split, entry in project.data.splits:
        if entry is None:
            continue
        try:
            rows = read_split(project, split)
        except ProjectError as err:
            if not (project.root / entry.path).exists() and not (project.root / entry.path).is_symlink():
                yield located(doc, ("splits", split, "path"), f"file {entry.path} does not exist")
            else:
                yield from err.problems
            continue
        yield from rows.all_problems()
        if rows.sha256 != entry.sha256:
            yield located(
                doc,
                ("splits", split, "sha256"),
                (
                    f"{entry.path} has sha256 {rows.sha256[:12]}…, the spec pins {entry.sha256[:12]}…; "
                    "if the data change is intended, run the `pin-data` command"
                ),
            )


def _deployment_vs_model(project: Project) -> Iterator[Problem]:
    service = project.deployment.service
    if service.model != project.model.name:
        yield located(
            project.docs["deployment"],
            ("service", "model"),
            f"serves {service.model!r} but specs/model.yaml trains {project.model.name!r}",
        )


def _model_base(project: Project, *, check_data: bool) -> Iterator[Problem]:
    """A local base is a directory inside the project; with ``check_data``, it matches its pinned sha256."""
    base, doc = project.model.base, project.docs["model"]
    if not isinstance(base, LocalBase):
        return
    try:
        path = localbase.resolve(project.root, base.path)
        if not path.is_dir():
            yield located(doc, ("base", "path"), f"model directory {base.path} does not exist")
            return
        actual = localbase.directory_hash(path, base.path.rstrip("/")) if check_data else None
    except localbase.UnsafeBase as err:
        yield located(doc, ("base", "path"), str(err))
        return
    if base.sha256 is None:
        yield located(doc, ("base",), "the local base is not pinned: add its `sha256` with the `pin-data` command")
    elif actual is not None and actual != base.sha256:
        yield located(
            doc,
            ("base", "sha256"),
            (
                f"{base.path}/ has sha256 {actual[:12]}…, the spec pins {base.sha256[:12]}…; "
                "if the change of the base weights is intended, run the `pin-data` command"
            ),
        )
