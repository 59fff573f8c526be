"""The shape of a text-generation run's ``metrics.json``, which ``evaluate`` writes and the gate reads.

Published as the project's ``schemas/metrics.schema.json``; ``evaluate`` validates every file it
writes against it. Timings live under ``latency`` (and in a golden case's ``latency`` assertion):
under greedy decoding with a fixed seed two evaluations of the same run give the same file apart
from ``run_id`` and those timings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Metric = Literal["golden_pass_rate", "rouge_l", "chrf", "bleu"]
TextMetric = Literal["rouge_l", "chrf", "bleu"]


def unit(description: str):
    """A field holding a share between 0 and 1."""
    return Field(ge=0, le=1, description=description)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Decoding(Strict):
    """How the outputs were generated (specs/evaluation.yaml decoding)."""

    strategy: Literal["greedy", "sample"] = Field(description="greedy, or sample with temperature and top_p.")
    temperature: float | None = Field(description="Sampling temperature; null under greedy decoding.")
    top_p: float | None = Field(description="Nucleus sampling mass; null under greedy decoding.")
    max_new_tokens: int = Field(ge=1, description="Most tokens generated per output.")
    seed: int = Field(description="Seed of the first sample; repeat n uses seed + n.")


class TextScores(Strict):
    """Reference-based metrics named in specs/evaluation.yaml (the others are absent)."""

    rows: int = Field(ge=0, description="Rows evaluated.")
    rouge_l: float | None = Field(
        default=None, ge=0, le=1, description="Mean ROUGE-L F-measure against the reference reply (Porter stemming)."
    )
    chrf: float | None = Field(default=None, ge=0, le=100, description="sacrebleu's corpus chrF, 0 to 100.")
    bleu: float | None = Field(default=None, ge=0, le=100, description="sacrebleu's corpus BLEU, 0 to 100.")


class SplitMetrics(TextScores):
    """Text metrics of one reply per row of the evaluated split, and perplexity of its reference replies."""

    perplexity: float | None = Field(
        default=None, ge=1, description="exp(mean negative log-likelihood) of the reference replies; lower is better."
    )


class Floor(Strict):
    """A text metric against its floor in specs/evaluation.yaml."""

    floor: float = Field(description="The lowest acceptable value.")
    value: float = Field(description="The run's value.")
    met: bool = Field(description="value >= floor.")


class AssertionFailure(Strict):
    """One assertion that failed on one sample."""

    sample: int = Field(ge=0, description="Which repeat (0 first).")
    assertion: str = Field(description="The assertion's type, e.g. icontains.")
    reason: str = Field(description="Why it failed.")
    output: str = Field(description="The generated text it failed on.")


class GoldenCase(Strict):
    """A golden case: every sample, and whether enough of them passed every assertion."""

    id: str = Field(description="The case's id.")
    prompt: str = Field(description="The user message the template rendered.")
    repeats: int = Field(ge=1, description="Samples generated.")
    passed_samples: int = Field(ge=0, description="Samples that passed every assertion.")
    pass_fraction: float = unit("passed_samples / repeats.")
    min_pass_fraction: float = unit("The share of samples that must pass.")
    passed: bool = Field(description="pass_fraction >= min_pass_fraction.")
    outputs: list[str] = Field(description="Every sample's text.")
    failures: list[AssertionFailure] = Field(description="Each failing assertion with the output it failed on.")


class Golden(Strict):
    """The golden suite: cases with promptfoo-named assertions."""

    cases: int = Field(ge=0, description="Cases evaluated.")
    passed: int = Field(ge=0, description="Cases that passed.")
    pass_rate: float = unit("passed / cases.")
    min_pass_rate: float = unit("The share of cases that must pass (specs/evaluation.yaml golden.min_pass_rate).")
    suite_passed: bool = Field(description="pass_rate >= min_pass_rate.")
    results: list[GoldenCase] = Field(description="Every case.")
    failures: list[str] = Field(description="Ids of the cases that did not pass (their outputs are in `results`).")


class Finding(Strict):
    """How many outputs a check flagged, and a few of them."""

    outputs: int = Field(ge=0, description="Outputs flagged.")
    rate: float = unit("Outputs flagged / outputs checked.")
    examples: list[dict[str, Any]] = Field(description="The first flagged outputs (personal data: its kinds only).")


class PiiFinding(Finding):
    kinds: dict[str, int] = Field(description="Findings by kind (email, phone, card_number, ...).")


class ProfanityFinding(Finding):
    threshold: float = unit("Probability from which an output counts as offensive.")


class Safety(Strict):
    """Offline checks of every generated output (evaluated split and golden cases); a check not asked for is null."""

    outputs: int = Field(ge=0, description="Outputs checked.")
    pii: PiiFinding | None = Field(description="Personal data or secrets, by the data scan's detectors.")
    profanity: ProfanityFinding | None = Field(description="Offensive language (alt-profanity-check).")
    refusal: Finding | None = Field(description="Refusals (the evaluation spec's refusal_markers).")


class Timing(Strict):
    """Percentiles of one measure."""

    p50: float = Field(ge=0, description="Median.")
    p95: float = Field(ge=0, description="95th percentile.")


class Latency(Strict):
    """In-process greedy generation of one reply at a time for the first prompts of the split, on the device
    evaluate ran on (specs/evaluation.yaml latency)."""

    device: str = Field(description="The device in words, e.g. 'cpu (2 threads)'.")
    requests: int = Field(ge=0, description="Replies timed.")
    latency_ms: Timing = Field(description="Whole reply, in milliseconds.")
    ttft_ms: Timing = Field(description="Time to the first generated token, in milliseconds.")
    tokens_per_s: Timing = Field(description="Output tokens over the whole reply's time.")
    output_tokens: Timing = Field(description="Tokens generated per reply.")


class GenerationMetrics(Strict):
    """Everything ``evaluate`` measured for one text-generation run."""

    run_id: str = Field(description="The run evaluated (its directory under artifacts/).")
    task: Literal["text-generation"] = Field(description="The task of the run.")
    split: Literal["test", "validation"] = Field(description="The split the headline metrics (`test`) come from.")
    primary_metric: Metric = Field(description="The metric the gate compares with production.")
    prompt_version: str = Field(description="specs/prompts.yaml version the outputs were generated with.")
    decoding: Decoding
    test: SplitMetrics
    text_floors: dict[TextMetric, Floor] = Field(description="Each floor of specs/evaluation.yaml against the run.")
    below_floors: list[TextMetric] = Field(description="Text metrics below their floor; empty when every floor is met.")
    slices: dict[str, dict[str, TextScores]] = Field(description="Slice column -> value -> text metrics.")
    golden: Golden | None = Field(description="Null when the evaluation spec declares no golden cases.")
    safety: Safety | None = Field(description="Null when the evaluation spec asks for no safety checks.")
    latency: Latency
