"""Hostile specs, data rows, special files and echoed input: each ends in a placed message and exit 2.

The corpora live in ``tests/corpora``: ``specs/cases.json`` (an edit of a project file, where the
problem must be reported, and what it must say) and ``data/*.jsonl`` with ``data/expected.json``
(the line, column and message of each file's first problem).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import Problem, ProjectError
from {{ cookiecutter.package_name }}.governance.datafacts import split_rows
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.specs.yamlio import load_yaml
from {{ cookiecutter.package_name }}.training.data import load_splits

from .conftest import run_cli

CORPORA = Path(__file__).parent / "corpora"
SPEC_CASES = json.loads((CORPORA / "specs" / "cases.json").read_text(encoding="utf-8"))
DATA_EXPECTED = json.loads((CORPORA / "data" / "expected.json").read_text(encoding="utf-8"))


def validate(project: Path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--project", str(project), "validate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("case", SPEC_CASES, ids=lambda c: c["name"])
def test_hostile_spec_is_placed(project: Path, capsys, case: dict):
    path = project / case["file"]
    text = path.read_text(encoding="utf-8")
    assert case["old"] in text, f"corpus case is stale: {case['old']!r} not in {case['file']}"
    changed = text.replace(case["old"], case["new"], 1) if case["old"] else case["new"] + text
    path.write_bytes(changed.encode(case.get("encoding", "utf-8")))
    at = case["at"]
    line = at if isinstance(at, int) else changed[: changed.index(at)].count("\n") + 1
    code, _, err = validate(project, capsys, "--skip-data")
    assert code == 2 and "Traceback" not in err
    placed = [row for row in err.splitlines() if f"{case['file']}:{line}:" in row]  # paths print relative to cwd
    assert any(case["fragment"] in row for row in placed), err
    if "also" in case:  # the file's other problems are still reported
        assert case["also"] in err


@pytest.mark.parametrize("name", sorted(DATA_EXPECTED))
def test_hostile_data_row_gets_one_message_everywhere(project: Path, capsys, name: str):
    line, col, fragment = DATA_EXPECTED[name]
    (project / "data" / "golden.jsonl").write_bytes((CORPORA / "data" / name).read_bytes())
    assert main(["--project", str(project), "pin-data"]) == 0
    where = f"data/golden.jsonl:{line}:{col}:"
    code, _, err = validate(project, capsys)
    assert code == 2 and "Traceback" not in err
    assert any(row.startswith(where) and fragment in row for row in err.splitlines()), err
    assert validate(project, capsys, "--skip-data")[0] == 0  # --skip-data still skips the rows
    # train and evaluate read the splits through load_splits: the same message
    with pytest.raises(ProjectError) as raised:
        load_splits(load_project(project, check_data=False), ["golden"])
    assert any(row.startswith(where) and fragment in row for row in raised.value.lines())


def test_malformed_row_is_placed_in_the_gate_too(project: Path):
    (project / "data" / "golden.jsonl").write_bytes((CORPORA / "data" / "malformed.jsonl").read_bytes())
    line, col, fragment = DATA_EXPECTED["malformed.jsonl"]
    with pytest.raises(ProjectError) as raised:
        split_rows(load_project(project, check_data=False))  # the gate's data scan
    assert f"data/golden.jsonl:{line}:{col}: {fragment}" in "\n".join(raised.value.lines())


def test_overlong_line_is_refused_without_reading_it_whole(project: Path, capsys):
    row = {"id": "x", "text": "a" * (2 << 20), "queue": "billing", "channel": "chat"}
    (project / "data" / "golden.jsonl").write_text(json.dumps(row) + "\n")
    code, _, err = validate(project, capsys)
    assert code == 2
    assert "data/golden.jsonl:1:1: line is longer than 1048576 bytes" in err


def test_a_megabyte_of_plain_keys_is_not_an_alias_bomb(project: Path):
    spec = project / "specs" / "evaluation.yaml"
    keys = "".join(f"key_{i:06d}: value\n" for i in range(55_000))
    spec.write_text(spec.read_text() + keys)
    assert 900_000 < spec.stat().st_size < 1 << 20
    doc = load_yaml(spec, root=project)  # refused before: every node was counted as alias expansion
    assert doc.data["key_054999"] == "value" and doc.tree.lc.key("key_054999")[0] == doc.text.count("\n") - 1


def test_special_files_are_refused_without_hanging(project: Path, tmp_path_factory: pytest.TempPathFactory):
    """A FIFO, a link to /dev/zero and a link outside the project, for specs, data and policies."""
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.yaml"
    outside.write_text("apiVersion: gated-ml/v1\n")
    cases = {
        "specs/evaluation.yaml": "fifo",
        "specs/deployment.yaml": Path("/dev/zero"),
        "specs/model.yaml": outside,
        "data/test.jsonl": "fifo",
        "data/golden.jsonl": Path("/dev/zero"),
        "data/validation.jsonl": outside,
        "policies/pipe.yaml": "fifo",
        "policies/zero.yaml": Path("/dev/zero"),
        "policies/outside.yaml": outside,
    }
    for name, kind in cases.items():
        path = project / name
        path.unlink(missing_ok=True)
        if kind == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to(kind)
    # the timeout only guards against a hang; a healthy run takes seconds
    done = run_cli(project, "validate", timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for name, kind in cases.items():
        expected = "is a FIFO (named pipe), not a regular file" if kind == "fifo" else f"links to {kind}, outside"
        assert f"{name}:1:1: {expected}" in done.stderr, done.stderr


def test_directory_in_place_of_a_data_file_is_named(project: Path, capsys):
    (project / "data" / "test.jsonl").unlink()
    (project / "data" / "test.jsonl").mkdir()
    code, _, err = validate(project, capsys)
    assert code == 2 and "data/test.jsonl:1:1: is a directory, not a regular file" in err


HOSTILE_KEY = '"k\\n::warning file=x.py,line=1::owned \\u001b]0;title\\u0007 \\u001b[31mred": 1\n'


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_echoed_input_cannot_start_a_workflow_command_or_reach_the_terminal(project: Path, capsys, fmt: str):
    spec = project / "specs" / "model.yaml"
    spec.write_text(spec.read_text() + HOSTILE_KEY)
    code, out, err = validate(project, capsys, "--skip-data", "--format", fmt)
    assert code == 2
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text
        assert not any(row.startswith("::warning") for row in text.splitlines())
    assert "unknown field 'k\\n::warning" in err
    if fmt == "github":
        annotation = next(row for row in out.splitlines() if row.startswith("::error file=") and "model.yaml" in row)
        assert "title=k%0A%3A%3Awarning file=x.py%2Cline=1%3A%3Aowned" in annotation


def test_annotation_escapes_data_and_properties_as_github_documents():
    problem = Problem("a,b:c.yaml", 3, 4, "f:g,h", "50% done\r\nnext")
    assert problem.annotation() == "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=f%3Ag%2Ch::50%25 done%0D%0Anext"
    assert Problem("x.yaml", 1, 1, "", "\x1b]0;t\x07").annotation().endswith("::\\x1b]0;t\\x07")
