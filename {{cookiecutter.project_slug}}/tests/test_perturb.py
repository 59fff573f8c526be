"""Each robustness perturbation: what it changes, what it keeps, and that a seed fixes it."""

from __future__ import annotations

import typing

import pytest

from {{ cookiecutter.package_name }}.evaluation.perturb import PERTURBATIONS, perturb
from {{ cookiecutter.package_name }}.specs.evaluation import Perturbation

TEXTS = [
    "Hi team, my order A-48213 hasn't arrived yet. Kind regards.",
    "the app crashes every time I open the settings page!",
    "Refund please",
]


def test_every_type_in_the_spec_has_a_perturbation():
    declared = typing.get_args(Perturbation.model_fields["type"].annotation)
    assert set(PERTURBATIONS) == set(declared)


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_same_seed_same_output(kind):
    assert perturb(TEXTS, kind, 0.3, seed=7) == perturb(TEXTS, kind, 0.3, seed=7)


def test_random_perturbations_depend_on_the_seed():
    for kind in ("typos", "drop_words", "extra_whitespace"):
        outputs = {tuple(perturb(TEXTS * 5, kind, 0.3, seed=s)) for s in range(5)}
        assert len(outputs) > 1, kind


def test_lowercase_and_uppercase():
    assert perturb(TEXTS, "lowercase", 0.1, 0) == [t.lower() for t in TEXTS]
    assert perturb(TEXTS, "uppercase", 0.1, 0) == [t.upper() for t in TEXTS]


def test_typos_touch_about_rate_of_the_letters():
    text = "the quick brown fox jumps over the lazy dog " * 40
    changed = perturb([text], "typos", 0.05, seed=1)[0]
    assert changed != text
    assert sorted(changed.split(" ")) != sorted(text.split(" "))
    assert abs(len(changed) - len(text)) < 0.05 * len(text)  # drops and doubles roughly cancel
    words = text.split()
    same = sum(a == b for a, b in zip(changed.split(), words, strict=False))
    assert 0.5 * len(words) < same < len(words)


def test_typos_leave_digits_and_punctuation_alone():
    assert perturb(["12345 ... 678!"], "typos", 1.0, seed=3) == ["12345 ... 678!"]


def test_extra_whitespace_changes_only_whitespace():
    for before, after in zip(TEXTS, perturb(TEXTS, "extra_whitespace", 1.0, seed=2), strict=True):
        assert after != before
        assert after.split() == before.split()


def test_strip_punctuation_removes_every_punctuation_mark():
    out = perturb(TEXTS, "strip_punctuation", 0.1, 0)
    assert out[0] == "Hi team my order A48213 hasnt arrived yet Kind regards"
    assert out[1] == "the app crashes every time I open the settings page"


def test_drop_words_keeps_order_and_at_least_one_word():
    out = perturb(TEXTS, "drop_words", 0.5, seed=4)
    for before, after in zip(TEXTS, out, strict=True):
        kept = after.split()
        assert kept, "at least one word stays"
        remaining = iter(before.split())
        assert all(word in remaining for word in kept), "kept words keep their order"
    assert perturb(["one two three"], "drop_words", 1.0, seed=0) == ["one"]
