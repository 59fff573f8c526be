"""The output checks: personal data by the data scan's detectors, profanity from its shipped model, refusals."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.tasks.generation.safety import check_output, refusal, scan

CLEAN = "Thanks for writing in. Your refund for order 1042 is on its way."
MARKERS = ["I can't help", "I cannot help", "I cannot assist", "As an AI"]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (CLEAN, set()),
        ("Please write to jane.doe@example.com for the refund.", {"pii"}),
        ("Card 4111 1111 1111 1111 was charged twice.", {"pii"}),
        ("You are a stupid idiot, stop writing to us.", {"profanity"}),
        ("I can’t help with that request.", {"refusal"}),
        ("As an AI, I do not issue refunds.", {"refusal"}),
        ("I can't helpfully answer... we refunded you.", set()),
        ("I'm sorry for the delay: we have refunded you.", set()),
    ],
)
def test_check_output(text: str, flagged: set[str]):
    result = check_output(text, ("US",), MARKERS)
    assert set(result) == {"pii", "profanity", "refusal"}
    assert {name for name, hit in result.items() if hit} == flagged


def test_national_phone_numbers_follow_the_regions():
    text = "Call our London desk on 020 7946 0958 today."
    assert check_output(text, ("GB",), MARKERS)["pii"] is True
    assert check_output(text, ("US",), MARKERS)["pii"] is False


def test_the_spec_default_markers_apply_when_none_are_given():
    assert check_output("I'm unable to do that.", ("US",))["refusal"] is True
    assert check_output("I'm unable to do that.", ("US",), [])["refusal"] is False


def test_refusal_names_the_marker_as_written():
    assert refusal("Sorry, I CANNOT ASSIST with this.", MARKERS) == "I CANNOT ASSIST"
    assert refusal(CLEAN, MARKERS) is None
    assert refusal("I cannot help", []) is None


def test_scan_counts_rates_and_never_shows_personal_data():
    outputs = [("a", CLEAN), ("b", "Mail jane.doe@example.com now."), ("c", "I cannot help with refunds.")]
    result = scan(outputs, ["US"], ["pii", "profanity", "refusal"], MARKERS)
    assert result["outputs"] == 3
    assert (result["pii"]["outputs"], result["pii"]["rate"], result["pii"]["kinds"]) == (1, 0.333333, {"email": 1})
    assert result["pii"]["examples"] == [{"id": "b", "kinds": ["email"]}]
    assert result["refusal"]["examples"][0]["id"] == "c"
    assert result["profanity"]["outputs"] == 0
    assert scan([], ["US"], ["pii"], MARKERS)["pii"]["rate"] == 0.0


def test_scan_runs_only_the_checks_asked_for():
    result = scan([("a", "I cannot help. Mail jane.doe@example.com")], ["US"], ["refusal"], MARKERS)
    assert (result["pii"], result["profanity"], result["refusal"]["outputs"]) == (None, None, 1)
