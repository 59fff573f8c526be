"""The drift of one window of the prediction log against a reference profile (what ``drift`` computes).

Reads the window's records as a stream (``logs``), accumulates them (``stats``) and builds the
``drift.json`` document (``drift_schema``): each statistic, and each check against its limit of
``specs/monitoring.yaml``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..specs.project import Project
from . import logs as logreader
from . import stats
from .drift_schema import DriftReport
from .reference import ReferenceProfile


def check(statistic: str, value: float | None, limit: float, *, below: bool = False) -> dict:
    exceeded = None if value is None else (value < limit if below else value > limit)
    return {"statistic": statistic, "value": stats.rounded(value), "limit": limit, "exceeded": exceeded}


def measure(
    project: Project, profile: ReferenceProfile, url: str, since: dt.datetime, now: dt.datetime, source: str
) -> dict:
    """The drift report of the records logged in ``[since, now]`` under ``url``."""
    spec = project.specs["monitoring"]
    limits = spec.thresholds
    fs, parts = logreader.log_files(url, since)
    problems = logreader.LineProblems()
    window = stats.WindowStats()
    outside = total_lines = 0
    root = fs._strip_protocol(url).rstrip("/")
    for name, number, record in logreader.read_records(
        fs, parts, problems, max_line_bytes=spec.max_line_bytes, shown=root
    ):
        when = stats.timestamp(record.get("ts"))
        if when is None:
            problems.add(name, number, "malformed", "`ts` must be an ISO 8601 time")
            continue
        if when < since or when > now:
            outside += 1
            continue
        why = window.add(record)
        if why:
            problems.add(name, number, "malformed", why)
    window.flush()
    total_lines = outside + window.count + problems.total
    unreadable_rate = problems.total / total_lines if total_lines else 0.0

    ref_labels = profile.labels
    labels = None
    if profile.task == stats.CLASSIFICATION:
        keys = list(ref_labels) + sorted(set(window.labels) - set(ref_labels))
        psi = stats.psi(
            np.array([ref_labels.get(k, 0) for k in keys]), np.array([window.labels.get(k, 0) for k in keys])
        )
        labels = {
            "reference": {k: round(v, 6) for k, v in stats.shares(ref_labels, keys).items()},
            "window": {k: round(v, 6) for k, v in stats.shares(dict(window.labels), keys).items()},
            "psi": stats.rounded(psi),
        }
    ref_conf = np.asarray(profile.confidence, dtype=np.int64)
    conf_psi = stats.psi(ref_conf, window.confidence_hist) if profile.task == stats.CLASSIFICATION else None
    centers = (np.arange(stats.CONFIDENCE_BINS) + 0.5) / stats.CONFIDENCE_BINS
    confidence = None
    if profile.task == stats.CLASSIFICATION:
        confidence = {
            "bins": stats.CONFIDENCE_BINS,
            "reference": [round(x, 6) for x in stats.shares(ref_conf).tolist()],
            "window": [round(x, 6) for x in stats.shares(window.confidence_hist).tolist()],
            "reference_mean": stats.rounded(
                float(np.dot(centers, ref_conf) / ref_conf.sum()) if ref_conf.sum() else None
            ),
            "window_mean": stats.rounded(
                float(np.dot(centers, window.confidence_hist) / window.confidence_hist.sum())
                if window.confidence_hist.sum()
                else None
            ),
            "psi": stats.rounded(conf_psi),
        }
    ref_inputs = profile.input_chars.dense()
    in_ks, in_p = stats.ks(ref_inputs, window.input_hist)
    input_length = {
        "reference_mean": stats.rounded(stats.mean_of(ref_inputs)),
        "window_mean": stats.rounded(stats.mean_of(window.input_hist)),
        "ks": stats.rounded(in_ks),
        "p_value": stats.rounded(in_p),
    }
    unseen = None
    if profile.task == stats.CLASSIFICATION:
        ref_rate = profile.unseen_words / profile.words if profile.words else None
        win_rate = window.unseen / window.words if window.words else None
        increase = win_rate - ref_rate if ref_rate is not None and win_rate is not None else None
        unseen = {
            "reference_rate": stats.rounded(ref_rate),
            "window_rate": stats.rounded(win_rate),
            "increase": stats.rounded(increase),
        }
    output_length = watcher = None
    if window.tasks[stats.GENERATION]:
        ref_out = profile.output_chars.dense() if profile.output_chars else np.zeros(1, dtype=np.int64)
        out_ks, out_p = stats.ks(ref_out, window.output_hist)
        output_length = {
            "reference_mean": stats.rounded(stats.mean_of(ref_out)),
            "window_mean": stats.rounded(stats.mean_of(window.output_hist)),
            "ks": stats.rounded(out_ks),
            "p_value": stats.rounded(out_p),
        }
        watcher = {
            k: round(window.watcher[k] / window.generated, 6) if window.generated else 0.0 for k in stats.WATCHERS
        }
    error_rate = sum(window.errors.values()) / window.count if window.count else None
    checks = {
        "prediction_volume": check("predictions in the window", window.count, limits.min_predictions, below=True),
        "error_rate": check("share of failed predictions", error_rate, limits.max_error_rate),
        "unreadable_lines": check("share of unreadable log lines", unreadable_rate, limits.max_malformed_rate),
        "input_length_ks": check("KS statistic of input lengths", in_ks, limits.input_length_ks),
    }
    if profile.task == stats.CLASSIFICATION:
        checks["label_psi"] = check("PSI of predicted labels", labels["psi"], limits.label_psi)
        checks["confidence_psi"] = check("PSI of confidence", conf_psi, limits.confidence_psi)
        checks["unseen_token_rate_increase"] = check(
            "rise of words missing from the vocabulary", unseen["increase"], limits.unseen_token_rate_increase
        )
    if output_length is not None:
        checks["output_length_ks"] = check(
            "KS statistic of output lengths", output_length["ks"], limits.output_length_ks
        )
        checks["watcher_rate"] = check("largest watcher-check rate", max(watcher.values()), limits.max_watcher_rate)
    report = {
        "apiVersion": "gated-ml/v1",
        "kind": "DriftReport",
        "generated_at": _iso(now),
        "logs": url,
        "since": _iso(since),
        "reference": {"source": source, "run_id": profile.run_id},
        "lines": {
            "files": len(parts),
            "total": total_lines,
            "outside_window": outside,
            "unreadable": problems.total,
            "unreadable_rate": round(unreadable_rate, 6),
            "by_kind": problems.counts,
            "located": problems.located,
        },
        "predictions": {
            "count": window.count,
            "errors": sum(window.errors.values()),
            "error_rate": stats.rounded(error_rate),
            "by_error": dict(window.errors.most_common(20)),
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


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
