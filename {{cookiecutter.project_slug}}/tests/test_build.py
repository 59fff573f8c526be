"""The build command: a bento from a run that passed the release gate, and nothing from one that did not."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.training.chain import sealed_text
from {{ cookiecutter.package_name }}.training.runs import artifacts_dir

from .tiny_run import RUN_ID, clone_run, copy_project, write_run

pytestmark = pytest.mark.slow  # builds a model and a bento


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("build"))
    write_run(root)
    return root


def bento_yaml(bento: str) -> dict:
    name, version = bento.split(":")
    return YAML(typ="safe").load(Path(os.environ["BENTOML_HOME"], "bentos", name, version, "bento.yaml"))


def test_build_makes_a_bento_that_carries_the_spec(root: Path, capsys):
    spec = load_project(root).deployment.service
    assert main(["--project", str(root), "build"]) == 0
    assert f"built bento {spec.name}:{RUN_ID}" in capsys.readouterr().out
    record = json.loads((root / "artifacts" / RUN_ID / "build.json").read_text())
    info = bento_yaml(record["bento"])
    assert record["bento"] == f"{spec.name}:{RUN_ID}"
    assert record["image"] == f"{spec.image}:{RUN_ID}"
    [service] = info["services"]
    assert service["config"]["resources"] == {
        "cpu": spec.resources.cpu,
        "memory": spec.resources.memory,
        "gpu": spec.resources.gpu,
        "gpu_type": spec.resources.gpu_type,
    }
    assert service["config"]["traffic"] == {
        "timeout": spec.traffic.timeout_s,
        "concurrency": spec.traffic.concurrency,
        "max_concurrency": spec.traffic.max_concurrency,
    }
    assert [m["tag"] for m in service["models"]] == [record["model"]]
    assert info["args"]["batching"] == spec.batching.model_dump()
    assert info["args"]["limits"] == spec.limits.model_dump()
    assert info["labels"]["run-id"] == RUN_ID
    assert info["labels"]["git-commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert info["image"]["python_version"] == (root / ".python-version").read_text().strip()
    assert "torch==" in info["image"]["python_requirements"]
    [route] = info["schema"]["routes"]
    assert route["batchable"] is True
    # the bento carries the service and what it imports, nothing else of the package
    files = {p.name for p in Path(os.environ["BENTOML_HOME"], "bentos", spec.name, RUN_ID, "src").rglob("*.py")}
    assert files == {"__init__.py", "config.py", "guard.py", "predlog.py", "service.py"}


def test_model_store_holds_the_lineage(root: Path):
    import bentoml

    assert main(["--project", str(root), "build"]) == 0  # building again reuses the model and the bento
    model = bentoml.models.get(f"{load_project(root).model.name}:{RUN_ID}")
    assert model.info.labels["run-id"] == RUN_ID
    assert len(model.info.labels["specs-sha256"]) == 64
    assert model.info.metadata["metrics"]["macro_f1"] == 0.9


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"passed": False, "verdict": "blocked"}, "the release gate blocked run"),
        ({"stage": "pr"}, "passed only the 'pr' gate"),
        ({"run_id": "someone-else"}, "is the gate of run 'someone-else'"),
    ],
)
def test_a_run_without_a_passed_release_gate_is_not_built(root: Path, capsys, gate: dict, message: str):
    run_id = f"20260103-000000-{len(message):04x}"
    run_dir = clone_run(root, run_id, gate)
    assert main(["--project", str(root), "build", "--run", run_id]) == 1
    assert message in capsys.readouterr().err
    assert not (run_dir / "build.json").exists()
    service = load_project(root).deployment.service.name
    assert not Path(os.environ["BENTOML_HOME"], "bentos", service, run_id).exists()


def test_a_hand_written_or_borrowed_gate_is_refused(root: Path, capsys):
    run_id = "20260106-000000-0000"
    run_dir = clone_run(root, run_id)
    genuine = (run_dir / "gate.json").read_text()
    (run_dir / "gate.json").write_text(json.dumps({"run_id": run_id, "stage": "release", "passed": True}))
    assert main(["--project", str(root), "build", "--run", run_id]) == 2
    assert "gate.json has no seal, so `gate` did not write it" in capsys.readouterr().err
    # the genuine gate of another run, its run id edited (and even sealed again), judged other files
    borrowed = json.loads((artifacts_dir(root) / RUN_ID / "gate.json").read_text())
    (run_dir / "gate.json").write_text(json.dumps({**borrowed, "run_id": run_id}))
    assert main(["--project", str(root), "build", "--run", run_id]) == 2
    assert "gate.json was edited after `gate` wrote it" in capsys.readouterr().err
    (run_dir / "gate.json").write_text(sealed_text({**borrowed, "run_id": run_id}))
    assert main(["--project", str(root), "build", "--run", run_id]) == 2
    assert f"artifacts/{run_id}/run.json changed since the gate judged it" in capsys.readouterr().err
    (run_dir / "gate.json").write_text(genuine)
    (run_dir / "metrics.json").write_text(json.dumps({"run_id": run_id, "test": {"macro_f1": 0.99}}))
    assert main(["--project", str(root), "build", "--run", run_id]) == 2
    assert f"artifacts/{run_id}/metrics.json changed after `evaluate` wrote it" in capsys.readouterr().err
    assert not (run_dir / "build.json").exists()


def test_a_run_never_gated_is_not_built(root: Path, capsys):
    run_dir = clone_run(root, "20260104-000000-0000")
    (run_dir / "gate.json").unlink()
    assert main(["--project", str(root), "build", "--run", "20260104-000000-0000"]) == 1
    assert "has no gate result" in capsys.readouterr().err


def test_specs_changed_since_training_block_the_build(tmp_path: Path, root: Path, capsys):
    changed = tmp_path / "project"
    shutil.copytree(root, changed, symlinks=True)
    spec = changed / "specs" / "deployment.yaml"
    spec.write_text(spec.read_text().replace("max_replicas: 6", "max_replicas: 7"))
    assert main(["--project", str(changed), "build"]) == 1
    assert "specs/deployment.yaml changed since run" in capsys.readouterr().err
