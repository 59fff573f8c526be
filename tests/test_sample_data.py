"""The embedded sample data: written by the seeded generator, pinned, realistic in shape."""

from __future__ import annotations

import collections
import json
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
