"""Reading the splits through the one data reader, and refusing bad rows and files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.training.data import load_splits


def rows(project: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (project / "data" / f"{split}.jsonl").read_text().splitlines()]


def write_rows(project: Path, split: str, items: list[dict]) -> None:
    (project / "data" / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items))


def load(project: Path, *splits: str):
    assert main(["--project", str(project), "pin-data"]) == 0
    return load_splits(load_project(project), list(splits))


def test_loads_every_split_with_label_ids_in_spec_order(project: Path):
    splits = load_splits(load_project(project), ["train", "test", "golden"])
    labels = load_project(project).data.labels
    first = rows(project, "train")[0]
    train = splits["train"]
    assert len(train) == len(rows(project, "train"))
    assert (train.texts[0], labels[train.labels[0]], train.ids[0]) == (first["text"], first["queue"], first["id"])
    assert set(train.slices["channel"]) == {"email", "chat", "phone"}
    assert len(splits["golden"]) == len(rows(project, "golden"))


def test_head_keeps_the_first_rows(project: Path):
    train = load_splits(load_project(project), ["train"])["train"]
    head = train.head(10)
    assert len(head) == 10 and head.texts == train.texts[:10] and head.slices["channel"] == train.slices["channel"][:10]
    assert train.head(None) is train


def test_label_outside_the_label_set_names_the_line(project: Path):
    items = rows(project, "train")
    items[4]["queue"] = "refunds"
    write_rows(project, "train", items)
    with pytest.raises(ProjectError) as err:
        load(project, "train")
    assert err.value.lines() == [
        "data/train.jsonl:5:1: queue: label 'refunds' is not in the label set of specs/data.yaml "
        "(billing, technical, account, shipping, returns)"
    ]


def test_many_bad_rows_are_listed_up_to_a_bound(project: Path):
    items = rows(project, "validation")
    for item in items[:25]:
        item["queue"] = "nope"
    write_rows(project, "validation", items)
    with pytest.raises(ProjectError) as err:
        load(project, "validation")
    lines = err.value.lines()
    assert len(lines) == 11
    assert lines[-1] == "data/validation.jsonl:11:1: ... and 15 more row problem(s) from here on"


def test_empty_text_is_refused(project: Path):
    items = rows(project, "test")
    items[0]["text"] = "   "
    write_rows(project, "test", items)
    with pytest.raises(ProjectError, match="test.jsonl:1:1: text: text is empty or missing"):
        load(project, "test")


def test_empty_split(project: Path):
    (project / "data" / "validation.jsonl").write_text("")
    with pytest.raises(ProjectError, match="the validation split is empty"):
        load(project, "validation")


def test_corrupt_file_is_placed_at_the_broken_line(project: Path):
    path = project / "data" / "train.jsonl"
    text = path.read_text()[:500]
    path.write_text(text + '{"id": "x", "text": "unterminated\n')
    line = text.count("\n") + 1
    with pytest.raises(ProjectError, match=rf"data/train.jsonl:{line}:\d+: not valid JSON: "):
        load(project, "train")


def test_missing_column(project: Path):
    write_rows(project, "golden", [{k: v for k, v in r.items() if k != "channel"} for r in rows(project, "golden")])
    with pytest.raises(ProjectError, match=r"column\(s\) 'channel' named in specs/data.yaml are missing"):
        load(project, "golden")


def test_csv_files_load_the_same_way(project: Path):
    for split in ("train", "validation", "test", "golden"):
        items = rows(project, split)
        with open(project / "data" / f"{split}.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(items[0]))
            writer.writeheader()
            writer.writerows(items)
    spec = project / "specs" / "data.yaml"
    spec.write_text(spec.read_text().replace(".jsonl", ".csv").replace("format: jsonl", "format: csv"))
    train = load(project, "train")["train"]
    assert train.texts == [r["text"] for r in rows(project, "train")]
