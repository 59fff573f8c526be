"""The drift of one window of the prediction log against a reference profile (what ``drift`` computes).

Reads the window's records as a stream (``logs``), accumulates them (``stats``) and builds the
``drift.json`` document (``drift_schema``): each distribution against the reference, and each
check against its limit of ``specs/monitoring.yaml``. A classification reference adds the label,
confidence and vocabulary sections; records of text generation add output length and watcher rates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..specs.monitoring import MonitoringSpec
from ..specs.project import Project
from . import logs as logreader
from . import stats
from .drift_schema import DriftReport
from .reference import ReferenceProfile

#: failure kinds listed in drift.json, most frequent first
MAX_ERROR_KINDS = 20


@dataclass
class Window:
    """What was read: the records of the window accumulated, and every line that could not be used."""

    parts: list[str]
    stats: stats.WindowStats
    problems: logreader.LineProblems
    outside: int

    @property
    def lines(self) -> int:
        return self.outside + self.stats.count + self.problems.total


def read_window(url: str, spec: MonitoringSpec, since: dt.datetime, now: dt.datetime) -> Window:
    """Stream the log parts under ``url`` and accumulate the records logged in ``[since, now]``."""
    fs, root, parts = logreader.log_files(url, since)
    window = Window(parts, stats.WindowStats(), logreader.LineProblems(), 0)
    lines = logreader.read_records(fs, parts, window.problems, max_line_bytes=spec.max_line_bytes, shown=root)
    for name, number, record in lines:
        when = stats.timestamp(record.get("ts"))
        if when is None:
            window.problems.add(name, number, "malformed", "`ts` must be an ISO 8601 time")
        elif when < since or when > now:
            window.outside += 1
        elif why := window.stats.add(record):
            window.problems.add(name, number, "malformed", why)
    window.stats.flush()
    return window


def check(statistic: str, value: float | None, limit: float, *, below: bool = False) -> dict:
    """One check: exceeded when ``value`` is above ``limit`` (below it with ``below``); ``None`` without a value."""
    exceeded = None if value is None else (value < limit if below else value > limit)
    return {"statistic": statistic, "value": stats.rounded(value), "limit": limit, "exceeded": exceeded}


def numeric(reference: np.ndarray, window: np.ndarray) -> dict:
    """Means and the two-sample KS test of two integer histograms."""
    statistic, p_value = stats.ks(reference, window)
    return {
        "reference_mean": stats.rounded(stats.mean_of(reference)),
        "window_mean": stats.rounded(stats.mean_of(window)),
        "ks": stats.rounded(statistic),
        "p_value": stats.rounded(p_value),
    }


def labels_section(profile: ReferenceProfile, window: stats.WindowStats) -> dict:
    """Predicted-label shares in the reference and the window (labels the reference lacks included), and their PSI."""
    keys = list(profile.labels) + sorted(set(window.labels) - set(profile.labels))
    reference = np.array([profile.labels.get(k, 0) for k in keys])
    current = np.array([window.labels.get(k, 0) for k in keys])
    return {
        "reference": {k: round(v, 6) for k, v in stats.shares(profile.labels, keys).items()},
        "window": {k: round(v, 6) for k, v in stats.shares(dict(window.labels), keys).items()},
        "psi": stats.rounded(stats.psi(reference, current)),
    }


def confidence_section(profile: ReferenceProfile, window: stats.WindowStats) -> dict:
    """The confidence histograms as shares, their means (bin centres) and PSI."""
    reference, current = np.asarray(profile.confidence, dtype=np.int64), window.confidence_hist
    centres = (np.arange(stats.CONFIDENCE_BINS) + 0.5) / stats.CONFIDENCE_BINS

    def mean(hist: np.ndarray) -> float | None:
        return stats.rounded(float(np.dot(centres, hist) / hist.sum())) if hist.sum() else None

    return {
        "bins": stats.CONFIDENCE_BINS,
        "reference": [round(x, 6) for x in stats.shares(reference).tolist()],
        "window": [round(x, 6) for x in stats.shares(current).tolist()],
        "reference_mean": mean(reference),
        "window_mean": mean(current),
        "psi": stats.rounded(stats.psi(reference, current)),
    }


def unseen_section(profile: ReferenceProfile, window: stats.WindowStats) -> dict:
    """The share of words missing from the vocabulary, in held-out text and in the window."""
    reference = profile.unseen_words / profile.words if profile.words else None
    current = window.unseen / window.words if window.words else None
    increase = current - reference if reference is not None and current is not None else None
    return {
        "reference_rate": stats.rounded(reference),
        "window_rate": stats.rounded(current),
        "increase": stats.rounded(increase),
    }


def measure(
    project: Project, profile: ReferenceProfile, url: str, since: dt.datetime, now: dt.datetime, source: str
) -> dict:
    """The drift report (``drift.json``) of the records logged in ``[since, now]`` under ``url``."""
    spec = project.specs["monitoring"]
    limits = spec.thresholds
    read = read_window(url, spec, since, now)
    window = read.stats
    unreadable_rate = read.problems.total / read.lines if read.lines else 0.0
    errors = sum(window.errors.values())
    error_rate = errors / window.count if window.count else None
    input_length = numeric(profile.input_chars.dense(), window.input_hist)
    checks = {
        "prediction_volume": check("predictions in the window", window.count, limits.min_predictions, below=True),
        "error_rate": check("share of failed predictions", error_rate, limits.max_error_rate),
        "unreadable_lines": check("share of unreadable log lines", unreadable_rate, limits.max_malformed_rate),
        "input_length_ks": check("KS statistic of input lengths", input_length["ks"], limits.input_length_ks),
    }
    labels = confidence = unseen = output_length = watcher = None
    if profile.task == stats.CLASSIFICATION:
        labels, confidence = labels_section(profile, window), confidence_section(profile, window)
        unseen = unseen_section(profile, window)
        checks["label_psi"] = check("PSI of predicted labels", labels["psi"], limits.label_psi)
        checks["confidence_psi"] = check("PSI of confidence", confidence["psi"], limits.confidence_psi)
        checks["unseen_token_rate_increase"] = check(
            "rise of words missing from the vocabulary", unseen["increase"], limits.unseen_token_rate_increase
        )
    if window.generated:
        reference_out = profile.output_chars.dense() if profile.output_chars else np.zeros(1, dtype=np.int64)
        output_length = numeric(reference_out, window.output_hist)
        watcher = {k: round(window.watcher[k] / window.generated, 6) for k in stats.WATCHERS}
        checks["output_length_ks"] = check(
            "KS statistic of output lengths", output_length["ks"], limits.output_length_ks
        )
        checks["watcher_rate"] = check("largest watcher-check rate", max(watcher.values()), limits.max_watcher_rate)
    report = {
        "apiVersion": "gated-ml/v1",
        "kind": "DriftReport",
        "generated_at": iso(now),
        "logs": url,
        "since": iso(since),
        "reference": {"source": source, "run_id": profile.run_id},
        "lines": {
            "files": len(read.parts),
            "total": read.lines,
            "outside_window": read.outside,
            "unreadable": read.problems.total,
            "unreadable_rate": round(unreadable_rate, 6),
            "by_kind": read.problems.counts,
            "located": read.problems.located,
        },
        "predictions": {
            "count": window.count,
            "errors": errors,
            "error_rate": stats.rounded(error_rate),
            "by_error": dict(window.errors.most_common(MAX_ERROR_KINDS)),
            "by_task": dict(window.tasks),
        },
        "labels": labels,
        "confidence": confidence,
        "input_length": input_length,
        "unseen_tokens": unseen,
        "output_length": output_length,
        "watcher": watcher,
        "checks": checks,
    }
    return DriftReport.model_validate(report).model_dump(mode="json", by_alias=True)


def iso(when: dt.datetime) -> str:
    """``when`` as ISO 8601 UTC seconds with ``Z``."""
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
