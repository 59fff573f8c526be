"""The reference profile drift is measured against, built once from the production run.

``drift --save-reference`` builds it from a run (the release passes the production run): the
run's model predicts the evaluation split (``reference.predictions`` of specs/monitoring.yaml),
giving the reference label shares and confidence histogram; the texts of the data split
(``reference.data``) give the input-length histogram and, split into words by the run's own
tokenizer, the share of words its vocabulary lacks. The profile is a small JSON file the release
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
    data_split: str = Field(description="Split whose texts give the input lengths and vocabulary share.")
    predictions_split: str = Field(description="Split the run's predictions were made on.")
    labels: dict[str, int] = Field(description="Predicted labels on the predictions split, by label.")
    confidence: list[int] = Field(description="Top scores on the predictions split, in equal-width bins over [0, 1].")
    input_chars: LengthHistogram
    output_chars: LengthHistogram | None = Field(default=None, description="Output lengths (text generation).")
    words: int = Field(ge=0, description="Words of the data split, as the tokenizer splits them.")
    unseen_words: int = Field(ge=0, description="Of those, words the vocabulary lacks as whole tokens.")


def build(project: Project, run_dir: Path) -> ReferenceProfile:
    """The reference profile of the run in ``run_dir`` (loads its model: needs the train extra)."""
    from ..evaluation.inference import load_classifier, predict_proba
    from ..serving.predlog import word_counts
    from ..specs.datarows import read_split

    spec = project.specs["monitoring"].reference
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    text = project.data.columns.text
    data_texts = [str(row[text]) for row in read_split(project, spec.data).records]
    eval_texts = [str(row[text]) for row in read_split(project, spec.predictions).records]
    model, tokenizer = load_classifier(run_dir / "model")
    probs = predict_proba(model, tokenizer, eval_texts, max_length=project.model.training.max_length)
    labels = list(record["labels"])
    picked = np.bincount(probs.argmax(axis=1), minlength=len(labels)) if len(probs) else np.zeros(len(labels))
    confidence = np.bincount(stats.confidence_bin(probs.max(axis=1)), minlength=stats.CONFIDENCE_BINS)
    counts = word_counts(tokenizer, data_texts)
    return ReferenceProfile.model_validate(
        {
            "apiVersion": API_VERSION,
            "kind": "DriftReference",
            "run_id": record["run_id"],
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "task": "text-classification",
            "data_split": spec.data,
            "predictions_split": spec.predictions,
            "labels": {label: int(n) for label, n in zip(labels, picked, strict=True)},
            "confidence": confidence.tolist(),
            "input_chars": LengthHistogram.of(stats.length_histogram([len(t) for t in data_texts])),
            "words": sum(w for w, _ in counts),
            "unseen_words": sum(u for _, u in counts),
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
