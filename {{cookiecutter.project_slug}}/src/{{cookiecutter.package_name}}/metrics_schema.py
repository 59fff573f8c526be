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

    precision: Unit = Field(description="Share of rows predicted as this label that have it.")
    recall: Unit = Field(description="Share of rows with this label predicted as it.")
    f1: Unit = Field(description="Harmonic mean of precision and recall.")
    support: int = Field(ge=0, description="Rows whose true label is this one.")


class ConfusionMatrix(Strict):
    """Counts of (true label, predicted label); rows are true labels, columns predictions."""

    labels: list[str] = Field(description="Row and column order.")
    matrix: list[list[int]] = Field(description="matrix[true][predicted] row counts.")


class SplitMetrics(Strict):
    """Headline metrics of the evaluated split."""

    rows: int = Field(ge=0, description="Rows evaluated.")
    accuracy: Unit = Field(description="Share of rows predicted correctly.")
    macro_f1: Unit = Field(description="F1 averaged over labels, each label counting the same.")
    weighted_f1: Unit = Field(description="F1 averaged over labels, weighted by support.")
    macro_precision: Unit = Field(description="Precision averaged over labels.")
    macro_recall: Unit = Field(description="Recall averaged over labels.")
    ece: float = Field(ge=0, le=1, description="Expected calibration error (lower is better).")
    per_class: dict[str, ClassMetrics] = Field(description="Label -> its scores, in label order.")
    confusion_matrix: ConfusionMatrix


class SliceMetrics(Strict):
    """The metrics named in specs/evaluation.yaml on the rows of one slice value."""

    rows: int = Field(ge=0, description="Rows with this slice value.")
    accuracy: Unit | None = Field(default=None, description="Accuracy on the slice, when listed in the spec.")
    macro_f1: Unit | None = Field(default=None, description="Macro-F1 on the slice, when listed in the spec.")
    weighted_f1: Unit | None = Field(default=None, description="Weighted F1 on the slice, when listed in the spec.")
    macro_precision: Unit | None = Field(default=None, description="Macro precision on the slice, when listed.")
    macro_recall: Unit | None = Field(default=None, description="Macro recall on the slice, when listed.")
    ece: Unit | None = Field(default=None, description="Calibration error on the slice, when listed.")


class SliceGap(Strict):
    """How far apart the best and the worst value of a slice column are on one metric."""

    metric: Metric = Field(description="The metric compared (the primary metric).")
    gap: float = Field(ge=0, le=1, description="Best minus worst, as a positive number.")
    best: str = Field(description="Slice value with the highest score.")
    worst: str = Field(description="Slice value with the lowest score.")


class GoldenFailure(Strict):
    """A golden row the model got wrong."""

    id: str = Field(description="Row id.")
    text: str = Field(description="The row's text.")
    label: str = Field(description="The true label.")
    predicted: str = Field(description="What the model said.")


class Golden(Strict):
    """Hand-checked rows the model must get exactly right."""

    rows: int = Field(ge=0, description="Golden rows evaluated.")
    passed: int = Field(ge=0, description="Rows predicted exactly.")
    pass_rate: Unit = Field(description="passed / rows.")
    failures: list[GoldenFailure] = Field(description="Every row that was not predicted exactly.")


class Robustness(Strict):
    """Macro-F1 on perturbed texts, and how much it fell from the unperturbed value."""

    macro_f1: Unit = Field(description="Macro-F1 on the perturbed texts.")
    drop: float = Field(ge=-1, le=1, description="Unperturbed minus perturbed macro-F1; negative when it rose.")


class Timing(Strict):
    """Latency percentiles of one batch size."""

    p50_ms: float = Field(ge=0, description="Median milliseconds per batch.")
    p95_ms: float = Field(ge=0, description="95th percentile milliseconds per batch.")


class Latency(Strict):
    """Wall time of tokenizing and classifying one batch, on the device evaluate ran on."""

    device: str = Field(description="Device the timings come from, e.g. cpu or cuda.")
    batches: dict[str, Timing] = Field(description="Batch size (as text) -> timings.")


class MetricsReport(Strict):
    """Everything ``evaluate`` measured for one run."""

    run_id: str = Field(description="The run these metrics belong to.")
    split: Literal["test", "validation"] = Field(description="The split the headline metrics (`test`) come from.")
    primary_metric: Metric = Field(description="The metric compared against production.")
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
