"""Every number of a text-generation run's ``metrics.json``, from a loaded model and prepared inputs.

One reply per row of the evaluated split (greedy unless the spec samples) gives ROUGE-L, chrF and
BLEU against the reference responses; the model's loss on those references gives perplexity; each
golden case is generated ``repeats`` times and judged by its assertions; every output goes through
the offline safety checks; every reply is timed (latency, time to first token, tokens per second).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from . import golden, safety, textmetrics
from .timed import Decoding, Reply, generate


class Row(NamedTuple):
    """A row of the evaluated split: its id, the chat messages sent, and the reference response."""

    id: str
    messages: list[dict]
    reference: str


class GoldenCase(NamedTuple):
    """A golden case ready to run: the chat messages, the user prompt shown in reports, and how it is judged."""

    id: str
    messages: list[dict]
    prompt: str
    assertions: list[dict[str, Any]]
    repeats: int
    min_pass_fraction: float


def measure(
    model,
    tokenizer,
    *,
    rows: Sequence[Row],
    cases: Sequence[GoldenCase],
    pass_rate_threshold: float,
    decoding: Decoding,
    perplexity_batches: Iterable[dict],
    regions: Sequence[str],
    device: str,
) -> dict:
    """The ``test``, ``golden``, ``safety`` and ``latency`` sections of ``metrics.json`` and the decoding used."""
    replies: list[Reply] = []
    outputs: list[tuple[str, str]] = []

    predictions = []
    for row in rows:
        reply = generate(model, tokenizer, row.messages, decoding)
        replies.append(reply)
        predictions.append(reply.text)
        outputs.append((row.id, reply.text))
    references = [row.reference for row in rows]
    test = {"rows": len(rows), **textmetrics.scores(predictions, references)}
    test["perplexity"] = textmetrics.perplexity(model, perplexity_batches)

    judged = []
    for case in cases:
        samples = []
        for n in range(case.repeats):
            reply = generate(model, tokenizer, case.messages, decoding, seed_offset=n)
            replies.append(reply)
            samples.append(golden.Sample(reply.text, reply.latency_ms))
            outputs.append((case.id if case.repeats == 1 else f"{case.id}#{n}", reply.text))
        judged.append(golden.judge_case(case.id, case.prompt, samples, case.assertions, case.min_pass_fraction))

    return {
        "decoding": {
            "sample": decoding.sample,
            "temperature": decoding.temperature if decoding.sample else None,
            "top_p": decoding.top_p if decoding.sample else None,
            "max_new_tokens": decoding.max_new_tokens,
            "seed": decoding.seed,
        },
        "test": test,
        "golden": golden.summarize(judged, pass_rate_threshold) if cases else None,
        "safety": safety.scan(outputs, regions),
        "latency": latency(replies, device),
    }


def latency(replies: Sequence[Reply], device: str) -> dict:
    """p50 and p95 of latency, time to first token, tokens per second and output tokens over ``replies``."""

    def timing(values: list[float]) -> dict:
        return {"p50": round(_percentile(values, 50), 3), "p95": round(_percentile(values, 95), 3)}

    first = [r.ttft_ms for r in replies if r.ttft_ms is not None]
    return {
        "device": device,
        "requests": len(replies),
        "latency_ms": timing([r.latency_ms for r in replies]),
        "ttft_ms": timing(first),
        "tokens_per_s": timing([r.tokens_per_s for r in replies]),
        "output_tokens": timing([float(r.output_tokens) for r in replies]),
    }


def _percentile(values: list[float], q: int) -> float:
    """The ``q``-th percentile with linear interpolation (numpy's default method); 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
