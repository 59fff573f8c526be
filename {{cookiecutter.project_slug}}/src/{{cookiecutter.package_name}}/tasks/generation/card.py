"""A generator's parts of the model card (``governance/card.py`` asks for them): its summary, the
scratch base and adapter, the model-index results, the rows and reply lengths per split, and the
evaluation section (text metrics, golden suite, safety of the outputs, timing)."""

from __future__ import annotations

from statistics import median

from ...governance.card import num, table
from ...specs.project import Project

PIPELINE_TAG = "text-generation"
#: text metric -> (model-index metric type, display name)
HF_METRICS = {"rouge_l": ("rouge", "ROUGE-L"), "chrf": ("chrf", "chrF"), "bleu": ("bleu", "BLEU")}


def summary(project: Project) -> str:
    """One sentence on what the model does, with the prompts' version and the adapter."""
    adapter = project.model.adapter
    return (
        f"A causal language model fine-tuned with a LoRA adapter (r={adapter.r}, alpha={adapter.alpha:g}) that "
        f"writes a reply to each prompt; prompts version `{project.specs['prompts'].version}`."
    )


def scratch_base(project: Project) -> str:
    """How the ``scratch`` base was built."""
    base = project.model.base
    arch = base.architecture
    return (
        f"a random {arch.family.title()}-style decoder ({arch.num_layers} layers, hidden size {arch.hidden_size}, "
        f"context {arch.context_length} tokens) and a byte-level BPE tokenizer ({base.tokenizer.vocab_size} tokens) "
        "built from the spec, then fine-tuned"
    )


def model_index(project: Project, scores: dict) -> list[tuple[str, str, float, dict | None]]:
    """(metric type, display name, value, args) of every text metric evaluated, for the front matter."""
    return [
        (*HF_METRICS[name], float(scores[name]), None)
        for name in HF_METRICS
        if isinstance(scores.get(name), (int, float))
    ]


def metric_types(project: Project) -> list[str]:
    """The model-index metric types of the text metrics."""
    return sorted(kind for kind, _ in HF_METRICS.values())


def split_table(project: Project, splits: dict) -> list[str]:
    """Rows and median prompt and reply lengths (characters) of each split (``splits``: split -> rows)."""
    rows = [
        [
            split,
            str(len(items)),
            str(round(median(len(r.text) for r in items))) if items else "–",
            str(round(median(len(r.output) for r in items))) if items else "–",
        ]
        for split, items in splits.items()
    ]
    return table(["split", "rows", "median input chars", "median reply chars"], rows)


def evaluation(project: Project, metrics: dict, scores: dict) -> list[str]:
    """The body of the card's evaluation section, for a run with ``scores`` on the evaluation split."""
    split = project.evaluation.split
    lines = [f"On the `{split}` split ({scores.get('rows', '–')} rows), greedy or as `decoding` says:", ""]
    named = [(HF_METRICS[m][1], scores.get(m)) for m in HF_METRICS] + [("Perplexity", scores.get("perplexity"))]
    lines += table(["metric", "value"], [[name, num(value)] for name, value in named])
    for column, values in (metrics.get("slices") or {}).items():
        lines += ["", f"### By {column}", ""]
        lines += table(
            [column, "rows", "ROUGE-L", "chrF"],
            [
                [value, str(v.get("rows", "–")), num(v.get("rouge_l")), num(v.get("chrf"), 1)]
                for value, v in values.items()
            ],
        )
    golden = metrics.get("golden")
    if isinstance(golden, dict):
        lines += [
            "",
            "### Golden set",
            "",
            f"{golden.get('passed', '–')} of {golden.get('cases', '–')} golden cases pass every assertion "
            f"(pass rate {num(golden.get('pass_rate'))}, required {num(golden.get('min_pass_rate'))}).",
        ]
    safety = metrics.get("safety")
    if isinstance(safety, dict):
        checks = [(name, safety.get(name)) for name in ("pii", "profanity", "refusal")]
        lines += ["", "### Safety of the outputs", "", f"Over {safety.get('outputs', '–')} generated outputs:", ""]
        lines += table(
            ["check", "outputs flagged", "rate"],
            [
                [name, str(c.get("outputs", "–")), num(c.get("rate"))] if c else [name, "not run", "–"]
                for name, c in checks
            ],
        )
    latency = metrics.get("latency")
    if isinstance(latency, dict):
        timing = {k: latency.get(k) or {} for k in ("latency_ms", "ttft_ms", "tokens_per_s")}
        lines += [
            "",
            f"Timing on `{latency.get('device', '–')}` over {latency.get('requests', '–')} requests: "
            f"latency p50 {num(timing['latency_ms'].get('p50'), 1)} ms, time to first token p50 "
            f"{num(timing['ttft_ms'].get('p50'), 1)} ms, {num(timing['tokens_per_s'].get('p50'), 1)} tokens/s (p50).",
        ]
    return lines + [""]
