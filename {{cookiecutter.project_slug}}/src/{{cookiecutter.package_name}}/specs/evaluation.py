"""The evaluation spec (``specs/evaluation.yaml``): what is measured, on which rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from .common import Finding, SpecModel, UniqueStrList

#: this kind's format; gated-ml/v2 moved ``calibration_bins`` into ``calibration.bins`` (``migrate`` rewrites v1)
API_VERSION = "gated-ml/v2"

Metric = Literal["accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall", "ece"]


class Golden(SpecModel):
    """Hand-checked rows that every model must predict exactly."""

    split: Literal["golden"] = Field(default="golden", description="Data split holding the golden rows.")


class Calibration(SpecModel):
    """How the expected calibration error (``ece``) is computed."""

    bins: int = Field(
        default=10, ge=2, le=100, description="Equal-width confidence bins of the expected calibration error."
    )


class Perturbation(SpecModel):
    """A seeded change to the test texts; the report shows the metric drop it causes."""

    type: Literal["lowercase", "uppercase", "typos", "extra_whitespace", "strip_punctuation", "drop_words"] = Field(
        description="What is done to each text."
    )
    rate: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Share of characters or words touched (typos, drop_words, extra_whitespace).",
    )


class Robustness(SpecModel):
    """Perturbations applied to the evaluation split."""

    seed: int = Field(ge=0, description="Seed of every perturbation.")
    perturbations: list[Perturbation] = Field(min_length=1, description="Each is evaluated on its own.")


class Latency(SpecModel):
    """Timing of the in-process forward pass on the current device."""

    batch_sizes: list[Annotated[int, Field(ge=1, le=4096)]] = Field(min_length=1, description="Batch sizes to time.")
    repeats: int = Field(default=20, ge=1, le=10_000, description="Timed batches per size.")


class EvaluationSpec(SpecModel):
    """How a trained model is judged before the policy gate reads the numbers."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["EvaluationSpec"] = Field(description="Which spec this file is.")
    split: Literal["test", "validation"] = Field(description="Split the headline metrics come from.")
    primary_metric: Metric = Field(description="The metric compared against production.")
    metrics: list[Metric] = Field(min_length=1, description="Metrics computed overall and per slice.")
    calibration: Calibration = Field(
        default_factory=Calibration, description="Settings of the calibration metric (ece)."
    )
    golden: Golden | None = Field(default=None, description="Evaluate the golden split; omit to skip.")
    slices: UniqueStrList = Field(default_factory=list, description="Slice columns (from the data spec) to report by.")
    robustness: Robustness | None = Field(default=None, description="Perturbation tests; omit to skip.")
    latency: Latency

    def findings(self) -> Iterator[Finding]:
        if self.primary_metric not in self.metrics:
            yield ("primary_metric",), f"{self.primary_metric!r} must also be listed in `metrics`"
        seen: set[str] = set()
        for i, metric in enumerate(self.metrics):
            if metric in seen:
                yield ("metrics", i), f"{metric!r} is listed twice"
            seen.add(metric)
        types: set[str] = set()
        for i, perturbation in enumerate(self.robustness.perturbations if self.robustness else []):
            if perturbation.type in types:
                yield ("robustness", "perturbations", i, "type"), f"{perturbation.type!r} is listed twice"
            types.add(perturbation.type)
