"""``evaluate`` for a classifier: headline metrics on the test split, per-slice metrics and their gaps,
the golden set (every row exact), seeded robustness perturbations and latency per batch size.

Writes ``metrics.json`` (validated against ``schemas/metrics.schema.json``; written last, so its
presence means the evaluation finished), ``report.md`` and PNG plots. Apart from ``run_id`` and
``latency``, the same run, specs and data always give the same ``metrics.json``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from ...errors import ProjectError
from ...files import atomic_write_text
from ...specs.project import Project
from .. import Evaluated

METRICS = "metrics.json"
REPORT = "report.md"


def evaluate(project: Project, run_dir: Path, record: dict) -> Evaluated:
    """Measure the run in ``run_dir`` and write its metrics, report and plots."""
    if record["labels"] != list(project.data.labels):
        raise ProjectError(
            f"run {record['run_id']} was trained on labels {record['labels']}, specs/data.yaml now has "
            f"{list(project.data.labels)}; train a new run"
        )
    metrics = measure(project, run_dir, record)

    from ...evaluation import plots, report
    from ...evaluation.metrics_schema import MetricsReport

    MetricsReport.model_validate(metrics)  # the contract the gate reads; a mismatch is a bug here
    images = plots.write_all(run_dir, metrics)
    atomic_write_text(run_dir / REPORT, report.render(metrics, record, project, images))
    atomic_write_text(run_dir / METRICS, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    test, golden = metrics["test"], metrics["golden"]
    line = f"{metrics['primary_metric']} {test[metrics['primary_metric']]}, accuracy {test['accuracy']}"
    if golden:
        line += f", golden {golden['passed']}/{golden['rows']}"
    return Evaluated([*images.values(), REPORT, METRICS], line)


def measure(project: Project, run_dir: Path, record: dict) -> dict:
    """Every number of ``metrics.json`` for the run in ``run_dir``."""
    from ...evaluation import metrics
    from ...evaluation.inference import load_classifier, predict_proba
    from ...evaluation.perturb import perturb
    from ...training import data
    from ...training.lineage import describe_device

    spec = project.evaluation
    names = list(project.data.labels)
    wanted = [spec.split] + (["golden"] if spec.golden else [])
    splits = data.load_splits(project, wanted)
    for split in splits.values():
        if record["data"].get(split.name) not in (None, split.sha256):
            print(f"note: the {split.name} data changed since run {record['run_id']} was trained", file=sys.stderr)
    rows = (record.get("training") or {}).get("max_eval_rows")
    test = splits[spec.split].head(rows)
    model, tokenizer = load_classifier(run_dir / record["model_dir"])
    hyper = (record.get("training") or {}).get("hyperparameters") or {}
    batch = hyper.get("eval_batch_size", project.model.training.eval_batch_size)

    def predict(texts):
        probs = predict_proba(model, tokenizer, texts, batch)
        return probs.argmax(axis=1).tolist(), probs.max(axis=1).tolist()

    predicted, confidence = predict(test.texts)
    every = range(len(names))
    headline = metrics.summary(test.labels, predicted, confidence, every, spec.calibration.bins)
    headline["per_class"] = metrics.per_class(test.labels, predicted, names)
    headline["confusion_matrix"] = metrics.confusion(test.labels, predicted, names)

    slices, gaps = by_slice(test, predicted, confidence, spec)
    golden = None
    if spec.golden:
        golden = golden_result(splits["golden"], predict(splits["golden"].texts)[0], names)

    robustness = {}
    for item in spec.robustness.perturbations if spec.robustness else []:
        changed, _ = predict(perturb(test.texts, item.type, item.rate, spec.robustness.seed))
        score = metrics.macro_f1(test.labels, changed, every)
        robustness[item.type] = {"macro_f1": score, "drop": round(headline["macro_f1"] - score, 6)}

    return {
        "run_id": record["run_id"],
        "split": spec.split,
        "primary_metric": spec.primary_metric,
        "test": headline,
        "slices": slices,
        "slice_gaps": gaps,
        "max_slice_gap": max((g["gap"] for g in gaps.values()), default=None),
        "golden": golden,
        "robustness": robustness,
        "max_robustness_drop": max((r["drop"] for r in robustness.values()), default=None),
        "latency": {
            "device": describe_device(next(model.parameters()).device),
            "batches": latency(model, tokenizer, test.texts, spec.latency.batch_sizes, spec.latency.repeats),
        },
    }


def by_slice(split, predicted: list[int], confidence: list[float], spec) -> tuple[dict, dict]:
    """``(slices, slice_gaps)``: the spec's metrics per value of each slice column, and the primary metric's gap."""
    from ...evaluation import metrics

    slices, gaps = {}, {}
    for column in spec.slices:
        values = split.slices[column]
        slices[column] = {}
        for value in sorted(set(values)):
            members = [i for i, v in enumerate(values) if v == value]
            slices[column][value] = metrics.slice_summary(
                [split.labels[i] for i in members],
                [predicted[i] for i in members],
                [confidence[i] for i in members],
                spec.metrics,
                spec.calibration.bins,
            )
        primary = {value: scores[spec.primary_metric] for value, scores in slices[column].items()}
        gaps[column] = metrics.gap(primary, spec.primary_metric)
    return slices, gaps


def golden_result(split, predicted: list[int], names: list[str]) -> dict:
    """Rows, passes, pass rate and every failure of the golden split (each row must be exact)."""
    failures = [
        {"id": split.ids[i], "text": split.texts[i], "label": names[split.labels[i]], "predicted": names[p]}
        for i, p in enumerate(predicted)
        if p != split.labels[i]
    ]
    passed = len(split) - len(failures)
    return {"rows": len(split), "passed": passed, "pass_rate": round(passed / len(split), 6), "failures": failures}


def latency(model, tokenizer, texts: list[str], batch_sizes: list[int], repeats: int) -> dict:
    """p50 and p95 wall time (ms) of tokenizing and classifying one batch, per batch size.

    Batches cycle through ``texts``; one untimed batch per size warms up first.
    """
    from ...evaluation.inference import predict_proba

    out = {}
    for size in batch_sizes:
        batch = [texts[i % len(texts)] for i in range(size)]
        predict_proba(model, tokenizer, batch, size)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            predict_proba(model, tokenizer, batch, size)  # returns host memory, so a GPU has finished
            times.append((time.perf_counter() - start) * 1000)
        out[str(size)] = {"p50_ms": round(_percentile(times, 50), 3), "p95_ms": round(_percentile(times, 95), 3)}
    return out


def _percentile(values: list[float], q: int) -> float:
    """The ``q``-th percentile with linear interpolation (numpy's default method)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
