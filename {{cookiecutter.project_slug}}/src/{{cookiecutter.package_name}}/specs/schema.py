"""JSON Schemas of the specs, policy files, metrics.json and the policy input document, from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from ..files import atomic_write_text
from ..tasks import Task

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_text(model: type[BaseModel], stem: str) -> str:
    """The published JSON Schema of ``model`` as stable, pretty-printed JSON."""
    schema = {"$schema": DIALECT, "$id": f"{stem}.schema.json", **model.model_json_schema(by_alias=True)}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def all_schemas(task: Task) -> dict[str, str]:
    """File name -> schema text for every spec kind and the metrics.json of ``task``, every policy
    file kind and the policy input document."""
    from ..governance.policy.inputs import PolicyInput
    from ..governance.policy.models import Governance, PolicySet, Waivers
    from ..monitoring.drift_schema import DriftReport

    models = {
        **task.module("specs").schema_models(),
        "policyset": PolicySet,
        "waivers": Waivers,
        "governance": Governance,
        "facts": PolicyInput,
        "drift": DriftReport,
    }
    return {f"{stem}.schema.json": schema_text(model, stem) for stem, model in models.items()}


def write_schemas(directory: Path, task: Task) -> list[Path]:
    """Write every schema of ``task`` into ``directory``; returns the paths written."""
    written = []
    for name, text in all_schemas(task).items():
        atomic_write_text(directory / name, text)
        written.append(directory / name)
    return written
