"""A local base model: inside the project, pinned by sha256 like the data, checked by validate and train."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main

from .runfixtures import write_run


def use_local_base(project: Path, path: str, sha256: str | None = None) -> Path:
    """Make ``specs/model.yaml`` fine-tune the local directory ``path`` (MIT weights); returns the spec."""
    spec = project / "specs" / "model.yaml"
    text = spec.read_text()
    start, end = text.index("\nbase:\n") + len("\nbase:\n"), text.index("\ntraining:\n") + 1
    pin = f"  sha256: {sha256}\n" if sha256 else ""
    spec.write_text(text[:start] + f"  type: local\n  path: {path}\n{pin}  license: MIT\n" + text[end:])
    return spec


@pytest.fixture
def weights(project: Path) -> Path:
    """A small save_pretrained-like directory inside the project."""
    folder = project / "models" / "base"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "bert"}\n')
    (folder / "sub" / "weights.bin").write_bytes(bytes(range(256)))
    return folder


def listing_hash(folder: Path) -> str:
    """The pin as documented: sha256 of the sha256sum listing of every file, sorted by path."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    lines = [f"{hashlib.sha256((folder / name).read_bytes()).hexdigest()}  {name}\n" for name in files]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if fragment in text)


def test_an_absolute_path_outside_the_project_is_refused(project: Path, capsys):
    spec = use_local_base(project, "/usr/lib", "b" * 64)
    assert main(["--project", str(project), "validate"]) == 2
    assert f"model.yaml:{line_of(spec, 'path: /usr/lib')}:9: base.path: '/usr/lib'" in capsys.readouterr().err


def test_a_link_leading_outside_the_project_is_refused(project: Path, weights: Path, tmp_path_factory, capsys):
    outside = tmp_path_factory.mktemp("elsewhere")
    (project / "models" / "out").symlink_to(outside)
    spec = use_local_base(project, "models/out", "b" * 64)
    assert main(["--project", str(project), "validate"]) == 2
    err = capsys.readouterr().err
    assert f"model.yaml:{line_of(spec, 'path: models/out')}:9: base.path: models/out leads outside the project" in err
    (weights / "passwd").symlink_to("/etc/passwd")
    use_local_base(project, "models/base", listing_hash(weights))
    assert main(["--project", str(project), "validate"]) == 2
    assert "base.path: models/base/passwd is a symbolic link" in capsys.readouterr().err


def test_a_wrong_hash_is_refused_until_pinned(project: Path, weights: Path, capsys):
    spec = use_local_base(project, "models/base", "a" * 64)
    assert main(["--project", str(project), "validate"]) == 2
    expected = f"model.yaml:{line_of(spec, 'sha256: aaaa')}:11: base.sha256: models/base/ has sha256"
    assert expected in capsys.readouterr().err
    assert main(["--project", str(project), "train"]) == 2, "train checks the pin before it loads anything"
    assert "run the `pin-data` command" in capsys.readouterr().err and not (project / "artifacts").exists()
    assert main(["--project", str(project), "pin-data"]) == 0
    assert f"sha256: {listing_hash(weights)}" in spec.read_text()
    assert main(["--project", str(project), "validate"]) == 0
    (weights / "sub" / "weights.bin").write_bytes(b"swapped")
    assert main(["--project", str(project), "pin-data", "--check"]) == 1


def test_pin_data_adds_a_missing_pin_and_the_facts_carry_it(project: Path, weights: Path, capsys):
    spec = use_local_base(project, "models/base")
    assert main(["--project", str(project), "validate"]) == 2
    assert "base: the local base is not pinned" in capsys.readouterr().err
    assert main(["--project", str(project), "pin-data"]) == 0
    lines = spec.read_text().splitlines()
    assert lines[line_of(spec, "path: models/base")] == f"  sha256: {listing_hash(weights)}"
    run_dir = write_run(project)
    assert main(["--project", str(project), "gate", "--stage", "pr", "--now", "2026-11-23T12:00:00Z"]) in (0, 1)
    facts = json.loads((run_dir / "facts.json").read_text())
    assert facts["specs"]["model"]["base"]["sha256"] == listing_hash(weights)
    assert facts["licenses"]["base_model"]["id"] == "MIT"
