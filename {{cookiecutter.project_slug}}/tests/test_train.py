"""The train command: bad input exits 2 and leaves no run behind; a run has lineage; a killed run resumes."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main

from .conftest import PACKAGE, ROOT, TRAIN_OUTPUT, copy_project, run_cli


def train_fails(project: Path, capsys, *args: str) -> str:
    """Run ``train`` in-process, expect exit 2 without a traceback or a run; return stderr."""
    assert main(["--project", str(project), "train", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not (project / "artifacts" / "latest").exists()
    assert not list((project / "artifacts").glob("*")) if (project / "artifacts").exists() else True
    return err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_missing_data_file(project: Path, capsys):
    (project / "data" / "train.jsonl").unlink()
    assert "splits.train.path: file data/train.jsonl does not exist" in train_fails(project, capsys)


def test_corrupt_data_file(project: Path, capsys):
    (project / "data" / "validation.jsonl").write_bytes(b'{"id": "v1", "text": \xff\xfe not json\n')
    assert main(["--project", str(project), "pin-data"]) == 0
    assert "data/validation.jsonl:1:22: not valid UTF-8 (byte 0xff)" in train_fails(project, capsys)


def test_label_outside_the_label_set(project: Path, capsys):
    path = project / "data" / "train.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    row = json.loads(lines[2])
    lines[2] = json.dumps({**row, "queue": "sales"}) + "\n"
    path.write_text("".join(lines))
    assert main(["--project", str(project), "pin-data"]) == 0
    assert "data/train.jsonl:3:1: queue: label 'sales' is not in the label set" in train_fails(project, capsys)


def test_empty_split(project: Path, capsys):
    (project / "data" / "validation.jsonl").write_text("")
    assert main(["--project", str(project), "pin-data"]) == 0
    assert "the validation split is empty" in train_fails(project, capsys)


def test_local_model_path_that_does_not_exist(project: Path, capsys):
    spec = project / "specs" / "model.yaml"
    text = spec.read_text()
    start, end = text.index("  type: scratch"), text.index("training:")
    spec.write_text(text[:start] + "  type: local\n  path: models/nowhere\n" + text[end:])
    assert "base.path: model directory models/nowhere does not exist" in train_fails(project, capsys)


def test_unknown_profile(project: Path, capsys):
    assert "no profile 'smok'; did you mean 'smoke'?" in train_fails(project, capsys, "--profile", "smok")


def test_nothing_to_resume(project: Path, capsys):
    assert "no interrupted run to resume" in train_fails(project, capsys, "--resume")


@pytest.mark.slow
def test_hub_dataset_offline_is_a_clear_error(project: Path):
    spec = project / "specs" / "data.yaml"
    edit(spec, "  type: local\n", f"  type: huggingface\n  id: acme/tickets\n  revision: {'a' * 40}\n")
    done = run_cli(project, "train", env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2, done.stderr
    assert "source.id: cannot download data/train.jsonl of Hub dataset acme/tickets" in done.stderr
    assert "Traceback" not in done.stderr and not (project / "artifacts").exists()


@pytest.mark.slow
def test_hub_model_offline_is_a_clear_error(project: Path):
    spec = project / "specs" / "model.yaml"
    text = spec.read_text()
    start, end = text.index("  type: scratch"), text.index("training:")
    base = f"  type: huggingface\n  id: acme/encoder\n  revision: {'b' * 40}\n"
    spec.write_text(text[:start] + base + text[end:])
    done = run_cli(project, "train", env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2, done.stderr
    assert "base.id: cannot load the tokenizer from acme/encoder" in done.stderr
    assert "Traceback" not in done.stderr and not (project / "artifacts").exists()


@pytest.mark.slow
def test_a_run_records_its_lineage(smoke_run: Path):
    run = smoke_run / "artifacts" / "smoke"
    assert (smoke_run / "artifacts" / "latest").resolve() == run.resolve()
    record = json.loads((run / "run.json").read_text())
    assert record["run_id"] == "smoke" and record["profile"] == "smoke" and record["model_dir"] == "model"
    digest = hashlib.sha256((smoke_run / "specs" / "model.yaml").read_bytes()).hexdigest()
    assert record["specs"]["model"] == digest and set(record["specs"]) == {
        "data",
        "model",
        "evaluation",
        "deployment",
        "monitoring",
    }
    assert set(record["data"]) == {"train", "validation", "test", "golden"}
    assert record["git"] == {"commit": None, "dirty": None}  # the copy is not a git work tree
    assert record["packages"]["torch"] and record["device"].startswith("cpu")
    assert record["wall_s"] > 0 and record["train_samples_per_s"] > 0
    assert record["training"]["train_rows"] == 600 and record["training"]["hyperparameters"]["epochs"] == 8
    assert sorted(p.name for p in run.iterdir() if p.is_dir()) == ["model"], "checkpoints are not kept"
    assert not list((smoke_run / "artifacts").glob(".incomplete-*"))


@pytest.mark.slow
def test_the_model_loads_with_auto_classes(smoke_run: Path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = smoke_run / "artifacts" / "smoke" / "model"
    model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    labels = json.loads((smoke_run / "artifacts" / "smoke" / "run.json").read_text())["labels"]
    assert [model.config.id2label[i] for i in range(len(labels))] == labels
    assert tokenizer("my parcel never arrived")["input_ids"][0] == tokenizer.cls_token_id


@pytest.mark.slow
@pytest.mark.parametrize("run_id", ["smoke", "default"])
def test_train_prints_a_line_per_epoch_and_why_it_stopped(request, run_id: str):
    project = request.getfixturevalue(f"{run_id}_run")
    done = TRAIN_OUTPUT[run_id]
    training = json.loads((project / "artifacts" / run_id / "run.json").read_text())["training"]
    epochs, most = round(training["epochs"]), math.ceil(training["hyperparameters"]["epochs"])
    best = round(training["best_step"] / (training["steps"] / training["epochs"]))
    lines = done.stdout.splitlines()
    rows = f"training on {training['train_rows']} rows, validating on {training['validation_rows']}: "
    assert lines[0].startswith(rows), lines[0]
    per_epoch = [line for line in lines if re.match(r"epoch +\d+/", line)]
    assert [int(re.match(r"epoch +(\d+)/(\d+)", line)[1]) for line in per_epoch] == list(range(1, epochs + 1))
    assert all(f"/{most}  train loss " in line and " validation loss " in line for line in per_epoch), per_epoch
    assert per_epoch[best - 1].endswith("(best)")
    if epochs < most:
        reason = f"stopped early at epoch {epochs} of {most}: validation loss did not improve for 3 epochs"
    else:
        reason = f"reached the maximum of {most} epochs"
    closing = [n for n, line in enumerate(lines) if line.startswith(f"{reason}; keeping the best epoch, {best} (loss ")]
    where = [n for n, line in enumerate(lines) if line.startswith(f"run {run_id} complete")]
    assert len(closing) == len(where) == 1 and closing[0] > lines.index(per_epoch[-1]), done.stdout
    assert lines[where[0]].endswith(str(project / "artifacts" / run_id))
    shown = done.stdout + done.stderr
    assert "{'loss'" not in shown and "eval_loss" not in shown, "no raw Hugging Face log dicts"
    assert "\r" not in shown and "it/s" not in shown, "no progress bars when the output is not a terminal"


CRASH = """
import os, sys
import transformers.trainer
from transformers import TrainerCallback


