"""``build [--run ID]``: package a run that passed the release gate as a BentoML bento.

Refuses (exit 1) a run whose ``gate.json`` is not a passed ``release`` gate of that run, or
whose specs changed since it was trained; refuses (exit 2) a run whose chain is broken: a
hand-written or edited ``gate.json``, or a file changed since train, evaluate or the gate wrote
or judged it (see ``chain``). Otherwise it saves the model into the BentoML model store
(``<model>:<run id>``, with lineage labels and key metrics), builds the bento
``<service>:<run id>`` from ``serving/service.py`` with the service configuration from the specs
as bento arguments and an image definition for the GPU target, and writes ``build.json`` into the
run: the record ``render`` trusts, sealed, with the sha256 of the gate.json it was built from.
Building the same run again reuses what exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import sys
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from ..files import atomic_write_text, read_json, sha256_file
from ..specs.project import Project, find_root, load_project
from ..tasks import Task
from ..training.chain import sealed_text
from ..training.runs import resolve_run
from .config import Image
from .release import BUILD_FILE, METRICS_FILE, read_run, require_release_gate, require_same_specs

PACKAGE = __package__.rsplit(".", 1)[0]
#: the package files every bento carries; the task's serving module adds its service and what it imports
SHARED_FILES = ("__init__.py", *(f"serving/{name}" for name in ("__init__.py", "config.py", "guard.py", "predlog.py")))
#: what every service imports at run time, pinned to the versions this environment tested (the task adds its own)
SHARED_PACKAGES = ("bentoml", "fsspec")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", metavar="ID", help="run to build (default: the latest run)")


def import_bentoml() -> Any:
    """BentoML, or a clear error naming the extra that installs it."""
    try:
        import bentoml
    except ImportError:
        raise ProjectError("serving needs BentoML: pip install -e '.[serve]'") from None
    return bentoml


def python_version(root: Path) -> str:
    """The project's Python version (``.python-version``), else this interpreter's."""
    path = root / ".python-version"
    if path.is_file():
        version = path.read_text(encoding="utf-8").strip().splitlines()[0].strip()
        if version:
            return version
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def service_path(task: Task) -> str:
    """The import path BentoML serves for ``task``: ``<package>.<module>:<class>``."""
    return f"{PACKAGE}.{task.service}"


def include(task: Task) -> list[str]:
    """The files the bento of ``task`` carries: its service and what it imports, nothing else (anchored patterns)."""
    return [f"/{PACKAGE}/{name}" for name in (*SHARED_FILES, *task.module("serving").FILES)]


def pinned(names: tuple[str, ...]) -> tuple[str, ...]:
    """``name==version`` of each installed package, without local build tags such as ``+cpu``; an entry that
    already names its version (a package this environment does not install, such as vLLM) is kept as it is."""
    return tuple(
        name if "==" in name else f"{name}=={importlib.metadata.version(name).split('+')[0]}" for name in names
    )


def image_reference(project: Project, run_id: str) -> str:
    """The container image of a build: the spec's repository, tagged with the immutable run id."""
    return f"{project.deployment.service.image}:{run_id}"


def build_bento(config: Any, task: Task, labels: dict[str, str], description: str) -> str:
    """Build (or reuse) the bento ``<service>:<run id>`` and return its tag."""
    bentoml = import_bentoml()
    tag = f"{config.name}:{config.run_id}"
    try:
        existing = bentoml.bentos.get(tag)
    except bentoml.exceptions.NotFound:
        existing = None
    if existing is not None:
        if existing.info.args == config.arguments():
            return tag
        bentoml.bentos.delete(tag)  # built from other specs: replace it
    bento = bentoml.bentos.build(
        service_path(task),
        version=config.run_id,
        labels=dict(labels),  # BentoML adds the service's labels to the dict it gets
        description=description,
        include=include(task),
        exclude=["__pycache__", "*.pyc"],
        build_ctx=str(Path(__file__).resolve().parents[2]),
        args=config.arguments(),
    )
    return str(bento.tag)


def build(root: Path, run_id: str | None = None) -> dict[str, Any]:
    """Build the run and write its ``build.json``; returns that record."""
    project = load_project(root)
    serving = project.task.module("serving")
    run_dir = resolve_run(root, run_id)
    run = read_run(run_dir, root, needs=serving.RUN_FIELDS)
    gate = require_release_gate(run_dir, run, root)
    require_same_specs(run["specs"], root, f"run {run['run_id']} was trained")
    metrics = read_json(run_dir / METRICS_FILE, required=True)
    import_bentoml()

    from .store import lineage_labels, save_model

    model = save_model(run_dir, run, project.model.name, metrics)
    packages = pinned((*SHARED_PACKAGES, *serving.image_packages(project)))
    image = Image(python_version=python_version(root), packages=packages)
    config = serving.service_config(project, run, model, image=image)
    labels = {**lineage_labels(run), "gate-policy-sha256": str(gate.get("policy_hash", ""))}
    primary = metrics.get("primary_metric", "macro_f1")
    score = (metrics.get("test") or {}).get(primary)
    description = f"{project.model.name} run {run['run_id']}: test {primary} {score}, release gate passed"
    bento = build_bento(config, project.task, labels, description)
    record = {
        "run_id": run["run_id"],
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bento": bento,
        "model": model,
        "task": project.task.name,
        "engine": getattr(config, "engine", "transformers"),
        "image": image_reference(project, run["run_id"]),
        "labels": labels,
        "service": config.arguments(),
        "specs": {stem: sha256_file(project.spec_path(stem)) for stem in sorted(project.specs)},
        "gate": {key: gate.get(key) for key in ("stage", "verdict", "evaluated_at", "policy_hash", "sha256")},
        "packages": dict(p.split("==") for p in image.packages),
    }
    atomic_write_text(run_dir / BUILD_FILE, sealed_text(record, sort_keys=True))
    return record


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    record = build(root, args.run)
    resources = ", ".join(f"{k}={v}" for k, v in record["service"]["resources"].items())
    print(f"built bento {record['bento']} (model {record['model']}; engine {record['engine']}; {resources})")
    print(f"image to push: {record['image']}   record: artifacts/{record['run_id']}/{BUILD_FILE}")
    print(f"next: bentoml containerize {record['bento']} -t {record['image']}, push, then `render --env NAME`")
    return 0
