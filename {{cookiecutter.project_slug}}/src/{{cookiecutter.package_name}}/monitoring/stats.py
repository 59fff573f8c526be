"""Accumulate a window of prediction records into counts and histograms, and compare them with the reference.

Nothing per record is kept: labels and error kinds are counted, lengths go into integer
histograms and scores into equal-width bins, each filled from a chunk of ``CHUNK`` records at a
time with numpy. The comparisons use scipy: the population stability index (PSI) as the
symmetric relative entropy ``sum((p - q) * ln(p / q))`` (``scipy.special.rel_entr``) of shares
smoothed by half a count per bin; the two-sample Kolmogorov-Smirnov statistic as the largest gap
of the two empirical CDFs, computed exactly from the integer histograms, and its asymptotic
p-value from the limiting Kolmogorov distribution (``scipy.special.kolmogorov``) at
``D * sqrt(n*m/(n+m))`` (``scipy.stats`` itself takes half a second to import, a sixth of the
time budget of a 100,000-line window).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import numpy as np

#: records converted to numpy at a time
CHUNK = 65_536
#: equal-width bins of the confidence histogram over [0, 1]
CONFIDENCE_BINS = 10
#: longer lengths fall into the last bin of a length histogram
LENGTH_CAP = 100_000
WATCHERS = ("pii", "profanity", "refusal")
GENERATION = "text-generation"
CLASSIFICATION = "text-classification"


def _int(value: Any) -> bool:
    return type(value) is int and value >= 0


def _number(value: Any) -> bool:
    return type(value) in (int, float) and 0 <= value <= 1


def timestamp(value: Any) -> dt.datetime | None:
    """A record's ``ts`` as an aware UTC datetime; ``None`` when it is not an ISO time."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


class WindowStats:
    """Counts and histograms of the records of one window."""

    def __init__(self) -> None:
        self.count = 0
        self.errors: Counter[str] = Counter()
        self.tasks: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.words = self.unseen = 0
        self.watcher: Counter[str] = Counter()
        self.generated = 0
        self.input_hist = np.zeros(1, dtype=np.int64)
        self.output_hist = np.zeros(1, dtype=np.int64)
        self.confidence_hist = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
        self._inputs: list[int] = []
        self._outputs: list[int] = []
        self._scores: list[float] = []

    def add(self, record: dict) -> str | None:
        """Count one record; returns why it is malformed (then nothing of it is counted), else ``None``."""
        task = record.get("task", CLASSIFICATION)
        error = record.get("error")
        chars = record.get("input_chars")
        if error is not None and not isinstance(error, str):
            return "`error` must be null or a string"
        if not _int(chars):
            return "`input_chars` must be a non-negative integer"
        if task == CLASSIFICATION:
            why = self._classification(record, error)
        elif task == GENERATION:
            why = self._generation(record, error)
        else:
            return f"unknown task {str(task)[:40]!r}"
        if why:
            return why
        self.count += 1
        self.tasks[task] += 1
        self._inputs.append(chars)
        if error is not None:
            self.errors[error[:60]] += 1
        if len(self._inputs) >= CHUNK:
            self.flush()
        return None

    def _classification(self, record: dict, error: str | None) -> str | None:
        words, unseen = record.get("words"), record.get("unseen_words")
        if words is not None and not (_int(words) and _int(unseen) and unseen <= words):
            return "`words` and `unseen_words` must be integers, unseen_words <= words"
        if error is None:
            label, score = record.get("label"), record.get("score")
            if not isinstance(label, str) or not label:
                return "`label` must be a non-empty string"
            if not _number(score):
                return "`score` must be a number in [0, 1]"
            self.labels[label[:100]] += 1
            self._scores.append(score)
        if words is not None:
            self.words += words
            self.unseen += unseen
        return None

    def _generation(self, record: dict, error: str | None) -> str | None:
        if error is not None:
            return None
        out, watcher = record.get("output_chars"), record.get("watcher")
        if not _int(out):
            return "`output_chars` must be a non-negative integer"
        if not isinstance(watcher, dict) or any(type(watcher.get(k, False)) is not bool for k in WATCHERS):
            return "`watcher` must be an object of booleans (pii, profanity, refusal)"
        self.generated += 1
        self._outputs.append(out)
        for key in WATCHERS:
            self.watcher[key] += watcher.get(key, False)
        return None

    def flush(self) -> None:
        """Move the buffered values into the histograms."""
        self.input_hist = _add_lengths(self.input_hist, self._inputs)
        self.output_hist = _add_lengths(self.output_hist, self._outputs)
        if self._scores:
            scores = np.asarray(self._scores, dtype=np.float64)
            self.confidence_hist += np.bincount(confidence_bin(scores), minlength=CONFIDENCE_BINS)
        self._inputs, self._outputs, self._scores = [], [], []


def confidence_bin(scores: np.ndarray) -> np.ndarray:
    """The bin of each score: ``[0, 0.1), [0.1, 0.2), ... [0.9, 1.0]``."""
    return np.minimum((scores * CONFIDENCE_BINS).astype(np.int64), CONFIDENCE_BINS - 1)


def _add_lengths(hist: np.ndarray, values: list[int]) -> np.ndarray:
    if not values:
        return hist
    counts = np.bincount(np.minimum(np.asarray(values, dtype=np.int64), LENGTH_CAP))
    if len(counts) > len(hist):
        hist = np.pad(hist, (0, len(counts) - len(hist)))
    hist[: len(counts)] += counts
    return hist


def length_histogram(values: list[int] | np.ndarray) -> np.ndarray:
    """An integer histogram of lengths (index = length, capped at ``LENGTH_CAP``)."""
    return _add_lengths(np.zeros(1, dtype=np.int64), list(values))


def shares(counts: dict[str, float] | np.ndarray, keys: list[str] | None = None) -> Any:
    """Counts as shares of their total (all zero when the total is)."""
    if isinstance(counts, dict):
        total = sum(counts.values())
        return {k: (counts.get(k, 0) / total if total else 0.0) for k in (keys or counts)}
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def psi(reference: np.ndarray, window: np.ndarray) -> float | None:
    """Population stability index of two count vectors over the same bins; ``None`` when either is empty."""
    from scipy.special import rel_entr

    reference, window = np.asarray(reference, dtype=np.float64), np.asarray(window, dtype=np.float64)
    if reference.sum() == 0 or window.sum() == 0:
        return None
    p = (reference + 0.5) / (reference.sum() + 0.5 * len(reference))
    q = (window + 0.5) / (window.sum() + 0.5 * len(window))
    return float(np.sum(rel_entr(q, p) + rel_entr(p, q)))


def ks(reference: np.ndarray, window: np.ndarray) -> tuple[float | None, float | None]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value of two integer histograms."""
    from scipy.special import kolmogorov

    n, m = int(reference.sum()), int(window.sum())
    if n == 0 or m == 0:
        return None, None
    size = max(len(reference), len(window))
    ref_cdf = np.cumsum(np.pad(reference, (0, size - len(reference)))) / n
    win_cdf = np.cumsum(np.pad(window, (0, size - len(window)))) / m
    statistic = float(np.max(np.abs(ref_cdf - win_cdf)))
    return statistic, float(kolmogorov(statistic * math.sqrt(n * m / (n + m))))


def mean_of(hist: np.ndarray) -> float | None:
    """The mean length of an integer histogram."""
    total = hist.sum()
    return float(np.dot(np.arange(len(hist)), hist) / total) if total else None


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)
