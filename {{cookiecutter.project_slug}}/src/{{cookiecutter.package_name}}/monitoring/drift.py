"""``drift``: compare a window of the prediction log with the reference, and write ``drift.json``.

    drift [--logs URL] [--since TIME|7d] [--out DIR] [--reference PATH]
    drift --save-reference [--run ID] [--reference PATH]

Reads the prediction log (``--logs``, else ``logs`` of specs/monitoring.yaml, else where
specs/deployment.yaml ships it) as a stream, keeps the records of the window (``--since``, else
the spec's ``window.days`` before now), and compares them with the reference profile
(``reference.file``): predicted-label PSI, confidence PSI, input-length KS, the rise of words
missing from the vocabulary, prediction volume and error rate; for text generation also output
length KS and watcher-check rates. Unreadable lines are counted and located, never skipped
silently. Writes ``drift.json`` (``schemas/drift.schema.json``), ``drift.md`` and PNG plots into
``--out`` (default ``artifacts/monitoring``), then prints each check. ``gate --stage monitor``
judges the file. Exits 0 once written (the gate decides), 2 on bad input.

``--save-reference`` builds the reference profile from a run instead (see ``reference``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

import numpy as np

from ..errors import ProjectError
from ..files import atomic_write_text
from ..specs.project import Project, find_root, load_project
from . import logs as logreader
from . import reference as ref
from . import stats
from .drift_schema import DriftReport

OUT = "artifacts/monitoring"
DRIFT = "drift.json"
REPORT = "drift.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--logs", metavar="URL", default=None, help="fsspec URL or directory of the prediction log")
    parser.add_argument(
        "--since", metavar="TIME", default=None, help="start of the window: an ISO time, or a span such as 7d or 12h"
    )
    parser.add_argument("--now", default=None, help="end of the window as an ISO time (tests, replays); default: now")
    parser.add_argument("--out", type=Path, default=None, help=f"output directory (default: {OUT})")
    parser.add_argument("--reference", type=Path, default=None, help="reference profile (default: reference.file)")
    parser.add_argument(
        "--save-reference", action="store_true", help="build the reference profile from --run and write it; no drift"
    )
    parser.add_argument("--run", default=None, help="with --save-reference: the run (default: the latest)")


def parse_since(text: str | None, now: dt.datetime, days: int) -> dt.datetime:
    """The window's start: an ISO time, a span back from ``now`` (``30m``, ``12h``, ``7d``), or ``days`` back."""
    if text is None:
        return now - dt.timedelta(days=days)
    span = re.fullmatch(r"(\d{1,6})([mhd])", text.strip())
    if span:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[span.group(2)]
        return now - dt.timedelta(**{unit: int(span.group(1))})
    from ..governance.gate import parse_now

    try:
        return parse_now(text)
    except ProjectError:
        raise ProjectError(f"--since {text!r} is neither an ISO time nor a span such as 30m, 12h or 7d") from None


def logs_url(project: Project, given: str | None) -> str:
    """The logs URL: ``--logs``, the monitoring spec's, or the deployment's; a plain path is read from the project."""
    url = given or project.specs["monitoring"].logs or project.deployment.service.prediction_log.url
    if "://" in url or Path(url).is_absolute():
        return url
    return str(project.root / url)


def check(statistic: str, value: float | None, limit: float, *, below: bool = False) -> dict:
    exceeded = None if value is None else (value < limit if below else value > limit)
    return {"statistic": statistic, "value": stats.rounded(value), "limit": limit, "exceeded": exceeded}


def measure(
    project: Project, profile: ref.ReferenceProfile, url: str, since: dt.datetime, now: dt.datetime, source: str
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


def reference_path(project: Project, given: Path | None) -> Path:
    return given if given is not None else project.root / project.specs["monitoring"].reference.file


def run(args: argparse.Namespace) -> int:
    from ..governance.gate import parse_now

    root = args.project.resolve() if args.project else find_root()
    project = load_project(root, check_data=args.save_reference)
    path = reference_path(project, args.reference)
    shown = str(args.reference) if args.reference else project.specs["monitoring"].reference.file
    if args.save_reference:
        from ..training import chain
        from ..training.runs import resolve_run

        run_dir = resolve_run(root, args.run)
        chain.verify_run(run_dir, root, steps=("train",))  # the model is the one train wrote
        profile = ref.build(project, run_dir)
        ref.save(profile, path)
        print(f"wrote the reference profile of run {profile.run_id} to {shown}")
        return 0
    now = parse_now(args.now)
    since = parse_since(args.since, now, project.specs["monitoring"].window.days)
    profile = ref.load(path, shown)
    report = measure(project, profile, logs_url(project, args.logs), since, now, shown)
    out = args.out if args.out is not None else root / OUT
    from .report import write_report

    write_report(out, report)
    atomic_write_text(out / DRIFT, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(console(report))
    print(f"wrote {DRIFT}, {REPORT} and plots in {out}")
    return 0


def console(report: dict) -> str:
    """Each check on one line, then where the unreadable lines are."""
    p, lines = report["predictions"], report["lines"]
    out = [
        f"drift of {p['count']} predictions since {report['since']} (reference: run {report['reference']['run_id']})"
    ]
    for name, c in report["checks"].items():
        state = {True: "EXCEEDED", False: "ok", None: "n/a"}[c["exceeded"]]
        value = "n/a" if c["value"] is None else f"{c['value']:g}"
        out.append(f"  {state:<8} {name:<28} {value} (limit {c['limit']:g})")
    if lines["unreadable"]:
        kinds = ", ".join(f"{n} {k}" for k, n in lines["by_kind"].items() if n)
        out.append(f"  {lines['unreadable']} unreadable lines of {lines['total']} ({kinds}):")
        out += [f"    {x['file']}:{x['line']}: {x['kind']}: {x['detail']}" for x in lines["located"][:5]]
    return "\n".join(out)
