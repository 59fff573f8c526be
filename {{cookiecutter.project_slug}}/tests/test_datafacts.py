"""The data scan: personal data and secrets, duplicates and leakage, labels and text lengths."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.governance.datafacts import redact, scan
from {{ cookiecutter.package_name }}.governance.pii import Detector
from {{ cookiecutter.package_name }}.specs.project import load_project

from .conftest import HEAVY, PACKAGE, ROOT
from .planted_pii import REGIONS, planted

DETECTOR = Detector(REGIONS)


def pii_in(text: str) -> list[tuple[str, str]]:
    return [(found.kind, found.text) for found in DETECTOR.find(text)]


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
        ("ring 020 7946 0958 after five", "phone"),
        ("card 4111 1111 1111 1111 was charged", "card_number"),
        ("card 4111.1111.1111.1111 was charged", "card_number"),
        ("refund to DE89 3704 0044 0532 0130 00 please", "iban"),
        ("refund to GB82-WEST-1234-5698-7654-32 please", "iban"),
        ("my ssn is 219-09-9999", "ssn"),
        ("write to john dot doe at gmail dot com", "email"),
        ("or john [at] gmail [dot] com", "email"),
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
        "I logged in at app.example.com and looked at the dot matrix printer",
    ],
)
def test_ordinary_ticket_text_is_not_personal_data(text: str):
    assert pii_in(text) == []


def test_a_published_sample_ssn_is_not_an_ssn():
    assert "ssn" not in [kind for kind, _ in pii_in("the sample SSN 078-05-1120 from a wallet")]


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
    before = _scan(project)["duplicates"]["exact_across"]["count"]
    test_row = json.loads((project / "data" / "test.jsonl").read_text().splitlines()[0])
    disguised = "  " + test_row["text"].upper().replace("E", "\u0415", 1).replace(" ", " \u200b", 1) + "!!"
    _append(project, "train", {"id": "tr-copy", "text": disguised})
    exact = _scan(project)["duplicates"]["exact_across"]
    assert exact["count"] == before + 1
    assert ["train:tr-copy", f"test:{test_row['id']}"] in exact["groups"]


def test_planted_personal_data_is_found():
    samples = list(planted(seed=7))
    kinds = {sample.plant for sample in samples}
    assert len(samples) >= 150 and len(kinds) >= 12
    hits: Counter = Counter()
    for sample in samples:
        hits[sample.plant] += sample.caught_by(DETECTOR.find(sample.text))
    per_kind = Counter(sample.plant for sample in samples)
    assert sum(hits.values()) / len(samples) >= 0.95, hits
    assert {kind: hits[kind] for kind in kinds if hits[kind] < 0.8 * per_kind[kind]} == {}


def test_the_detectors_load_no_heavy_library():
    code = (
        f"import sys; from {PACKAGE}.governance.pii import Detector; "
        "found = Detector(['GB']).find('card 4111.1111.1111.1111, ring 020 7946 0958'); "
        f"print(len(found), [m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "src", check=True)
    assert done.stdout.split() == ["2", "[]"], done.stdout + done.stderr


def test_near_copies_across_splits_are_reported(project: Path):
    before = _scan(project)["duplicates"]
    base = "the courier left my parcel with a neighbour i have never met on the other side of town"
    _append(project, "train", {"id": "tr-near", "text": base})
    _append(project, "test", {"id": "te-near", "text": base + " again today"})
    _append(project, "test", {"id": "te-copy", "text": base + " again"})
    _append(project, "test", {"id": "te-far", "text": base.replace("other side", "far end")})
    after = _scan(project)["duplicates"]
    near = after["near_across"]
    assert near["count"] == before["near_across"]["count"] + 1
    assert {"rows": ["train:tr-near", "test:te-near"], "similarity": 0.889} in near["pairs"]
    assert after["exact_across"]["count"] == before["exact_across"]["count"] + 1  # one word more is a copy


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
    assert facts["pii"]["total"] == 0, facts["pii"]["findings"]
    assert facts["duplicates"]["exact_across"]["count"] == 0, facts["duplicates"]["exact_across"]["groups"]
    assert facts["labels"]["unknown"]["count"] == 0
    assert facts["texts"]["empty"]["count"] == facts["texts"]["too_long"]["count"] == 0
