"""The output checks: personal data by the data scan's detectors, profanity from its shipped model, refusals."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.tasks.generation.safety import check_output, refusal, scan

CLEAN = "Thanks for writing in. Your refund for order 1042 is on its way."


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (CLEAN, set()),
        ("Please write to jane.doe@example.com for the refund.", {"pii"}),
        ("Card 4111 1111 1111 1111 was charged twice.", {"pii"}),
        ("You are a stupid idiot, stop writing to us.", {"profanity"}),
        ("I can’t help with that request.", {"refusal"}),
        ("As an AI, I cannot provide refunds.", {"refusal"}),
        ("I'm sorry for the delay: we have refunded you.", set()),
    ],
)
def test_check_output(text: str, flagged: set[str]):
    result = check_output(text, regions=("US",))
    assert set(result) == {"pii", "profanity", "refusal"}
    assert {name for name, hit in result.items() if hit} == flagged


def test_national_phone_numbers_follow_the_regions():
    text = "Call our London desk on 020 7946 0958 today."
    assert check_output(text, regions=("GB",))["pii"] is True
    assert check_output(text, regions=("US",))["pii"] is False


def test_refusal_names_the_phrase():
    assert refusal("Sorry, I CANNOT ASSIST with this.") == "I CANNOT ASSIST"
    assert refusal(CLEAN) is None


def test_scan_counts_rates_and_never_shows_personal_data():
    outputs = [("a", CLEAN), ("b", "Mail jane.doe@example.com now."), ("c", "I cannot help with refunds.")]
    result = scan(outputs, ["US"])
    assert result["outputs"] == 3
    assert (result["pii"]["outputs"], result["pii"]["rate"], result["pii"]["kinds"]) == (1, 0.333333, {"email": 1})
    assert result["pii"]["examples"] == [{"id": "b", "kinds": ["email"]}]
    assert result["refusal"]["examples"][0]["id"] == "c"
    assert result["profanity"]["outputs"] == 0
    assert scan([], ["US"])["pii"]["rate"] == 0.0
