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

from ...errors import ProjectError
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
    from ...training.data import read_splits
    from ...training.lineage import describe_device
    from . import measure as measuring
    from .timed import Decoding

    spec, data, prompts = project.evaluation, project.data, project.specs["prompts"]
    wanted = [spec.split] + (["golden"] if spec.golden else [])
    splits = read_splits(project, wanted)
    model, tokenizer = load(run_dir / record.get("model_dir", "model"))

    columns = data.columns
    records = splits[spec.split].records[: spec.text_metrics.max_rows]
    rows = [
        measuring.Row(
            _row_id(r, columns.id, spec.split, i),
            messages(prompts, r),
            r[columns.response],
            {c: str(r[c]) for c in spec.slices},
        )
        for i, r in enumerate(records)
    ]
    decoding = Decoding(
        max_new_tokens=spec.decoding.max_new_tokens,
        sample=spec.decoding.strategy == "sample",
        temperature=spec.decoding.temperature,
        top_p=spec.decoding.top_p,
        seed=spec.decoding.seed,
    )
    cases = golden_cases(project, splits["golden"].records) if spec.golden else []
    safety = spec.safety
    checks = measuring.Checks(safety.checks, data.pii.regions, safety.refusal_markers) if safety else None
    batches = perplexity_batches(tokenizer, rows) if spec.text_metrics.perplexity and rows else None
    result = measuring.measure(
        model,
        tokenizer,
        rows=rows,
        metrics=spec.text_metrics.metrics,
        decoding=decoding,
        perplexity_batches=batches,
        cases=cases,
        min_pass_rate=spec.golden.min_pass_rate if spec.golden else 1.0,
        checks=checks,
        timed_prompts=[row.messages for row in rows[: spec.latency.prompts]],
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


def load(model_dir: Path):
    """The merged causal LM and its tokenizer (with its chat template) from a run, in evaluation mode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not (model_dir / "config.json").is_file():
        raise ProjectError(f"{model_dir} holds no model (no config.json); train the run again")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    return model.eval(), tokenizer


def messages(prompts, row: dict) -> list[dict]:
    """The chat messages of a data row: the prompts spec's system message and its default template filled in."""
    user = prompts.templates[prompts.default].format(**{k: v for k, v in row.items() if isinstance(k, str)})
    system = [{"role": "system", "content": prompts.system}] if prompts.system else []
    return [*system, {"role": "user", "content": user}]


def golden_cases(project: Project, records: list[dict]) -> list:
    """The evaluation spec's golden cases with their rows' messages, defaults added and repeats resolved."""
    from .measure import GoldenCase

    golden, id_column = project.evaluation.golden, project.data.columns.id
    by_id = {str(r[id_column]): r for r in records}
    prompts = project.specs["prompts"]
    out = []
    for case in golden.cases:
        chat = messages(prompts, by_id[case.id])
        assertions = [a.model_dump(mode="json", by_alias=True) for a in [*golden.defaults, *case.assertions]]
        out.append(
            GoldenCase(
                case.id,
                chat,
                chat[-1]["content"],
                assertions,
                case.repeat or golden.repeat,
                case.min_pass_fraction or golden.min_pass_fraction,
            )
        )
    return out


def perplexity_batches(tokenizer, rows) -> list[dict]:
    """Padded batches of each row's chat prompt followed by its reference reply and the end-of-sequence
    token; only the reply and that token are scored (the prompt and padding are labelled -100)."""
    import torch

    sequences = []
    for row in rows:
        chat = tokenizer.apply_chat_template(row.messages, add_generation_prompt=True, tokenize=True, return_dict=True)
        prompt = list(chat["input_ids"])
        reply = tokenizer(row.reference, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        sequences.append((prompt + reply, [-100] * len(prompt) + reply))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    batches = []
    for start in range(0, len(sequences), PERPLEXITY_BATCH):
        chunk = sequences[start : start + PERPLEXITY_BATCH]
        width = max(len(ids) for ids, _ in chunk)
        ids = [s + [pad] * (width - len(s)) for s, _ in chunk]
        labels = [lab + [-100] * (width - len(lab)) for _, lab in chunk]
        mask = [[1] * len(s) + [0] * (width - len(s)) for s, _ in chunk]
        batches.append(
            {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask), "labels": torch.tensor(labels)}
        )
    return batches


def _row_id(record: dict, column: str | None, split: str, index: int) -> str:
    return str(record[column]) if column else f"{split}-{index}"
