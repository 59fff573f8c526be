"""migrate: every older spec in tests/fixtures/older-specs/ becomes current, keeps its comments, and stays put."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.specs import EvaluationSpec
from {{ cookiecutter.package_name }}.specs.migrate import STEPS, current_versions, migrate_document
from {{ cookiecutter.package_name }}.specs.yamlio import load_yaml, parse_yaml

from .conftest import ROOT

OLDER = sorted((Path(__file__).parent / "fixtures" / "older-specs").glob("*.yaml"))
#: the lines a migration may rewrite: the apiVersion value and the fields a step moves
REWRITABLE = re.compile(r'^"?(apiVersion|calibration_bins)"?:')


@pytest.mark.parametrize("fixture", OLDER, ids=[path.stem for path in OLDER])
def test_an_older_spec_becomes_current_keeping_every_other_byte(fixture: Path):
    original = fixture.read_text(encoding="utf-8")
    text, changes = migrate_document(load_yaml(fixture))
    assert changes and changes[-1].endswith("-> gated-ml/v2")
    migrated = parse_yaml(text, fixture, fixture.name)
    EvaluationSpec.model_validate(migrated.data)  # the result is a valid spec of this release
    removed = [line[2:] for line in difflib.ndiff(original.splitlines(), text.splitlines()) if line.startswith("- ")]
    assert all(REWRITABLE.match(line) for line in removed), removed
    for line in original.splitlines():  # comments are kept byte for byte, wherever they were
        if "#" in line:
            assert line[line.index("#") :] in text, line
    again, more = migrate_document(migrated)
    assert (again, more) == (text, []), "a second migrate changes nothing"


def test_the_shipped_specs_are_current_and_every_step_reaches_the_current_version():
    current = current_versions()
    for stem in ("data", "model", "evaluation", "deployment"):
        doc = load_yaml(ROOT / "specs" / f"{stem}.yaml")
        assert doc.data["apiVersion"] == current[doc.data["kind"]]
    for (kind, source), step in STEPS.items():
        assert step.kind == kind and step.source == source and kind in current
        version = step.target
        while (kind, version) in STEPS:
            version = STEPS[(kind, version)].target
        assert version == current[kind], f"{kind} {source} does not migrate to {current[kind]}"


def test_validate_points_at_apiversion_and_migrate_rewrites_in_place(tmp_path: Path, capsys):
    project = tmp_path / "project"
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, project / name)
    spec = project / "specs" / "evaluation.yaml"
    shutil.copy(OLDER[0].parent / "evaluation-v1-shipped.yaml", spec)
    assert main(["--project", str(project), "validate", "--skip-data"]) == 2
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(spec.read_text().splitlines(), 1) if text.startswith("apiVersion:"))
    assert f"evaluation.yaml:{line}:13: apiVersion: gated-ml/v1 is an older EvaluationSpec format" in err
    assert "migrate" in err and "unknown field" not in err, "an older spec gets one problem: migrate"
    assert main(["--project", str(project), "migrate", "--check"]) == 1
    assert main(["--project", str(project), "migrate"]) == 0
    out = capsys.readouterr().out
    assert "calibration_bins -> calibration.bins; apiVersion gated-ml/v1 -> gated-ml/v2" in out
    assert main(["--project", str(project), "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["--project", str(project), "validate", "--skip-data"]) == 0


def test_migrate_refuses_a_symlink_and_a_broken_file(tmp_path: Path, capsys):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "evaluation.yaml").symlink_to(OLDER[0])
    (tmp_path / "specs" / "model.yaml").write_text("apiVersion: [unclosed\n")
    assert main(["--project", str(tmp_path), "migrate"]) == 2
    err = capsys.readouterr().err
    assert "evaluation.yaml:1:1: is a symbolic link" in err and "model.yaml:2:1: invalid YAML" in err
    assert OLDER[0].read_text().count("gated-ml/v1") == 1, "the link's target is untouched"
