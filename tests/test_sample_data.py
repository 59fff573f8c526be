"""The embedded sample data: written by the seeded generator, pinned, realistic in shape."""

from __future__ import annotations

import collections
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from .conftest import REPO

DATA = REPO / "{{cookiecutter.project_slug}}" / "data"


def _rows(split: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_committed_data_is_what_the_generator_writes(tmp_path: Path):
    subprocess.run([sys.executable, "scripts/make_sample_data.py", str(tmp_path)], cwd=REPO, check=True,
                   capture_output=True)
    for split in ("train", "validation", "test", "golden"):
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (DATA / f"{split}.jsonl").read_bytes(), split


def test_data_spec_pins_the_committed_files(default_project: Path):
    import hashlib

    spec = YAML(typ="safe").load(default_project / "specs" / "data.yaml")
    for split, entry in spec["splits"].items():
        assert hashlib.sha256((DATA / Path(entry["path"]).name).read_bytes()).hexdigest() == entry["sha256"], split


def test_data_is_large_varied_and_unique():
    splits = {s: _rows(s) for s in ("train", "validation", "test", "golden")}
    rows = [r for split in splits.values() for r in split]
    assert len(rows) >= 1000
    assert len({r["queue"] for r in rows}) >= 4
    assert {r["channel"] for r in rows} == {"email", "chat", "phone"}
    assert len({r["text"] for r in rows}) == len(rows), "texts must be unique across splits (no leakage)"
    assert len({r["id"] for r in rows}) == len(rows)
    counts = collections.Counter(r["queue"] for r in splits["train"])
    assert max(counts.values()) / min(counts.values()) < 1.5, counts


def _shingles(text: str) -> frozenset:
    words = re.findall(r"\w+", text.casefold())
    return frozenset(zip(words, words[1:], words[2:], strict=False)) or frozenset([tuple(words)])


def test_evaluation_tickets_are_not_near_copies_of_train_tickets():
    """Validation, test and golden measure generalisation: no ticket shares much wording with a train ticket."""
    train = [_shingles(r["text"]) for r in _rows("train")]
    index = collections.defaultdict(list)
    for i, shingles in enumerate(train):
        for s in shingles:
            index[s].append(i)
    worst = 0.0
    for split in ("validation", "test", "golden"):
        for row in _rows(split):
            mine = _shingles(row["text"])
            shared = collections.Counter(i for s in mine for i in index.get(s, ()))
            worst = max([worst] + [n / (len(mine) + len(train[i]) - n) for i, n in shared.items()])
    assert worst < 0.4, f"an evaluation ticket is {worst:.2f} similar (word 3-gram Jaccard) to a train ticket"


def test_the_data_scan_of_the_default_project_finds_nothing(default_project: Path, template_package):
    """The policy gate's data rules (personal data, duplicates, near duplicates) have nothing to report."""
    datafacts = importlib.import_module(f"{template_package.__name__}.governance.datafacts")
    specs = importlib.import_module(f"{template_package.__name__}.specs.project")
    facts = datafacts.scan(specs.load_project(default_project))
    assert facts["pii"]["total"] == 0, facts["pii"]["findings"]
    duplicates = facts["duplicates"]
    assert [duplicates[kind]["count"] for kind in ("exact_within", "exact_across", "near_across")] == [0, 0, 0]
    assert facts["texts"]["empty"]["count"] == facts["texts"]["too_long"]["count"] == 0


GENERATION_DATA = REPO / "{{cookiecutter.project_slug}}" / "_tasks" / "text-generation" / "data"


def test_committed_generation_data_is_what_the_generator_writes(tmp_path: Path):
    subprocess.run(
        [sys.executable, "scripts/make_sample_data.py", "--task", "text-generation", str(tmp_path)],
        cwd=REPO, check=True, capture_output=True,
    )
    for split in ("train", "validation", "test", "golden"):
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (GENERATION_DATA / f"{split}.jsonl").read_bytes(), split


def test_generation_data_replies_to_tickets_and_keeps_the_golden_set_out_of_train():
    splits = {
        s: [json.loads(line) for line in (GENERATION_DATA / f"{s}.jsonl").read_text(encoding="utf-8").splitlines()]
        for s in ("train", "validation", "test", "golden")
    }
    assert {len(rows) for rows in splits.values()} == {600, 100, 150, 20}
    assert all(set(r) == {"id", "ticket", "channel", "queue", "reply"} for rows in splits.values() for r in rows)
    train_tickets = {r["ticket"].casefold() for r in splits["train"]}
    train_replies = {r["reply"] for r in splits["train"]}
    assert not [r["id"] for r in splits["golden"] if r["ticket"].casefold() in train_tickets or r["reply"] in train_replies]
    assert len({r["reply"] for r in splits["golden"]}) == len(splits["golden"])
