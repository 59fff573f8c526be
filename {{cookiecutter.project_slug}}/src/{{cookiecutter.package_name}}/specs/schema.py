"""JSON Schemas of the spec kinds and of ``metrics.json``, generated from the pydantic models (one source of truth)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from ..files import atomic_write_text

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_text(model: type[BaseModel], stem: str) -> str:
    """The published JSON Schema of ``model`` as stable, pretty-printed JSON."""
    schema = {"$schema": DIALECT, "$id": f"{stem}.schema.json", **model.model_json_schema(by_alias=True)}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def all_schemas() -> dict[str, str]:
    """File name -> schema text for every spec kind, and for the ``metrics.json`` that ``evaluate`` writes."""
    from ..metrics_schema import MetricsReport
    from . import SPEC_KINDS

    documents = {**SPEC_KINDS, "metrics": MetricsReport}
    return {f"{stem}.schema.json": schema_text(model, stem) for stem, model in documents.items()}


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into ``directory``; returns the paths written."""
    written = []
    for name, text in all_schemas().items():
        atomic_write_text(directory / name, text)
        written.append(directory / name)
    return written
