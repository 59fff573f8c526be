"""The validate command on this project's own specs, and on broken copies of them."""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }}.cli import main

from .conftest import ROOT, heavy_imports


def test_project_specs_are_valid(capsys):
    assert main(["--project", str(ROOT), "validate"]) == 0
    assert "cross-spec checks passed, data hashes match" in capsys.readouterr().out


def test_unknown_key_is_placed_and_suggests_a_fix(project: Path, capsys):
    spec = project / "specs" / "model.yaml"
    spec.write_text(spec.read_text().replace("  learning_rate:", "  learning_rte:"))
    assert main(["--project", str(project), "validate"]) == 2
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(spec.read_text().splitlines(), 1) if "learning_rte" in text)
    expected = "training.learning_rte: unknown field 'learning_rte'; did you mean 'learning_rate'?"
    assert f"model.yaml:{line}:3: {expected}" in err


def test_changed_data_fails_until_repinned(project: Path, capsys):
    with open(project / "data" / "test.jsonl", "a") as handle:
        handle.write('{"id": "x", "text": "new ticket", "queue": "billing", "channel": "chat"}\n')
    assert main(["--project", str(project), "validate"]) == 2
    assert "splits.test.sha256" in capsys.readouterr().err
    before = (project / "specs" / "data.yaml").read_text()
    assert main(["--project", str(project), "pin-data"]) == 0
    after = (project / "specs" / "data.yaml").read_text()
    changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new]
    assert len(changed) == 1 and "sha256:" in changed[0][1], "only the test split's hash may change"
    assert main(["--project", str(project), "validate"]) == 0


def test_validate_does_not_import_heavy_libraries():
    assert heavy_imports("--project", str(ROOT), "validate") == []


def test_schemas_are_current(tmp_path: Path):
    assert main(["--project", str(ROOT), "schemas", "--out", str(tmp_path)]) == 0
    for path in sorted(tmp_path.iterdir()):
        assert path.read_text() == (ROOT / "schemas" / path.name).read_text(), f"run `schemas`: {path.name} is stale"
