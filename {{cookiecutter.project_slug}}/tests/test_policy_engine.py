"""The rule engine: dotted paths, fail-closed absence, JSON Schema checks and messages."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.governance.policy.engine import MISSING, check, compact, lookup
from {{ cookiecutter.package_name }}.governance.policy.models import Rule

FACTS = {
    "metrics": {
        "test": {"macro_f1": 0.81234, "per_class": {"billing": {"f1": 0.9}, "returns": {"f1": 0.6}}},
        "golden": {"rows": 40, "passed": 38, "failures": [{"id": "go-1"}, {"id": "go-2"}]},
    },
    "environments": [{"name": "staging"}, {"name": "production"}],
    "baseline": None,
    "unavailable": {"baseline": "no production baseline yet"},
}


def rule(**fields) -> Rule:
    base = {"id": "TEST-001", "title": "A test rule", "severity": "error", "stages": ["pr"], "help": "How to fix it."}
    return Rule.model_validate({**base, **fields})


def test_lookup_follows_dicts_and_list_indexes():
    assert lookup(FACTS, "metrics.test.macro_f1") == 0.81234
    assert lookup(FACTS, "environments.1.name") == "production"
    assert lookup(FACTS, "environments.2.name") is MISSING
    assert lookup(FACTS, "baseline.metrics.test") is MISSING
    assert lookup(FACTS, "metrics.nope") is MISSING


def test_pass_and_fail_with_the_schema_message():
    assert check(rule(where="metrics.test.macro_f1", must={"minimum": 0.8}), FACTS).status == "pass"
    result = check(rule(where="metrics.test.macro_f1", must={"minimum": 0.85}), FACTS)
    assert (result.status, result.blocking) == ("fail", True)
    assert result.message == "metrics.test.macro_f1: 0.81234 is less than the minimum of 0.85"
    assert result.failures == ["metrics.test.macro_f1"]


def test_nested_failures_name_the_exact_path():
    result = check(
        rule(where="metrics.test.per_class", must={"additionalProperties": {"properties": {"f1": {"minimum": 0.7}}}}),
        FACTS,
    )
    assert result.failures == ["metrics.test.per_class.returns.f1"]
    assert result.message.startswith("metrics.test.per_class.returns.f1: 0.6 is less than the minimum of 0.7")


def test_absent_values_fail_closed_unless_the_rule_says_otherwise():
    where = "baseline.metrics.test.macro_f1"
    failed = check(rule(where=where, must={"minimum": 0}), FACTS)
    assert (failed.status, failed.message) == ("fail", f"{where} is absent: no production baseline yet")
    assert check(rule(where=where, must={"minimum": 0}, missing="pass"), FACTS).status == "pass"
    skipped = check(rule(where=where, must={"minimum": 0}, missing="skip"), FACTS)
    assert (skipped.status, skipped.blocking, skipped.message) == (
        "skipped",
        False,
        "skipped: no production baseline yet",
    )


def test_message_template_and_evidence():
    result = check(
        rule(
            where="metrics.golden.passed",
            must={"const": 40},
            message="{value} of {metrics.golden.rows} golden rows; baseline {baseline.x}",
            evidence="metrics.golden.failures",
        ),
        FACTS,
    )
    assert result.message == "38 of 40 golden rows; baseline absent"
    assert result.evidence == ['{"id": "go-1"}', '{"id": "go-2"}']


def test_message_can_quote_the_rule_s_own_threshold():
    result = check(
        rule(where="metrics.test.macro_f1", must={"minimum": 0.9}, message="{value} < {must.minimum}"), FACTS
    )
    assert result.message == "0.8123 < 0.9"


def test_warnings_do_not_block():
    result = check(rule(where="metrics.test.macro_f1", must={"minimum": 0.9}, severity="warning"), FACTS)
    assert (result.status, result.blocking) == ("fail", False)


def test_a_rule_that_cannot_be_applied_is_an_error_that_blocks():
    result = check(rule(where="metrics.test", must={"$ref": "urn:example:nowhere"}, severity="warning"), FACTS)
    assert (result.status, result.blocking) == ("error", True)
    assert "could not be checked" in result.message


def test_any_of_reports_the_closest_branch():
    result = check(rule(where="metrics.test.macro_f1", must={"anyOf": [{"type": "string"}, {"minimum": 0.9}]}), FACTS)
    assert result.status == "fail"
    assert "0.81234" in result.message


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.912345, "0.9123"), (1.0, "1"), ({"a": 0.123456}, '{"a": 0.1235}'), ("x" * 200, "x" * 159 + "…")],
)
def test_compact(value, shown):
    assert compact(value) == shown
