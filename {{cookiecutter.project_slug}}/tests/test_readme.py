"""The README's examples hold: the default model routes every example ticket as the README says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT

README = ROOT / "README.md"
TABLE = re.compile(r"<!-- readme-examples:start -->\n(.*?)<!-- readme-examples:end -->", re.S)


def readme_examples(text: str) -> list[tuple[str, str]]:
    """``(ticket, queue)`` rows of the README's marked examples table."""
    block = TABLE.search(text)
    assert block, "README.md has no <!-- readme-examples:start --> ... <!-- readme-examples:end --> table"
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.group(1).splitlines()]
    return [(ticket, queue) for ticket, queue in rows[2:]]  # after the header and its rule


def test_every_ticket_the_readme_shows_is_in_its_examples_table():
    text = README.read_text(encoding="utf-8")
    examples = dict(readme_examples(text))
    assert len(examples) >= 5
    for request in re.findall(r"-d '(\{.*?\})'", text):
        for ticket in json.loads(request)["texts"]:
            assert ticket in examples, f"{ticket!r} is sent in a README example but missing from its examples table"


@pytest.mark.slow
def test_the_default_model_routes_the_readme_examples_as_it_says(default_run: Path):
    from {{ cookiecutter.package_name }}.evaluation.inference import load_classifier, predict_proba

    examples = readme_examples(README.read_text(encoding="utf-8"))
    model, tokenizer = load_classifier(default_run / "artifacts" / "default" / "model")
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    predicted = [labels[i] for i in predict_proba(model, tokenizer, [ticket for ticket, _ in examples]).argmax(axis=1)]
    wrong = [(ticket, queue, got) for (ticket, queue), got in zip(examples, predicted, strict=True) if got != queue]
    assert not wrong, f"README examples routed elsewhere (ticket, README says, model says): {wrong}"
