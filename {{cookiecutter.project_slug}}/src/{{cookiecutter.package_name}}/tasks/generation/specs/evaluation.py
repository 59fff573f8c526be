"""The evaluation spec of a generation project: golden cases with assertions, text metrics, safety, latency.

Assertions carry promptfoo's names and meanings (``equals``, ``contains``, ``icontains``,
``contains-any``, ``contains-all``, ``not-contains``, ``regex``, ``starts-with``, ``is-json`` with an
optional JSON Schema as ``value``, ``latency`` with a ``threshold`` in milliseconds) plus
``max-length`` (characters), so ``export promptfoo`` writes the same golden set for promptfoo.
Decoding is greedy with a fixed seed unless ``decoding.strategy`` is ``sample``; then a case may
repeat and pass when at least ``min_pass_fraction`` of its repeats pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field

from ....specs.common import Finding, SpecModel, UniqueStrList
from ....specs.evaluation import API_VERSION

TextMetric = Literal["rouge_l", "chrf", "bleu"]
SafetyCheck = Literal["pii", "profanity", "refusal"]


class _Text(SpecModel):
    value: str = Field(min_length=1, description="The text the output is compared with.")


class Equals(_Text):
    """The output is exactly `value`."""

    type: Literal["equals"] = Field(description="Assertion kind (promptfoo name).")


class Contains(_Text):
    """The output contains `value` (case-sensitive)."""

    type: Literal["contains"] = Field(description="Assertion kind (promptfoo name).")


class IContains(_Text):
    """The output contains `value`, ignoring case."""

    type: Literal["icontains"] = Field(description="Assertion kind (promptfoo name).")


class NotContains(_Text):
    """The output does not contain `value` (case-sensitive)."""

    type: Literal["not-contains"] = Field(description="Assertion kind (promptfoo name).")


class StartsWith(_Text):
    """The output starts with `value`."""

    type: Literal["starts-with"] = Field(description="Assertion kind (promptfoo name).")


class Regex(SpecModel):
    """The output matches the regular expression `value` (Python `re.search`)."""

    type: Literal["regex"] = Field(description="Assertion kind (promptfoo name).")
    value: str = Field(min_length=1, description="A regular expression searched for in the output.")


class _Texts(SpecModel):
    value: UniqueStrList = Field(min_length=1, description="The texts the output is compared with.")


class ContainsAny(_Texts):
    """The output contains at least one of `value` (case-sensitive)."""

    type: Literal["contains-any"] = Field(description="Assertion kind (promptfoo name).")


class ContainsAll(_Texts):
    """The output contains every one of `value` (case-sensitive)."""

    type: Literal["contains-all"] = Field(description="Assertion kind (promptfoo name).")


class IsJson(SpecModel):
    """The output is a JSON document, valid against `value` when a JSON Schema is given."""

    type: Literal["is-json"] = Field(description="Assertion kind (promptfoo name).")
    value: dict[str, Any] | None = Field(default=None, description="JSON Schema the document must satisfy.")


class MaxLength(SpecModel):
    """The output has at most `value` characters."""

    type: Literal["max-length"] = Field(description="Assertion kind.")
    value: int = Field(ge=1, le=1_000_000, description="Most characters the output may have.")


class Latency(SpecModel):
    """Generating the output took at most `threshold` milliseconds."""

    type: Literal["latency"] = Field(description="Assertion kind (promptfoo name).")
    threshold: float = Field(gt=0, le=3_600_000, description="Longest time to the full output, in milliseconds.")


Assertion = Annotated[
    Equals
    | Contains
    | IContains
    | NotContains
    | StartsWith
    | Regex
    | ContainsAny
    | ContainsAll
    | IsJson
    | MaxLength
    | Latency,
    Field(discriminator="type"),
]


class Decoding(SpecModel):
    """How outputs are generated for evaluation: greedy by default, so one seed gives one output."""

    strategy: Literal["greedy", "sample"] = Field(default="greedy", description="greedy or sample.")
    seed: int = Field(default=0, ge=0, description="Seed set before every generation.")
    temperature: float = Field(default=1.0, gt=0, le=2, description="Sampling temperature (sample only).")
    top_p: float = Field(default=1.0, gt=0, le=1, description="Nucleus sampling mass (sample only).")
    max_new_tokens: int = Field(ge=1, le=32_768, description="Most tokens generated per output.")


class GoldenCase(SpecModel):
    """One golden row and what its output must satisfy."""

    id: str = Field(min_length=1, description="Id of the row in the golden split (its `columns.id` value).")
    description: str | None = Field(default=None, min_length=1, description="What the case checks, for reports.")
    assertions: list[Assertion] = Field(
        alias="assert", min_length=1, description="Every assertion must hold for a repeat to pass."
    )
    repeat: int | None = Field(
        default=None, ge=1, le=100, description="Generations of this case; golden.repeat when absent."
    )
    min_pass_fraction: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Share of the repeats that must pass; golden.min_pass_fraction when absent.",
    )


class GenerationGolden(SpecModel):
    """Golden cases: rows of the golden split with the assertions their outputs must satisfy."""

    split: Literal["golden"] = Field(default="golden", description="Data split holding the golden rows.")
    repeat: int = Field(default=1, ge=1, le=100, description="Generations per case (above 1 needs sampled decoding).")
    min_pass_fraction: float = Field(
        default=1.0, gt=0, le=1, description="Share of a case's repeats that must pass for the case to pass."
    )
    min_pass_rate: float = Field(
        default=1.0, ge=0, le=1, description="Share of the cases that must pass for the suite to pass."
    )
    defaults: list[Assertion] = Field(
        default_factory=list, description="Assertions every case also gets (promptfoo's defaultTest)."
    )
    cases: list[GoldenCase] = Field(min_length=1, description="The golden cases.")


class TextMetrics(SpecModel):
    """Reference-based metrics of the outputs against the reference replies, and their floors."""

    metrics: list[TextMetric] = Field(min_length=1, description="rouge_l (rouge-score), chrf and bleu (sacrebleu).")
    floors: dict[TextMetric, float] = Field(
        default_factory=dict, description="Lowest acceptable score per metric (0-1 for rouge_l, 0-100 for chrf, bleu)."
    )
    perplexity: bool = Field(default=True, description="Also report the perplexity of the reference replies.")
    max_rows: int | None = Field(default=None, ge=1, description="Generate for the first N rows of the split only.")


class Safety(SpecModel):
    """Checks of the generated outputs: personal data, profanity, refusals."""

    checks: list[SafetyCheck] = Field(min_length=1, description="pii (the data scan's detectors), profanity, refusal.")
    refusal_markers: UniqueStrList = Field(
        default_factory=lambda: ["I can't help", "I cannot help", "I'm unable to", "I am unable to", "As an AI"],
        description="Phrases that mark an output as a refusal (case-insensitive).",
    )


class GenerationLatency(SpecModel):
    """Timing of in-process generation on the current device: latency, time to first token, tokens/s."""

    prompts: int = Field(default=8, ge=1, le=10_000, description="Prompts of the split timed.")
    max_new_tokens: int = Field(default=32, ge=1, le=32_768, description="Tokens generated per timed prompt.")


class GenerationEvaluationSpec(SpecModel):
    """How a trained generator is judged before the policy gate reads the numbers."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["EvaluationSpec"] = Field(description="Which spec this file is.")
    split: Literal["test", "validation"] = Field(description="Split the text metrics and safety checks come from.")
    primary_metric: Literal["golden_pass_rate", "rouge_l", "chrf", "bleu"] = Field(
        description="The metric compared against production."
    )
    decoding: Decoding
    golden: GenerationGolden | None = Field(default=None, description="Golden cases; omit to skip.")
    text_metrics: TextMetrics
    safety: Safety | None = Field(default=None, description="Safety checks of the outputs; omit to skip.")
    slices: UniqueStrList = Field(default_factory=list, description="Slice columns (from the data spec) to report by.")
    latency: GenerationLatency = Field(default_factory=GenerationLatency, description="Timing of generation.")

    def findings(self) -> Iterator[Finding]:
        golden = self.golden
        if self.primary_metric == "golden_pass_rate" and golden is None:
            yield ("primary_metric",), "golden_pass_rate needs `golden` cases"
        elif self.primary_metric != "golden_pass_rate" and self.primary_metric not in self.text_metrics.metrics:
            yield ("primary_metric",), f"{self.primary_metric!r} must also be listed in `text_metrics.metrics`"
        for metric in self.text_metrics.floors:
            if metric not in self.text_metrics.metrics:
                yield ("text_metrics", "floors", metric), f"{metric!r} has a floor but is not in `metrics`"
        if golden is None:
            return
        sampled = self.decoding.strategy == "sample"
        if golden.repeat > 1 and not sampled:
            yield ("golden", "repeat"), "greedy decoding repeats the same output: use decoding.strategy sample"
        seen: dict[str, int] = {}
        for i, case in enumerate(golden.cases):
            if case.id in seen:
                yield ("golden", "cases", i, "id"), f"case {case.id!r} is defined twice (first as item {seen[case.id]})"
            seen.setdefault(case.id, i)
            if (case.repeat or 1) > 1 and not sampled:
                yield ("golden", "cases", i, "repeat"), "greedy decoding repeats the same output: use sampling"
            for j, assertion in enumerate(case.assertions):
                yield from _assertion_findings(assertion, ("golden", "cases", i, "assert", j))
        for j, assertion in enumerate(golden.defaults):
            yield from _assertion_findings(assertion, ("golden", "defaults", j))


def _assertion_findings(assertion, loc: tuple) -> Iterator[Finding]:
    """A regular expression that does not compile; a JSON Schema that is not one."""
    if isinstance(assertion, Regex):
        try:
            re.compile(assertion.value)
        except re.error as err:
            yield (*loc, "value"), f"not a regular expression: {err}"
    if isinstance(assertion, IsJson) and assertion.value is not None:
        try:
            import jsonschema
        except ImportError:  # checked where the gate's extra is installed
            return
        try:
            jsonschema.validators.validator_for(assertion.value).check_schema(assertion.value)
        except jsonschema.SchemaError as err:
            yield (*loc, "value"), f"not a JSON Schema: {err.message}"
