"""The shape of ``metrics.json``, the file ``evaluate`` writes and the policy gate reads.

Published as ``schemas/metrics.schema.json`` next to the spec schemas. ``evaluate`` validates
every file it writes against this model. Timings live only under ``latency``: two runs with the
same seed and specs give the same file apart from ``run_id`` and ``latency``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Metric = Literal["accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall", "ece"]


def unit(description: str, *, optional: bool = False):
    """A field holding a share between 0 and 1; an optional one may be left out."""
    return (
        Field(default=None, ge=0, le=1, description=description)
        if optional
        else Field(ge=0, le=1, description=description)
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassMetrics(Strict):
    """Scores of one label."""

    precision: float = unit("Share of the rows predicted as this label that have it.")
    recall: float = unit("Share of the rows that have this label that were predicted as it.")
    f1: float = unit("Harmonic mean of precision and recall.")
    support: int = Field(ge=0, description="Rows whose true label is this one.")


class ConfusionMatrix(Strict):
    """Counts of (true label, predicted label); rows are true labels, columns predictions."""

    labels: list[str] = Field(description="Row and column order.")
    matrix: list[list[int]] = Field(description="matrix[i][j]: rows of true label i predicted as label j.")


class SplitMetrics(Strict):
    """Headline metrics of the evaluated split."""

    rows: int = Field(ge=0, description="Rows evaluated.")
    accuracy: float = unit("Share of rows predicted exactly.")
    macro_f1: float = unit("Unweighted mean of the per-label F1.")
    weighted_f1: float = unit("Mean of the per-label F1 weighted by support.")
    macro_precision: float = unit("Unweighted mean of the per-label precision.")
    macro_recall: float = unit("Unweighted mean of the per-label recall.")
    ece: float = unit("Expected calibration error over equal-width confidence bins (lower is better).")
    per_class: dict[str, ClassMetrics] = Field(description="Label -> its scores, in label order.")
    confusion_matrix: ConfusionMatrix


class SliceMetrics(Strict):
    """The metrics named in specs/evaluation.yaml on the rows of one slice value (macro over labels present)."""

    rows: int = Field(ge=0, description="Rows with this slice value.")
    accuracy: float | None = unit("Share of rows predicted exactly.", optional=True)
    macro_f1: float | None = unit("Unweighted mean of the F1 of the labels present.", optional=True)
    weighted_f1: float | None = unit("Mean F1 weighted by support.", optional=True)
    macro_precision: float | None = unit("Unweighted mean precision of the labels present.", optional=True)
    macro_recall: float | None = unit("Unweighted mean recall of the labels present.", optional=True)
    ece: float | None = unit("Expected calibration error (lower is better).", optional=True)


class SliceGap(Strict):
    """How far apart the best and the worst value of a slice column are on one metric."""

    metric: Metric = Field(description="The metric compared: the evaluation spec's primary metric.")
    gap: float = unit("Best minus worst, as a positive number.")
    best: str = Field(description="The slice value that scores best.")
    worst: str = Field(description="The slice value that scores worst.")


class GoldenFailure(Strict):
    """A golden row the model got wrong."""

    id: str = Field(description="The row's id (the data spec's id column).")
    text: str = Field(description="The row's text.")
    label: str = Field(description="Its true label.")
    predicted: str = Field(description="The label the model predicted.")


class Golden(Strict):
    """Hand-checked rows the model must get exactly right."""

    rows: int = Field(ge=0, description="Golden rows evaluated.")
    passed: int = Field(ge=0, description="Golden rows predicted exactly.")
    pass_rate: float = unit("passed / rows.")
    failures: list[GoldenFailure] = Field(description="Every golden row predicted wrongly.")


class Robustness(Strict):
    """Macro-F1 on perturbed texts, and how much it fell from the unperturbed value."""

    macro_f1: float = unit("Macro-F1 on the perturbed texts.")
    drop: float = Field(ge=-1, le=1, description="Unperturbed minus perturbed macro-F1; negative when it rose.")


class Timing(Strict):
    """Percentiles of the time one batch took."""

    p50_ms: float = Field(ge=0, description="Median, in milliseconds.")
    p95_ms: float = Field(ge=0, description="95th percentile, in milliseconds.")


class Latency(Strict):
    """Wall time of tokenizing and classifying one batch, on the device evaluate ran on."""

    device: str = Field(description="The device in words, e.g. 'cpu (2 threads)' or 'cuda:0 (NVIDIA L4)'.")
    batches: dict[str, Timing] = Field(description="Batch size (as text) -> timings.")


class MetricsReport(Strict):
    """Everything ``evaluate`` measured for one run."""

    run_id: str = Field(description="The run evaluated (its directory under artifacts/).")
    split: Literal["test", "validation"] = Field(description="The split the headline metrics (`test`) come from.")
    primary_metric: Metric = Field(description="The metric the gate compares with production.")
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
