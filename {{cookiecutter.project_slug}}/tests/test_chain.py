"""The chain of a run's files: train and evaluate record them, gate refuses a run changed since."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.files import sha256_file
from {{ cookiecutter.package_name }}.training.chain import canonical_hash, read_gate, verify_judged, verify_run

pytestmark = pytest.mark.slow  # reads the trained smoke run

RUN = Path("artifacts") / "smoke"


@pytest.fixture
def copy(smoke_run: Path, tmp_path: Path) -> Path:
    """A scratch copy of the smoke run's project (the run's files included) that a test may tamper with."""
    shutil.copytree(smoke_run, tmp_path / "p", symlinks=True, ignore=shutil.ignore_patterns(*GATE_OUTPUTS))
    return tmp_path / "p"


GATE_OUTPUTS = ("facts.json", "gate.*", "MODEL_CARD.md", "build.json")


def gate(project: Path, stage: str = "pr") -> int:
    return main(["--project", str(project), "gate", "--stage", stage, "--now", "2026-11-23T12:00:00Z"])


def test_run_json_lists_every_file_train_and_evaluate_wrote(smoke_run: Path):
    run_dir = smoke_run / RUN
    record = json.loads((run_dir / "run.json").read_text())
    assert record["seal"] == canonical_hash(record)
    train, evaluate = record["files"]["train"], record["files"]["evaluate"]
    assert {"model/config.json", "model/model.safetensors", "model/tokenizer.json"} <= set(train)
    assert {"metrics.json", "report.md", "confusion_matrix.png", "slices_channel.png"} == set(evaluate)
    written = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    assert set(train) | set(evaluate) | {"run.json"} == written
    assert all(sha256_file(run_dir / name) == digest for name, digest in {**train, **evaluate}.items())
    assert set(verify_run(run_dir, smoke_run)) == {"run.json", *train, *evaluate}


def test_gate_refuses_metrics_edited_after_evaluate(copy: Path, capsys):
    metrics = copy / RUN / "metrics.json"
    metrics.write_text(metrics.read_text().replace('"macro_f1": 0.', '"macro_f1": 0.99', 1))
    assert gate(copy) == 2
    err = capsys.readouterr().err
    assert "artifacts/smoke/metrics.json changed after `evaluate` wrote it" in err and "run `evaluate` again" in err
    assert not (copy / RUN / "gate.json").exists(), "a refused run gets no verdict"


def test_gate_refuses_a_swapped_model_file(copy: Path, capsys):
    weights = copy / RUN / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    assert gate(copy, "release") == 2
    assert "artifacts/smoke/model/model.safetensors changed after `train` wrote it" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda run: (run / "model" / "extra.bin").write_bytes(b"x"), "model/extra.bin was added after the run"),
        (lambda run: (run / "report.md").unlink(), "report.md was removed after `evaluate` wrote it"),
        (lambda run: (run / "notes").symlink_to("/etc/passwd"), "notes is a symbolic link"),
        (
            lambda run: (run / "run.json").write_text((run / "run.json").read_text().replace('"smoke"', '"smoke2"', 1)),
            "run.json was edited after `train` or `evaluate` wrote it",
        ),
    ],
    ids=["added", "removed", "symlink", "run.json"],
)
def test_gate_refuses_files_added_removed_or_edited(copy: Path, capsys, tamper, message: str):
    tamper(copy / RUN)
    assert gate(copy) == 2
    assert message in capsys.readouterr().err


def test_gate_json_records_what_it_judged_and_build_checks_it(copy: Path, capsys):
    run_dir = copy / RUN
    assert gate(copy) in (0, 1)
    verdict = json.loads((run_dir / "gate.json").read_text())
    hashes = {p.name: sha256_file(p) for p in run_dir.iterdir() if p.is_file()}
    assert verdict["judged"] == {name: hashes[name] for name in ("run.json", "metrics.json", "facts.json")}
    assert verdict["reports"] == {name: hashes[name] for name in ("gate.md", "gate.sarif", "gate.junit.xml")}
    judged = read_gate(run_dir, copy, "gate again")
    assert verify_judged(run_dir, copy, judged, "gate again") == hashes["gate.json"]
    # a genuine gate of the pr stage does not release the run
    assert main(["--project", str(copy), "build"]) == 1
    assert "passed only the 'pr' gate" in capsys.readouterr().err
    # the facts it judged cannot be swapped, and its own verdict cannot be edited
    facts = run_dir / "facts.json"
    facts.write_text(facts.read_text().replace('"stage": "pr"', '"stage": "release"'))
    assert main(["--project", str(copy), "build"]) == 2
    assert "artifacts/smoke/facts.json changed since the gate judged it" in capsys.readouterr().err
    (run_dir / "gate.json").write_text(json.dumps({**verdict, "stage": "release", "passed": True}))
    with pytest.raises(ProjectError, match="gate.json was edited after `gate` wrote it"):
        read_gate(run_dir, copy, "gate again")
