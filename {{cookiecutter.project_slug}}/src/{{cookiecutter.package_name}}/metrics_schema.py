"""The shape of ``metrics.json``, the file ``evaluate`` writes and the policy gate reads.

Published as ``schemas/metrics.schema.json`` next to the spec schemas. ``evaluate`` validates
every file it writes against this model. Timings live only under ``latency``: two runs with the
same seed and specs give the same file apart from ``run_id`` and ``latency``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Metric = Literal["accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall", "ece"]
Unit = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassMetrics(Strict):
    """Scores of one label."""

    precision: Unit
    recall: Unit
    f1: Unit
    support: int = Field(ge=0, description="Rows whose true label is this one.")


class ConfusionMatrix(Strict):
    """Counts of (true label, predicted label); rows are true labels, columns predictions."""

    labels: list[str] = Field(description="Row and column order.")
    matrix: list[list[int]]


class SplitMetrics(Strict):
    """Headline metrics of the evaluated split."""

    rows: int = Field(ge=0)
    accuracy: Unit
    macro_f1: Unit
    weighted_f1: Unit
    macro_precision: Unit
    macro_recall: Unit
    ece: float = Field(ge=0, le=1, description="Expected calibration error (lower is better).")
    per_class: dict[str, ClassMetrics] = Field(description="Label -> its scores, in label order.")
    confusion_matrix: ConfusionMatrix


class SliceMetrics(Strict):
    """The metrics named in specs/evaluation.yaml on the rows of one slice value."""

    rows: int = Field(ge=0)
    accuracy: Unit | None = None
    macro_f1: Unit | None = None
    weighted_f1: Unit | None = None
    macro_precision: Unit | None = None
    macro_recall: Unit | None = None
    ece: Unit | None = None


class SliceGap(Strict):
    """How far apart the best and the worst value of a slice column are on one metric."""

    metric: Metric
    gap: float = Field(ge=0, le=1, description="Best minus worst, as a positive number.")
    best: str
    worst: str


class GoldenFailure(Strict):
    id: str
    text: str
    label: str
    predicted: str


class Golden(Strict):
    """Hand-checked rows the model must get exactly right."""

    rows: int = Field(ge=0)
    passed: int = Field(ge=0)
    pass_rate: Unit
    failures: list[GoldenFailure]


class Robustness(Strict):
    """Macro-F1 on perturbed texts, and how much it fell from the unperturbed value."""

    macro_f1: Unit
    drop: float = Field(ge=-1, le=1, description="Unperturbed minus perturbed macro-F1; negative when it rose.")


class Timing(Strict):
    p50_ms: float = Field(ge=0)
    p95_ms: float = Field(ge=0)


class Latency(Strict):
    """Wall time of tokenizing and classifying one batch, on the device evaluate ran on."""

    device: str
    batches: dict[str, Timing] = Field(description="Batch size (as text) -> timings.")


class MetricsReport(Strict):
    """Everything ``evaluate`` measured for one run."""

    run_id: str
    split: Literal["test", "validation"] = Field(description="The split the headline metrics (`test`) come from.")
    primary_metric: Metric
    test: SplitMetrics
    slices: dict[str, dict[str, SliceMetrics]] = Field(description="Slice column -> value -> metrics.")
    slice_gaps: dict[str, SliceGap] = Field(description="Slice column -> gap of the primary metric.")
    max_slice_gap: float | None = Field(ge=0, le=1, description="Largest gap of any slice column; null without slices.")
    golden: Golden | None = Field(description="Null when the evaluation spec names no golden split.")
    robustness: dict[str, Robustness] = Field(description="Perturbation type -> result.")
    max_robustness_drop: float | None = Field(
        ge=-1, le=1, description="Largest drop of any perturbation; null without perturbations."
    )
    latency: Latency
