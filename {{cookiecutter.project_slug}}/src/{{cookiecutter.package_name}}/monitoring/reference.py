"""The reference profile drift is measured against, built once from the production run.

``drift --save-reference`` builds it from a run (the release passes the production run), with
the task's ``monitoring`` module (``tasks/<task>/monitoring.py``): for a classifier, the run's
predictions on held-out text (``reference.predictions`` of specs/monitoring.yaml) give the label
shares, the confidence histogram and the share of words its vocabulary lacks, and the data split
(``reference.data``) the input lengths; for a generator, the data split's input and reply
lengths. The profile is a small JSON file the release
commits next to production's metrics (``reference.file``), so ``drift`` needs neither torch nor
the run's artifacts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ProjectError
from ..files import atomic_write_text, read_json
from ..specs.common import API_VERSION
from ..specs.project import Project
from . import stats


class LengthHistogram(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lengths: list[int] = Field(description="Distinct lengths, ascending.")
    counts: list[int] = Field(description="How many texts have each length.")

    def dense(self) -> np.ndarray:
        hist = np.zeros(max(self.lengths, default=0) + 1, dtype=np.int64)
        np.add.at(hist, np.minimum(np.asarray(self.lengths, dtype=np.int64), stats.LENGTH_CAP), self.counts)
        return hist

    @classmethod
    def of(cls, hist: np.ndarray) -> LengthHistogram:
        nonzero = np.flatnonzero(hist)
        return cls(lengths=nonzero.tolist(), counts=hist[nonzero].tolist())


class ReferenceProfile(BaseModel):
    """What drift compares a window with (``reference.json``)."""

    model_config = ConfigDict(extra="forbid")

    api_version: Literal[API_VERSION] = Field(alias="apiVersion")
    kind: Literal["DriftReference"]
    run_id: str
    created: str
    task: Literal["text-classification", "text-generation"]
    data_split: str = Field(description="Split whose texts give the input lengths.")
    predictions_split: str = Field(description="Split the run's predictions and the vocabulary share come from.")
    labels: dict[str, int] = Field(description="Predicted labels on the predictions split, by label.")
    confidence: list[int] = Field(description="Top scores on the predictions split, in equal-width bins over [0, 1].")
    input_chars: LengthHistogram
    output_chars: LengthHistogram | None = Field(default=None, description="Output lengths (text generation).")
    words: int = Field(ge=0, description="Words of the predictions split, as the tokenizer splits them.")
    unseen_words: int = Field(ge=0, description="Of those, words the vocabulary lacks as whole tokens.")


def build(project: Project, run_dir: Path) -> ReferenceProfile:
    """The reference profile of the run in ``run_dir``; its task's ``monitoring`` module fills it in
    (a classifier's loads the model: needs the train extra)."""
    spec = project.specs["monitoring"].reference
    run_id = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["run_id"]
    parts = project.task.module("monitoring").reference(project, run_dir)
    histograms = {k: LengthHistogram.of(parts[k]) for k in ("input_chars", "output_chars") if k in parts}
    return ReferenceProfile.model_validate(
        {
            "apiVersion": API_VERSION,
            "kind": "DriftReference",
            "run_id": run_id,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "data_split": spec.data,
            "predictions_split": spec.predictions,
            **parts,
            **histograms,
        }
    )


def save(profile: ReferenceProfile, path: Path) -> None:
    atomic_write_text(path, json.dumps(profile.model_dump(mode="json", by_alias=True)) + "\n")


def load(path: Path, shown: str) -> ReferenceProfile:
    """The profile at ``path``; exits 2 when it is absent or malformed, saying how to make it."""
    if not path.is_file():
        raise ProjectError(
            f"{shown} does not exist: the release writes it (`drift --save-reference --run <production run>`)"
        )
    data = read_json(path, required=True)
    try:
        return ReferenceProfile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProjectError(f"{shown}: not a drift reference: {where}: {first['msg']}") from None
