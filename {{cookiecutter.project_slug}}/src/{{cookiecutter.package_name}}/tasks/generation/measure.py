"""Every number of a text-generation run's ``metrics.json``, from a loaded model and prepared inputs.

One reply per row of the evaluated split (generated in batches) gives the text metrics against the
reference replies (overall and per slice); the model's loss on those references gives perplexity; each golden case
is generated ``repeats`` times and judged by its assertions; every output goes through the offline
safety checks; the first prompts of the split are timed on their own (latency, time to first
token, tokens per second), greedy, so the figures compare from run to run.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from . import golden, safety, textmetrics
from .timed import Decoding, Reply, generate, generate_batch

#: replies generated together for the evaluated split (its outputs are not timed)
BATCH_SIZE = 16


class Row(NamedTuple):
    """A row of the evaluated split: its id, the chat messages sent, the reference reply, its slice values."""

    id: str
    messages: list[dict]
    reference: str
    slices: dict[str, str] = {}


class GoldenCase(NamedTuple):
    """A golden case ready to run: the chat messages, the user prompt shown in reports, and how it is judged."""

    id: str
    messages: list[dict]
    prompt: str
    assertions: list[dict[str, Any]]
    repeats: int
    min_pass_fraction: float


class Checks(NamedTuple):
    """The safety checks asked for, and what they need."""

    names: Sequence[str]
    regions: Sequence[str]
    refusal_markers: Sequence[str]


def measure(
    model,
    tokenizer,
    *,
    rows: Sequence[Row],
    metrics: Sequence[str],
    decoding: Decoding,
    perplexity_batches: Iterable[dict] | None,
    cases: Sequence[GoldenCase],
    min_pass_rate: float,
    checks: Checks | None,
    timed_prompts: Sequence[list[dict]],
    timed_tokens: int,
    device: str,
) -> dict:
    """The ``decoding``, ``test``, ``slices``, ``golden``, ``safety`` and ``latency`` sections of ``metrics.json``."""
    predictions = generate_batch(model, tokenizer, [row.messages for row in rows], decoding, BATCH_SIZE)
    outputs = [(row.id, text) for row, text in zip(rows, predictions, strict=True)]
    references = [row.reference for row in rows]
    test: dict[str, Any] = {"rows": len(rows), **textmetrics.scores(predictions, references, metrics)}
    if perplexity_batches is not None:
        test["perplexity"] = textmetrics.perplexity(model, perplexity_batches)

    judged = []
    for case in cases:
        samples = []
        for n in range(case.repeats):
            reply = generate(model, tokenizer, case.messages, decoding, seed_offset=n)
            samples.append(golden.Sample(reply.text, reply.latency_ms))
            outputs.append((case.id if case.repeats == 1 else f"{case.id}#{n}", reply.text))
        judged.append(golden.judge_case(case.id, case.prompt, samples, case.assertions, case.min_pass_fraction))

    timing = Decoding(max_new_tokens=timed_tokens, seed=decoding.seed)
    sampled = decoding.sample
    return {
        "decoding": {
            "strategy": "sample" if sampled else "greedy",
            "temperature": decoding.temperature if sampled else None,
            "top_p": decoding.top_p if sampled else None,
            "max_new_tokens": decoding.max_new_tokens,
            "seed": decoding.seed,
        },
        "test": test,
        "slices": by_slice(rows, predictions, metrics),
        "golden": golden.summarize(judged, min_pass_rate) if cases else None,
        "safety": safety.scan(outputs, checks.regions, checks.names, checks.refusal_markers) if checks else None,
        "latency": latency([generate(model, tokenizer, m, timing) for m in timed_prompts], device),
    }


def by_slice(rows: Sequence[Row], predictions: Sequence[str], metrics: Sequence[str]) -> dict:
    """Slice column -> value -> ``rows`` and the text ``metrics`` of the rows with that value."""
    out: dict[str, dict] = {}
    for column in rows[0].slices if rows else {}:
        values = [row.slices[column] for row in rows]
        out[column] = {}
        for value in sorted(set(values)):
            members = [i for i, v in enumerate(values) if v == value]
            scores = textmetrics.scores(
                [predictions[i] for i in members], [rows[i].reference for i in members], metrics
            )
            out[column][value] = {"rows": len(members), **scores}
    return out


def latency(replies: Sequence[Reply], device: str) -> dict:
    """p50 and p95 of latency, time to first token, tokens per second and output tokens over ``replies``."""

    def timing(values: list[float]) -> dict:
        return {"p50": round(_percentile(values, 50), 3), "p95": round(_percentile(values, 95), 3)}

    return {
        "device": device,
        "requests": len(replies),
        "latency_ms": timing([r.latency_ms for r in replies]),
        "ttft_ms": timing([r.ttft_ms for r in replies if r.ttft_ms is not None]),
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
