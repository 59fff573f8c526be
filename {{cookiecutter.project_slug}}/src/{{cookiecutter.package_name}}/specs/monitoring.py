"""The monitoring spec (``specs/monitoring.yaml``): which prediction logs are compared with what, and the limits.

``drift`` reads the logs of one window, compares them with the reference (the training data and
the evaluation predictions of the production run) and checks each statistic against its limit
here; ``gate --stage monitor`` turns the checks into policy results (rules DRIFT-*).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from .common import API_VERSION, Finding, SpecModel


class Reference(SpecModel):
    """What the logs are compared with."""

    data: Literal["train", "validation", "test"] = Field(
        default="train", description="Data split whose texts give the reference input lengths."
    )
    predictions: Literal["test", "validation"] = Field(
        default="test",
        description="Held-out split: the production run's predictions on it give the reference labels and "
        "confidences, its words the share the vocabulary lacks.",
    )
    file: str = Field(
        default="deploy/production/reference.json",
        min_length=1,
        description="Where the release stores the reference profile (`drift --save-reference` writes it).",
    )


class Window(SpecModel):
    """Which logged predictions are judged."""

    days: int = Field(
        default=7, ge=1, le=366, description="Predictions of the last this many days (`--since` overrides)."
    )


class Thresholds(SpecModel):
    """The limit of each drift statistic; a value beyond it fails its rule (policies, DRIFT-*)."""

    label_psi: float = Field(
        default=0.2, gt=0, le=10, description="Population stability index of the predicted labels."
    )
    confidence_psi: float = Field(
        default=0.25, gt=0, le=10, description="Population stability index of the confidence (top score) histogram."
    )
    input_length_ks: float = Field(
        default=0.2, gt=0, le=1, description="Kolmogorov-Smirnov statistic of input lengths (characters)."
    )
    unseen_token_rate_increase: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="Rise of the share of words missing from the tokenizer's vocabulary over held-out text.",
    )
    min_predictions: int = Field(default=100, ge=1, description="Fewest predictions the window must hold.")
    max_error_rate: float = Field(default=0.02, ge=0, le=1, description="Largest share of failed predictions.")
    max_malformed_rate: float = Field(
        default=0.001,
        ge=0,
        le=1,
        description="Largest share of log lines that cannot be read (empty, truncated, malformed, oversized).",
    )
    output_length_ks: float = Field(
        default=0.2, gt=0, le=1, description="Text generation: Kolmogorov-Smirnov statistic of output lengths."
    )
    max_watcher_rate: float = Field(
        default=0.01, ge=0, le=1, description="Text generation: largest share of outputs any watcher check flags."
    )


class MonitoringSpec(SpecModel):
    """Drift monitoring of the served model, and what a failed check triggers."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["MonitoringSpec"] = Field(description="Which spec this file is.")
    logs: str | None = Field(
        default=None,
        min_length=1,
        description="fsspec URL or project-relative directory of the prediction logs (s3://bucket/prefix, gs://...); "
        "omit to read where specs/deployment.yaml service.prediction_log.url ships them.",
    )
    reference: Reference = Field(default_factory=Reference)
    window: Window = Field(default_factory=Window)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    max_line_bytes: int = Field(
        default=65_536,
        ge=256,
        le=16 << 20,
        description="A log line longer than this is counted as oversized and skipped.",
    )
    retrain_on_drift: bool = Field(
        default=False,
        description="When a drift rule fails, the monitor workflow runs `refresh` and opens a pull request with "
        "the refreshed data window, so retraining goes through the pull-request gate.",
    )
    refresh: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Shell command, run at the project root, that refreshes the data files from your labelled "
        "store (e.g. `python scripts/export_tickets.py --days 90 --out data/`); its changes, re-pinned with "
        "`pin-data`, make the pull request.",
    )

    def findings(self) -> Iterator[Finding]:
        if self.retrain_on_drift and self.refresh is None:
            yield (
                ("retrain_on_drift",),
                "retraining on drift needs `refresh`: the command that refreshes the data files",
            )
