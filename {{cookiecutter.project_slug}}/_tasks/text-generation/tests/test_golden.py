"""Golden assertions: each promptfoo-named type passes and fails where promptfoo's would; repeats and the suite."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.tasks.generation.golden import Sample, check, judge_case, summarize

REPLY = 'Thanks for writing in. Your refund for order 1042 is on its way: {"status": "refunded"}'

CASES = [
    # (type, value, threshold, latency_ms, passes)
    ("equals", REPLY, None, None, True),
    ("equals", REPLY + " ", None, None, False),
    ("contains", "refund for order", None, None, True),
    ("contains", "Refund for order", None, None, False),
    ("icontains", "REFUND FOR ORDER", None, None, True),
    ("icontains", "replacement", None, None, False),
    ("contains-any", ["replacement", "refund"], None, None, True),
    ("contains-any", ["replacement", "voucher"], None, None, False),
    ("contains-all", ["refund", "1042"], None, None, True),
    ("contains-all", ["refund", "1043"], None, None, False),
    ("not-contains", "sorry", None, None, True),
    ("not-contains", "refund", None, None, False),
    ("starts-with", "Thanks", None, None, True),
    ("starts-with", "Hello", None, None, False),
    ("regex", r"order \d{4}\b", None, None, True),
    ("regex", r"^order", None, None, False),
    ("max-length", len(REPLY), None, None, True),
    ("max-length", len(REPLY) - 1, None, None, False),
    ("latency", None, 500, 120.0, True),
    ("latency", None, 500, 501.0, False),
    ("latency", None, 500, None, False),
]


@pytest.mark.parametrize(("kind", "value", "threshold", "latency", "passes"), CASES)
def test_each_assertion_type(kind, value, threshold, latency, passes):
    outcome = check(kind, REPLY, value, threshold, latency)
    assert outcome.passed is passes
    assert outcome.reason


@pytest.mark.parametrize(
    ("output", "schema", "passes", "why"),
    [
        ('{"status": "refunded", "order": 1042}', None, True, "is JSON"),
        ("status: refunded", None, False, "not JSON"),
        ('{"status": "refunded"}', {"type": "object", "required": ["status"]}, True, "matching the schema"),
        ('{"status": 3}', {"properties": {"status": {"type": "string"}}}, False, "status breaks the schema"),
    ],
)
def test_is_json_with_an_optional_schema(output, schema, passes, why):
    outcome = check("is-json", output, schema)
    assert outcome.passed is passes
    assert why in outcome.reason


def test_unknown_types_are_refused():
    with pytest.raises(ValueError, match="unknown assertion type 'contains-some'"):
        check("contains-some", REPLY, "x")


def test_a_case_passes_when_enough_samples_pass():
    assertions = [{"type": "icontains", "value": "refund"}, {"type": "max-length", "value": 40}]
    samples = [Sample("Your refund is on its way."), Sample("We will replace it."), Sample("Refund sent.")]
    strict = judge_case("refund-1", "Where is my refund?", samples, assertions, min_pass_fraction=1.0)
    lenient = judge_case("refund-1", "Where is my refund?", samples, assertions, min_pass_fraction=0.6)
    assert (strict["passed_samples"], strict["pass_fraction"], strict["passed"]) == (2, 0.666667, False)
    assert lenient["passed"] is True
    assert strict["failures"] == [
        {
            "sample": 1,
            "assertion": "icontains",
            "reason": "output does not contain 'refund' (any case)",
            "output": "We will replace it.",
        }
    ]


def test_the_suite_minimum_pass_rate():
    passing = judge_case("a", "p", [Sample("yes")], [{"type": "equals", "value": "yes"}], 1.0)
    failing = judge_case("b", "p", [Sample("no")], [{"type": "equals", "value": "yes"}], 1.0)
    suite = summarize([passing, passing, failing], min_pass_rate=0.6)
    assert (suite["cases"], suite["passed"], suite["pass_rate"], suite["suite_passed"]) == (3, 2, 0.666667, True)
    assert suite["failures"] == ["b"]
    assert summarize([passing, failing], min_pass_rate=0.9)["suite_passed"] is False
    assert summarize([], min_pass_rate=0.0)["suite_passed"] is False