class Crash(TrainerCallback):
    # dies like a killed process (no cleanup, no exception) once training reaches the step
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == int(os.environ["CRASH_AT_STEP"]):
            os._exit(137)


transformers.trainer.DEFAULT_CALLBACKS.append(Crash)
from {package}.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_model_and_metrics(smoke_run: Path, tmp_path: Path):
    """Kill a smoke run mid-epoch 2 (after the epoch-1 checkpoint at step 19), resume it, and compare it with the
    uninterrupted run of the smoke_run fixture: same weights, same metrics.json apart from run_id and latency."""
    project = copy_project(tmp_path / "p")
    shutil.copytree(smoke_run / "artifacts", project / "artifacts", symlinks=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CRASH_AT_STEP": "25", "PYTHONDONTWRITEBYTECODE": "1"}
    crash = [sys.executable, "-c", CRASH.format(package=PACKAGE), "--project", str(project), "train"]
    done = subprocess.run([*crash, "--profile", "smoke", "--run-id", "again"], env=env, capture_output=True, text=True)
    assert done.returncode == 137, done.stderr
    work = project / "artifacts" / ".incomplete-again"
    assert [p.name for p in (work / "checkpoints").iterdir()] == ["checkpoint-19"]
    assert os.readlink(project / "artifacts" / "latest") == "smoke", "a failed run leaves latest alone"

    resumed = run_cli(project, "train", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run again from checkpoint-19" in resumed.stdout
    assert os.readlink(project / "artifacts" / "latest") == "again" and not work.exists()
    assert run_cli(project, "evaluate").returncode == 0

    first, second = (project / "artifacts" / run for run in ("smoke", "again"))
    weights = [(run / "model" / "model.safetensors").read_bytes() for run in (first, second)]
    assert hashlib.sha256(weights[0]).digest() == hashlib.sha256(weights[1]).digest()
    assert json.loads((second / "run.json").read_text())["training"]["resumed"] is True
    metrics = [json.loads((run / "metrics.json").read_text()) for run in (first, second)]
    for item in metrics:
        item.pop("run_id"), item.pop("latency")
    assert metrics[0] == metrics[1]
