"""The embedded sample data: written by the seeded generator, pinned, unique across splits."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from conftest import REPO

DATA = REPO / "{{cookiecutter.project_slug}}" / "data"
SPEC = REPO / "{{cookiecutter.project_slug}}" / "specs" / "data.yaml"


def test_committed_data_is_what_the_generator_writes(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_sample_data.py"), str(tmp_path)], check=True)
    for path in sorted(DATA.glob("*.jsonl")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"run `make data`: {path.name} is stale"


def test_data_spec_pins_the_committed_files():
    spec = SPEC.read_text()
    for path in sorted(DATA.glob("*.jsonl")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"path: data/{path.name}\n    sha256: {digest}" in spec, f"run `make data`: {path.name} is not pinned"


def test_texts_are_unique_across_splits_and_every_split_has_every_queue_and_channel():
    seen: dict[str, str] = {}
    for path in sorted(DATA.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        for row in rows:
            assert row["text"] not in seen, f"{path.name} repeats a text of {seen.get(row['text'])}"
            seen[row["text"]] = path.name
        assert len({r["queue"] for r in rows}) == 5
        channels = {r["channel"] for r in rows}
        assert channels == ({"email", "chat"} if path.stem == "golden" else {"email", "chat", "phone"})
    assert len(seen) >= 1000
