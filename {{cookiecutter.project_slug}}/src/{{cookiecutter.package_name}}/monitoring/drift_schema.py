"""The shape of ``drift.json``, the file ``drift`` writes and ``gate --stage monitor`` reads.

Its JSON Schema is published as ``schemas/drift.schema.json``. A statistic that cannot be
computed (no predictions in the window, a check of the other task) is ``null``; ``checks`` holds
one entry per statistic with its limit from ``specs/monitoring.yaml`` and whether it is exceeded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..specs.common import API_VERSION


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Located(Strict):
    """One unreadable log line."""

    file: str = Field(description="The log part, as listed under the logs URL.")
    line: int = Field(ge=1, description="1-based line number in that file.")
    kind: Literal["empty", "truncated", "malformed", "oversized"] = Field(description="Why it cannot be used.")
    detail: str = Field(description="What is wrong with it (never the line's content).")


class Lines(Strict):
    """Every line read, and those that could not be used."""

    files: int = Field(description="Log parts read.")
    total: int = Field(description="Lines read.")
    outside_window: int = Field(description="Readable records older than the window.")
    unreadable: int = Field(description="Empty, truncated, malformed and oversized lines together.")
    unreadable_rate: float = Field(description="unreadable / total (0 when no line was read).")
    by_kind: dict[str, int] = Field(description="Unreadable lines by kind: empty, truncated, malformed, oversized.")
    located: list[Located] = Field(description="The first unreadable lines, with file and line.")


class Distribution(Strict):
    """A categorical distribution in the window and in the reference, and their PSI."""

    reference: dict[str, float] = Field(description="Share of each category in the reference.")
    window: dict[str, float] = Field(description="Share of each category in the window.")
    psi: float | None = Field(description="Population stability index (null without predictions).")


class Numeric(Strict):
    """A numeric distribution in the window and in the reference, and their two-sample KS test."""

    reference_mean: float | None = Field(description="Mean in the reference.")
    window_mean: float | None = Field(description="Mean in the window (null without records).")
    ks: float | None = Field(description="Kolmogorov-Smirnov statistic (largest gap of the two CDFs).")
    p_value: float | None = Field(description="Its asymptotic p-value (Kolmogorov distribution).")


class Confidence(Strict):
    """The top score of each prediction, in equal-width bins over [0, 1]."""

    bins: int = Field(description="Equal-width bins over [0, 1].")
    reference: list[float] = Field(description="Share of the reference in each bin.")
    window: list[float] = Field(description="Share of the window in each bin.")
    reference_mean: float | None = Field(description="Mean confidence in the reference (bin centres).")
    window_mean: float | None = Field(description="Mean confidence in the window (bin centres).")
    psi: float | None = Field(description="Population stability index of the two histograms.")


class Unseen(Strict):
    """Share of input words the tokenizer's vocabulary lacks as whole tokens."""

    reference_rate: float | None = Field(description="Share in the reference's data split.")
    window_rate: float | None = Field(description="Share in the window (null without word counts).")
    increase: float | None = Field(description="window_rate - reference_rate.")


class Predictions(Strict):
    """The records of the window."""

    count: int = Field(description="Records in the window (failed ones included).")
    errors: int = Field(description="Records whose `error` is set.")
    error_rate: float | None = Field(description="errors / count (null without records).")
    by_error: dict[str, int] = Field(description="Failed records by error kind.")
    by_task: dict[str, int] = Field(description="Records by task.")


class Check(Strict):
    """One statistic against its limit (specs/monitoring.yaml thresholds)."""

    statistic: str = Field(description="What is measured.")
    value: float | None = Field(description="Its value; null when it cannot be computed.")
    limit: float = Field(description="The threshold from the monitoring spec.")
    exceeded: bool | None = Field(description="True when the value is beyond the limit; null with no value.")


class ReferenceInfo(Strict):
    """Where the reference came from."""

    source: str = Field(description="Where the reference profile was read or how it was built.")
    run_id: str = Field(description="The run whose predictions and tokenizer the reference comes from.")


class DriftReport(Strict):
    """The drift of one window of the prediction log against the reference."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Document format version.")
    kind: Literal["DriftReport"] = Field(description="Which document this is.")
    generated_at: str = Field(description="When drift ran (ISO 8601, UTC).")
    logs: str = Field(description="The logs URL read.")
    since: str = Field(description="Start of the window (ISO 8601, UTC).")
    reference: ReferenceInfo = Field(description="The reference profile compared with.")
    lines: Lines = Field(description="Lines read, and those that could not be used.")
    predictions: Predictions = Field(description="Records in the window, failures by kind.")
    labels: Distribution | None = Field(description="Predicted labels (classification).")
    confidence: Confidence | None = Field(description="Top scores (classification).")
    input_length: Numeric = Field(description="Input length in characters.")
    unseen_tokens: Unseen | None = Field(description="Words missing from the vocabulary (classification).")
    output_length: Numeric | None = Field(description="Output length in characters (text generation).")
    watcher: dict[str, float] | None = Field(
        description="Share of outputs each watcher check flagged (text generation)."
    )
    checks: dict[str, Check] = Field(description="Each statistic against its limit; rules DRIFT-* read `exceeded`.")
