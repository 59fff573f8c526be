"""Copies between splits: folding, copies with a word more, and MinHash near copies."""

from __future__ import annotations

import json
import random
import re

import pytest

from {{ cookiecutter.package_name }}.governance.datafacts import split_rows
from {{ cookiecutter.package_name }}.governance.leakage import BANDS, NUM_PERM, candidates, copies, fold, shingles, signatures
from {{ cookiecutter.package_name }}.specs.project import load_project

from .conftest import ROOT

# Cyrillic look-alikes of Latin letters
CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440", "x": "\u0445", "y": "\u0443"}


def _homoglyph(text: str, rng: random.Random) -> str:
    at = rng.choice([i for i, c in enumerate(text) if c in CYRILLIC])
    return text[:at] + CYRILLIC[text[at]] + text[at + 1 :]


def _zero_width(text: str, rng: random.Random) -> str:
    word = max(re.finditer(r"\w+", text), key=lambda m: len(m.group()))
    at = word.start() + rng.randint(1, len(word.group()) - 1)
    return text[:at] + "\u200b" + text[at:]


def _word_appended(text: str, rng: random.Random) -> str:
    return text + " " + rng.choice(["thanks", "asap", "again", "urgently", "today", "please"])


@pytest.mark.parametrize("perturb", [_homoglyph, _zero_width, _word_appended])
def test_every_copied_test_row_is_caught_however_disguised(perturb):
    rows = split_rows(load_project(ROOT, check_data=False))
    rng = random.Random(9)
    chosen = [row for row in rows["test"] if len(row.text.split()) > 3 and any(c in CYRILLIC for c in row.text)][:50]
    assert len(chosen) == 50
    texts = {split: [fold(row.text) for row in split_rows_] for split, split_rows_ in rows.items()}
    refs = {split: [row.ref for row in split_rows_] for split, split_rows_ in rows.items()}
    for n, row in enumerate(chosen):
        copy = perturb(row.text, rng)
        assert copy != row.text
        texts["train"].append(fold(copy))
        refs["train"].append(f"train:copy-{n}")
    grouped = {frozenset(pair) for group in copies(texts, refs) for pair in _pairs(group)}
    caught = [row.ref for n, row in enumerate(chosen) if frozenset((f"train:copy-{n}", row.ref)) in grouped]
    assert len(caught) == 50


def _pairs(group: list[str]):
    return [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]


def test_fold_drops_what_does_not_show():
    plain = "hi team i can t log in"
    assert fold("Hi team,  I can't log in!") == plain
    # Cyrillic letters, a zero-width space, a soft hyphen, a byte-order mark
    assert fold("H\u0456 t\u0435am, I c\u0430n't l\u200bog\u00ad in\ufeff!") == plain
    assert fold("\uff28\uff49 team, I can't log in") == plain  # full-width letters (NFKC)
    assert fold("\u041f\u0440\u0438\u0432\u0435\u0442") != ""  # other scripts are kept, not erased


def test_short_texts_with_a_word_more_are_not_copies():
    texts = {"train": ["log in", "cant log in to my account"], "test": ["log in now", "cant log in"]}
    refs = {"train": ["train:1", "train:2"], "test": ["test:1", "test:2"]}
    assert copies(texts, refs) == []


def _sample_texts() -> dict[str, list[str]]:
    return {
        split: [fold(json.loads(line)["text"]) for line in (ROOT / "data" / f"{split}.jsonl").open(encoding="utf-8")]
        for split in ("train", "test")
    }


def test_signatures_and_candidates_are_datasketchs():
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    texts = _sample_texts()
    train = len(texts["train"])
    hashes, offsets, counts = shingles(texts["train"] + texts["test"])
    signed = signatures(hashes, offsets, counts)
    for row in range(0, len(counts), 97):
        reference = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=lambda h: h)
        reference.update_batch(hashes[offsets[row] : offsets[row] + counts[row]].tolist())
        assert (reference.hashvalues == signed[row]).all()
    lsh = MinHashLSH(num_perm=NUM_PERM, params=BANDS)
    for i in range(train):
        lsh.insert(i, LeanMinHash(seed=1, hashvalues=signed[i], scheme="affine32"))
    expected = sorted(
        (i, j)
        for j in range(len(texts["test"]))
        for i in lsh.query(LeanMinHash(seed=1, hashvalues=signed[train + j], scheme="affine32"))
    )
    found = [tuple(pair) for pair in candidates(signed[:train], signed[train:]).tolist()]
    assert found == expected and found
