"""Golden assertions on generated text, named and behaving as promptfoo's deterministic assertions.

An assertion has a ``type`` and a ``value`` (``threshold`` for ``latency``, in milliseconds):

- ``equals``: the output is exactly ``value``.
- ``contains`` / ``icontains``: the output holds ``value`` (``icontains`` ignoring case).
- ``contains-any`` / ``contains-all``: the output holds at least one / every string of ``value``.
- ``starts-with``: the output begins with ``value``.
- ``regex``: Python's ``re.search`` finds ``value`` in the output.
- ``is-json``: the output parses as JSON and, when ``value`` is a JSON Schema, validates against it.
- ``max-length``: the output has at most ``value`` characters (promptfoo writes this as a
  ``javascript`` assertion, ``output.length <= N``; ``export promptfoo`` does so).
- ``latency``: the response took at most ``threshold`` milliseconds.
- ``not-<type>``: the opposite of ``<type>`` (as promptfoo reads any ``not-`` prefix), e.g.
  ``not-contains``.

A case's sample passes when every assertion passes. A case is generated ``repeats`` times (more
than once only makes sense under sampled decoding) and passes when the share of passing samples is
at least its ``min_pass_fraction``; the suite passes when the share of passing cases reaches its
``min_pass_rate``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

#: the assertion types understood (each may also be prefixed ``not-``)
TYPES = (
    "equals",
    "contains",
    "icontains",
    "contains-any",
    "contains-all",
    "starts-with",
    "regex",
    "is-json",
    "max-length",
    "latency",
)
NEGATION = "not-"


class Outcome(NamedTuple):
    """The verdict of one assertion on one output: passed or not, and why."""

    passed: bool
    reason: str


def base_type(kind: str) -> tuple[str, bool]:
    """``(type without its not- prefix, negated)``; raises ``ValueError`` for an unknown type."""
    negated = kind.startswith(NEGATION)
    base = kind[len(NEGATION) :] if negated else kind
    if base not in TYPES:
        raise ValueError(f"unknown assertion type {kind!r}; known: {', '.join(TYPES)} (each also as not-<type>)")
    return base, negated


def check(
    kind: str, output: str, value: Any = None, threshold: float | None = None, latency_ms: float | None = None
) -> Outcome:
    """Apply the assertion ``kind`` (see the module docstring) to ``output``."""
    base, negated = base_type(kind)
    passed, reason = _CHECKS[base](output, value, threshold, latency_ms)
    if negated:
        return Outcome(not passed, f"expected the opposite: {reason}" if passed else f"as expected: {reason}")
    return Outcome(passed, reason)


def _equals(output, value, _threshold, _latency):
    if output == value:
        return True, "output equals the expected text"
    return False, f"output is not exactly {value!r}"


def _contains(output, value, _threshold, _latency):
    if value in output:
        return True, f"output contains {value!r}"
    return False, f"output does not contain {value!r}"


def _icontains(output, value, _threshold, _latency):
    if value.casefold() in output.casefold():
        return True, f"output contains {value!r} (any case)"
    return False, f"output does not contain {value!r} (any case)"


def _contains_any(output, value, _threshold, _latency):
    found = [v for v in value if v in output]
    if found:
        return True, f"output contains {found[0]!r}"
    return False, f"output contains none of {list(value)!r}"


def _contains_all(output, value, _threshold, _latency):
    missing = [v for v in value if v not in output]
    if not missing:
        return True, f"output contains all of {list(value)!r}"
    return False, f"output lacks {missing!r}"


def _starts_with(output, value, _threshold, _latency):
    if output.startswith(value):
        return True, f"output starts with {value!r}"
    return False, f"output does not start with {value!r}"


def _regex(output, value, _threshold, _latency):
    found = re.search(value, output)
    if found:
        return True, f"/{value}/ matches {found.group()!r}"
    return False, f"/{value}/ does not match the output"


def _is_json(output, value, _threshold, _latency):
    try:
        document = json.loads(output)
    except ValueError as err:
        return False, f"output is not JSON ({err.args[0]})"
    if value is None:
        return True, "output is JSON"
    import jsonschema

    validator_class = jsonschema.validators.validator_for(value)
    error = jsonschema.exceptions.best_match(validator_class(value).iter_errors(document))
    if error is None:
        return True, "output is JSON matching the schema"
    where = "/".join(str(p) for p in error.absolute_path) or "the document"
    return False, f"output is JSON but {where} breaks the schema: {error.message}"


def _max_length(output, value, _threshold, _latency):
    if len(output) <= value:
        return True, f"output has {len(output)} characters, at most {value}"
    return False, f"output has {len(output)} characters, more than {value}"


def _latency(_output, _value, threshold, latency_ms):
    if latency_ms is None:
        return False, "the response time was not measured"
    if latency_ms <= threshold:
        return True, f"responded in {latency_ms:.0f} ms, within {threshold:g} ms"
    return False, f"responded in {latency_ms:.0f} ms, more than {threshold:g} ms"


_CHECKS = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _icontains,
    "contains-any": _contains_any,
    "contains-all": _contains_all,
    "starts-with": _starts_with,
    "regex": _regex,
    "is-json": _is_json,
    "max-length": _max_length,
    "latency": _latency,
}


class Sample(NamedTuple):
    """One generated output of a case and how long it took (``None`` when not timed)."""

    output: str
    latency_ms: float | None = None


def judge_case(
    case_id: str, prompt: str, samples: Sequence[Sample], assertions: Sequence[dict], min_pass_fraction: float
) -> dict:
    """The result of one golden case: every assertion on every sample, and whether enough samples passed.

    ``assertions`` are mappings with ``type`` and, as the type needs, ``value`` and ``threshold``.
    ``failures`` lists each failing (sample, assertion) with the output, so a report can show it.
    """
    failures = []
    passed_samples = 0
    for n, sample in enumerate(samples):
        ok = True
        for assertion in assertions:
            outcome = check(
                assertion["type"],
                sample.output,
                assertion.get("value"),
                assertion.get("threshold"),
                sample.latency_ms,
            )
            if not outcome.passed:
                ok = False
                failures.append(
                    {"sample": n, "assertion": assertion["type"], "reason": outcome.reason, "output": sample.output}
                )
        passed_samples += ok
    fraction = round(passed_samples / len(samples), 6)
    return {
        "id": case_id,
        "prompt": prompt,
        "repeats": len(samples),
        "passed_samples": passed_samples,
        "pass_fraction": fraction,
        "min_pass_fraction": min_pass_fraction,
        "passed": fraction >= min_pass_fraction,
        "outputs": [s.output for s in samples],
        "failures": failures,
    }


def summarize(cases: Sequence[dict], min_pass_rate: float) -> dict:
    """The suite's result from ``judge_case`` results: cases, passes, pass rate, and the ids of the failing cases."""
    passed = sum(case["passed"] for case in cases)
    rate = round(passed / len(cases), 6) if cases else 0.0
    return {
        "cases": len(cases),
        "passed": passed,
        "pass_rate": rate,
        "min_pass_rate": min_pass_rate,
        "suite_passed": bool(cases) and rate >= min_pass_rate,
        "results": list(cases),
        "failures": [case["id"] for case in cases if not case["passed"]],
    }
