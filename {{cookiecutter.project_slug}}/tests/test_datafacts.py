"""The data scan: personal data and secrets, duplicates and leakage, labels and text lengths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.datafacts import normalise, pii_in, redact, scan
from {{ cookiecutter.package_name }}.specs.project import load_project

from .conftest import ROOT


def _append(project: Path, split: str, *rows: dict) -> None:
    with open(project / "data" / f"{split}.jsonl", "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"channel": "email", "queue": "billing", **row}) + "\n")


def _scan(project: Path) -> dict:
    return scan(load_project(project, check_data=False))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("please write to jane.doe@example.co.uk about it", "email"),
        ("call me on +44 20 7946 0018 tomorrow", "phone"),
        ("my number is (415) 555-2671", "phone"),
        ("card 4111 1111 1111 1111 was charged", "card_number"),
        ("refund to DE89 3704 0044 0532 0130 00 please", "iban"),
        ("my iban is gb82west12345698765432", "iban"),
        ("the server at 192.168.10.24 is down", "ip_address"),
        ("blocked from 2001:db8:85a3::8a2e:370:7334 again", "ip_address"),
        ("key AKIAIOSFODNN7EXAMPLE leaked", "secret"),
        ("token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + " in the log", "secret"),
        ("-----BEGIN RSA PRIVATE KEY----- MIIEow", "secret"),
        ("api key: 9fQ2vX7LmB4tR8wZ1kH6nJ3pS5dG0cYe", "secret"),
    ],
)
def test_each_kind_of_personal_data_is_found(text: str, kind: str):
    assert kind in [k for k, _ in pii_in(text)]


@pytest.mark.parametrize(
    "text",
    [
        "my order A-48213 has not arrived",
        "I was charged $49.99 twice on the 3rd",
        "error 500 at 10:30 when I sync, app version 2.14.1",
        "card 4111 1111 1111 1112 does not pass the Luhn check",
        "tracking number 1Z999AA10123456784 shows nothing",
        "the ticket ERR_TIMEOUT keeps coming back",
    ],
)
def test_ordinary_ticket_text_is_not_personal_data(text: str):
    assert list(pii_in(text)) == []


def test_findings_are_redacted_and_point_at_rows(project: Path):
    _append(project, "train", {"id": "tr-pii", "text": "reach me at john.smith@example.com or +1 415 555 2671"})
    pii = _scan(project)["pii"]
    assert pii["total"] == 2 and pii["rows"] == 1
    assert pii["counts"] == {"email": 1, "phone": 1}
    assert {f["row"] for f in pii["findings"]} == {"train:tr-pii"}
    assert all("john.smith" not in f["redacted"] and "555 2671" not in f["redacted"] for f in pii["findings"])


def test_redaction_keeps_only_the_ends():
    assert redact("john.smith@example.com") == "jo…(22 chars)…om"
    assert "4111" not in redact("4111 1111 1111 1111")[3:]


def test_a_test_row_copied_into_train_is_a_leak(project: Path):
    test_row = json.loads((project / "data" / "test.jsonl").read_text().splitlines()[0])
    _append(project, "train", {"id": "tr-copy", "text": "  " + test_row["text"].upper() + "!!"})
    exact = _scan(project)["duplicates"]["exact_across"]
    assert exact["count"] == 1
    assert exact["groups"] == [["train:tr-copy", f"test:{test_row['id']}"]]


def test_near_copies_across_splits_are_reported(project: Path):
    before = _scan(project)["duplicates"]["near_across"]["count"]
    base = "the courier left my parcel with a neighbour i have never met on the other side of town"
    _append(project, "train", {"id": "tr-near", "text": base})
    _append(project, "test", {"id": "te-near", "text": base + " again"})
    _append(project, "test", {"id": "te-far", "text": base.replace("other side", "far end")})
    near = _scan(project)["duplicates"]["near_across"]
    assert near["count"] == before + 1
    assert {"rows": ["train:tr-near", "test:te-near"], "similarity": 0.941} in near["pairs"]


def test_labels_texts_and_balance(project: Path):
    _append(
        project,
        "validation",
        {"id": "va-x1", "text": "", "queue": "billing"},
        {"id": "va-x2", "text": "what is this", "queue": "sales"},
        {"id": "va-x3", "text": "x" * 2001, "queue": "billing"},
    )
    facts = _scan(project)
    assert facts["labels"]["unknown"] == {"count": 1, "rows": ["validation:va-x2"]}
    assert facts["texts"]["empty"] == {"count": 1, "rows": ["validation:va-x1"]}
    assert facts["texts"]["too_long"] == {"count": 1, "limit": 2000, "rows": ["validation:va-x3"]}
    assert facts["labels"]["balance"]["train"]["min_share"] > 0.15


def test_the_sample_data_is_clean():
    facts = scan(load_project(ROOT, check_data=False))
    assert facts["rows"] == {"train": 1000, "validation": 200, "test": 400, "golden": 40}
    assert facts["pii"]["total"] == 0
    assert facts["duplicates"]["exact_across"]["count"] == 0
    assert facts["labels"]["unknown"]["count"] == 0
    assert facts["texts"]["empty"]["count"] == facts["texts"]["too_long"]["count"] == 0


def test_normalise_ignores_case_punctuation_and_spacing():
    assert normalise("Hi team,  I can't log in!") == normalise("hi team i can t log in") == "hi team i can t log in"
