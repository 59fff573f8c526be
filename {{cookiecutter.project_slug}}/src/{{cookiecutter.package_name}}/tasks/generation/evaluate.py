"""``evaluate`` for a text generator: golden cases, text metrics, perplexity, output safety and latency.

Writes ``metrics.json`` (validated against ``schemas/metrics.schema.json``; written last, so its
presence means the evaluation finished) and ``report.md``, which shows every failing golden
output with the assertion it broke. Under greedy decoding (the default) with a fixed seed, the
same run, specs and data give the same ``metrics.json`` apart from ``run_id``, ``latency`` and
the outcome of ``latency`` assertions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ...files import atomic_write_text
from ...specs.project import Project
from .. import Evaluated

METRICS = "metrics.json"
REPORT = "report.md"
#: rows per batch when computing perplexity
PERPLEXITY_BATCH = 8


def evaluate(project: Project, run_dir: Path, record: dict) -> Evaluated:
    """Measure the run in ``run_dir`` and write its metrics and report."""
    prompts = project.specs["prompts"]
    trained = (record.get("prompts") or {}).get("version")
    if trained not in (None, prompts.version):
        run_id = record["run_id"]
        print(
            f"note: run {run_id} was trained with prompts {trained}, evaluated with {prompts.version}", file=sys.stderr
        )
    metrics = measure(project, run_dir, record)

    from . import report
    from .metrics_schema import GenerationMetrics

    GenerationMetrics.model_validate(metrics)  # the contract the gate reads; a mismatch is a bug here
    atomic_write_text(run_dir / REPORT, report.render(metrics, record, project.model.name))
    atomic_write_text(run_dir / METRICS, json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    primary = metrics["primary_metric"]
    value = metrics["golden"]["pass_rate"] if primary == "golden_pass_rate" else metrics["test"][primary]
    line = f"{primary} {value}"
    if metrics["golden"]:
        line += f", golden {metrics['golden']['passed']}/{metrics['golden']['cases']}"
    return Evaluated([REPORT, METRICS], line)


def measure(project: Project, run_dir: Path, record: dict) -> dict:
    """Every number of ``metrics.json`` for the run in ``run_dir``."""
    from ...training.lineage import describe_device
    from . import measure as measuring
    from .data import load_splits
    from .modeling import load_generator
    from .timed import Decoding

    spec, prompts = project.evaluation, project.specs["prompts"]
    wanted = [spec.split] + (["golden"] if spec.golden else [])
    splits = load_splits(project, wanted)
    for split in splits.values():
        if record["data"].get(split.name) not in (None, split.sha256):
            print(f"note: the {split.name} data changed since run {record['run_id']} was trained", file=sys.stderr)
    model, tokenizer = load_generator(run_dir / record.get("model_dir", "model"))

    pairs = splits[spec.split].head(spec.text_metrics.max_rows)
    rows = [
        measuring.Row(pairs.ids[i], pairs.messages[i], pairs.replies[i], {c: pairs.slices[c][i] for c in spec.slices})
        for i in range(len(pairs))
    ]
    decoding = Decoding(
        max_new_tokens=spec.decoding.max_new_tokens,
        sample=spec.decoding.strategy == "sample",
        temperature=spec.decoding.temperature,
        top_p=spec.decoding.top_p,
        seed=spec.decoding.seed,
    )
    safety = spec.safety
    checks = measuring.Checks(safety.checks, project.data.pii.regions, safety.refusal_markers) if safety else None
    want_perplexity = spec.text_metrics.perplexity and len(pairs) > 0
    result = measuring.measure(
        model,
        tokenizer,
        rows=rows,
        metrics=spec.text_metrics.metrics,
        decoding=decoding,
        perplexity_batches=perplexity_batches(project, record, tokenizer, pairs) if want_perplexity else None,
        cases=golden_cases(project, splits["golden"]) if spec.golden else [],
        min_pass_rate=spec.golden.min_pass_rate if spec.golden else 1.0,
        checks=checks,
        timed_prompts=pairs.messages[: spec.latency.prompts],
        timed_tokens=spec.latency.max_new_tokens,
        device=describe_device(model.device),
    )
    floors = {
        metric: {"floor": floor, "value": result["test"][metric], "met": result["test"][metric] >= floor}
        for metric, floor in spec.text_metrics.floors.items()
    }
    return {
        "run_id": record["run_id"],
        "task": "text-generation",
        "split": spec.split,
        "primary_metric": spec.primary_metric,
        "prompt_version": prompts.version,
        **result,
        "text_floors": floors,
        "below_floors": [metric for metric, floor in floors.items() if not floor["met"]],
    }


def golden_cases(project: Project, golden) -> list:
    """The evaluation spec's golden cases with their rows' messages, defaults added and repeats resolved."""
    from .measure import GoldenCase

    spec = project.evaluation.golden
    index = {row_id: i for i, row_id in enumerate(golden.ids)}
    out = []
    for case in spec.cases:
        chat = golden.messages[index[case.id]]
        assertions = [a.model_dump(mode="json", by_alias=True) for a in [*spec.defaults, *case.assertions]]
        repeats, fraction = case.repeat or spec.repeat, case.min_pass_fraction or spec.min_pass_fraction
        out.append(GoldenCase(case.id, chat, chat[-1]["content"], assertions, repeats, fraction))
    return out


def perplexity_batches(project: Project, record: dict, tokenizer, pairs) -> list[dict]:
    """Padded batches of the split's rows encoded as in training (prompt, then the reference reply and the
    chat template's end marker; only the reply is scored), cut at the run's ``max_length``."""
    from .training import collator, encode

    hyper = (record.get("training") or {}).get("hyperparameters") or {}
    max_length = hyper.get("max_length", project.model.training.max_length)
    rows = [encode(tokenizer, m, r, max_length) for m, r in zip(pairs.messages, pairs.replies, strict=True)]
    pad = collator(tokenizer)
    return [pad(rows[start : start + PERPLEXITY_BATCH]) for start in range(0, len(rows), PERPLEXITY_BATCH)]
