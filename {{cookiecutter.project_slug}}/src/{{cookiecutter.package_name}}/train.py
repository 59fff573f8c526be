"""``train``: fit the model that ``specs/model.yaml`` declares on the data of ``specs/data.yaml``.

Reads the specs and nothing else. The run is built in ``artifacts/.incomplete-<run-id>/`` (with the
Trainer's checkpoints) and moved to ``artifacts/<run-id>/`` only when complete, together with
``artifacts/latest``; a failed or killed run never moves ``latest``. ``--resume`` continues the
newest interrupted run from its last complete checkpoint and ends with the same model as an
uninterrupted run. More than one GPU in the spec starts ``accelerate launch`` or ``torchrun``
(see ``launch``). Exits 2 on bad specs, data or base model.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import launch
from .errors import ProjectError
from .files import atomic_write_text
from .runs import artifacts_dir, new_run_id, publish_run
from .specs.common import did_you_mean
from .specs.model import Resources, Training
from .specs.problems import located
from .specs.project import Project, find_root, load_project

INCOMPLETE = ".incomplete-"
STATE = "state.json"  # what an interrupted run was started with, checked by --resume
CHECKPOINTS = "checkpoints"
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", default=None, help="apply a profile of specs/model.yaml (e.g. smoke)")
    parser.add_argument(
        "--resume", action="store_true", help="continue the newest interrupted run (or --run-id's) from its checkpoint"
    )
    parser.add_argument(
        "--run-id", default=None, help="id of the new run (default: time-based) or of the run to resume"
    )


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    root = args.project.resolve() if args.project else find_root()
    project = load_project(root)  # every spec, the cross-spec rules, the local data hashes
    artifacts = artifacts_dir(root)
    if args.resume:
        run_id, work, state = _interrupted(artifacts, args.run_id)
        profile = _resumable(project, state, args.profile)
    else:
        profile = args.profile
        # one rank of a launched run: the launching process chose the id and checked it
        run_id = args.run_id if launch.inside_launcher() and args.run_id else _new_run_id(artifacts, args.run_id)
        work, state = artifacts / f"{INCOMPLETE}{run_id}", None
    _check_profile(project, profile)
    resources = project.model.resources
    if launch.needed(resources) and not launch.inside_launcher():
        launch.check_gpus(resources)
        train_args = ["--project", str(root), "train", "--run-id", run_id]
        train_args += ["--profile", profile] if profile else []
        train_args += ["--resume"] if args.resume else []
        cmd = launch.command(resources, __package__, train_args)
        print(f"launching {resources.gpus * resources.nodes} processes: {shlex.join(cmd)}", flush=True)
        return subprocess.run(cmd, check=False).returncode
    if resources.gpus:
        launch.check_gpus(resources)
    return _train(project, profile, run_id, work, state, started)


def _train(project: Project, profile: str | None, run_id: str, work: Path, state: dict | None, started: float) -> int:
    from . import data, lineage, modeling, progress

    training = project.model.training_for(profile)
    limits = project.model.profiles[profile] if profile else None
    splits = data.load_splits(project, ["train", "validation"])
    train_split = splits["train"].head(limits and limits.max_train_rows)
    validation = splits["validation"].head(limits and limits.max_eval_rows)

    import sklearn.metrics  # noqa: F401  (used by _validation_metrics: imported before the training clock starts)
    import transformers
    from transformers import EarlyStoppingCallback, Trainer, TrainingArguments

    transformers.set_seed(training.seed)
    transformers.logging.set_verbosity_warning()
    transformers.logging.disable_progress_bar()  # per-file bars; progress.install replaces the Trainer's
    saved_tokenizer = work / "tokenizer"  # a trained tokenizer is kept for --resume
    if saved_tokenizer.is_dir():
        tokenizer = transformers.AutoTokenizer.from_pretrained(saved_tokenizer)
    else:
        tokenizer = modeling.load_tokenizer(project, train_split.texts, training.max_length)
    model = modeling.load_model(project, tokenizer, training.max_length)
    if _rank() == 0 and state is None:  # the run directory appears once its inputs all loaded
        state = {"run_id": run_id, "created": lineage.now_iso(), "profile": profile}
        state |= {"specs": lineage.spec_hashes(project.root), "data": _data_hashes(project)}
        tokenizer.save_pretrained(saved_tokenizer)
        atomic_write_text(work / STATE, json.dumps(state, indent=2) + "\n")
    args = TrainingArguments(**training_arguments(training, project.model.resources, work / CHECKPOINTS))
    callbacks = []
    if training.early_stopping:
        es = training.early_stopping
        callbacks.append(
            EarlyStoppingCallback(early_stopping_patience=es.patience, early_stopping_threshold=es.min_delta)
        )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=_encode(train_split, tokenizer, training.max_length),
        eval_dataset=_encode(validation, tokenizer, training.max_length),
        processing_class=tokenizer,
        compute_metrics=_validation_metrics,
        callbacks=callbacks,
    )
    progress.install(trainer, train_rows=len(train_split), validation_rows=len(validation))
    checkpoint = last_checkpoint(work / CHECKPOINTS)
    if checkpoint:
        print(f"resuming run {run_id} from {checkpoint.name}", flush=True)
    start = json.loads((checkpoint / "trainer_state.json").read_text())["epoch"] if checkpoint else 0.0
    try:
        result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    except KeyboardInterrupt:
        print(f"\nrun {run_id} stopped; `train --resume` continues it from its last checkpoint", file=sys.stderr)
        raise
    trainer.save_model(str(work / "model"))
    if trainer.is_world_process_zero():
        trained = (trainer.state.epoch - start) * len(train_split)
        record = {
            "run_id": run_id,
            "created": state["created"],
            "profile": profile,
            "git": lineage.git_state(project.root),
            "specs": state["specs"],
            "data": state["data"],
            "labels": list(project.model.labels),
            "base": project.model.base.model_dump(mode="json"),
            "packages": lineage.package_versions(),
            "device": lineage.describe_device(args.device),
            "wall_s": round(time.perf_counter() - started, 2),
            "train_samples_per_s": round(trained / max(result.metrics["train_runtime"], 1e-9), 2),
            "model_dir": "model",
            "training": _summary(trainer, training, limits, len(train_split), len(validation), bool(checkpoint)),
        }
        _publish(work, record)
    return 0


def _publish(work: Path, record: dict) -> None:
    """Write ``run.json``, drop what only an unfinished run needs, and move the run into place."""
    atomic_write_text(work / "run.json", json.dumps(record, indent=2) + "\n")
    for leftover in (CHECKPOINTS, "tokenizer", STATE):
        path = work / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    run_dir = work.parent / record["run_id"]
    publish_run(work, run_dir)
    scores = ", ".join(f"{name} {value}" for name, value in record["training"]["validation"].items())
    print(f"run {record['run_id']} complete in {record['wall_s']} s ({scores} on validation): {run_dir}")


def training_arguments(training: Training, resources: Resources, output_dir: Path) -> dict:
    """Keyword arguments of ``transformers.TrainingArguments`` for the spec's training fields.

    Evaluates and checkpoints once per epoch; with early stopping, the best checkpoint on the
    validation split is the final model.
    """
    watch = training.early_stopping.metric if training.early_stopping else None
    return {
        "output_dir": str(output_dir),
        "seed": training.seed,
        "data_seed": training.seed,
        "per_device_train_batch_size": training.batch_size,
        "per_device_eval_batch_size": training.eval_batch_size,
        "gradient_accumulation_steps": training.gradient_accumulation_steps,
        "learning_rate": training.learning_rate,
        "lr_scheduler_type": training.scheduler,
        "warmup_steps": training.warmup_ratio,  # a float below 1 is a share of all steps
        "weight_decay": training.weight_decay,
        "num_train_epochs": training.epochs or 1.0,
        "max_steps": training.max_steps or -1,
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
        "logging_strategy": "epoch",
        "save_total_limit": training.checkpoints_to_keep,
        "load_best_model_at_end": watch is not None,
        "metric_for_best_model": watch,
        "greater_is_better": None if watch is None else watch != "loss",
        "bf16": training.precision == "bf16",
        "fp16": training.precision == "fp16",
        "use_cpu": resources.gpus == 0,
        "fsdp": "full_shard auto_wrap" if resources.strategy == "fsdp" and launch.needed(resources) else "",
        "report_to": "none",
        "disable_tqdm": True,  # progress.install shows the run's progress instead
        "log_level": "warning",
        "dataloader_num_workers": 0,
    }


def last_checkpoint(directory: Path) -> Path | None:
    """The checkpoint with the highest step whose ``trainer_state.json`` (written last) is complete."""
    complete = []
    for path in directory.glob("checkpoint-*"):
        try:
            json.loads((path / "trainer_state.json").read_text())
            complete.append((int(path.name.split("-", 1)[1]), path))
        except (OSError, ValueError):
            continue  # killed while writing it
    return max(complete)[1] if complete else None


def _validation_metrics(prediction) -> dict:
    """Accuracy and macro-F1 of the validation split, for early stopping and the log."""
    from .metrics import macro_f1

    predicted, labels = prediction.predictions.argmax(axis=1), prediction.label_ids
    every = range(prediction.predictions.shape[1])
    return {"accuracy": round(float((predicted == labels).mean()), 6), "macro_f1": macro_f1(labels, predicted, every)}


def _encode(split, tokenizer, max_length: int):
    """A ``datasets.Dataset`` of token ids and labels (padding happens per batch)."""
    import datasets

    table = datasets.Dataset.from_dict({"text": split.texts, "label": split.labels})
    return table.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["text"],
    )


def _summary(trainer, training: Training, limits, train_rows: int, validation_rows: int, resumed: bool) -> dict:
    """What the run did: effective hyper-parameters, rows, epochs and the chosen model's validation scores."""
    state = trainer.state
    evaluations = [entry for entry in state.log_history if "eval_macro_f1" in entry]
    best = [e for e in evaluations if e["step"] == state.best_global_step]
    chosen = (best or evaluations or [{}])[-1]
    return {
        "hyperparameters": training.model_dump(mode="json"),
        "max_train_rows": limits.max_train_rows if limits else None,
        "max_eval_rows": limits.max_eval_rows if limits else None,
        "train_rows": train_rows,
        "validation_rows": validation_rows,
        "epochs": round(state.epoch, 4),
        "steps": state.global_step,
        "best_step": state.best_global_step,
        "resumed": resumed,
        "validation": {
            key.removeprefix("eval_"): round(chosen[key], 6)
            for key in ("eval_accuracy", "eval_macro_f1", "eval_loss")
            if key in chosen
        },
    }


def _data_hashes(project: Project) -> dict[str, str]:
    """``{split: sha256}`` of every split file, as pinned (and verified) in specs/data.yaml."""
    return {split: entry.sha256 for split, entry in project.data.splits if entry is not None}


def _rank() -> int:
    import os

    return int(os.environ.get("RANK", "0"))


def _check_profile(project: Project, profile: str | None) -> None:
    known = project.model.profiles
    if profile is not None and profile not in known:
        names = ", ".join(known) or "none"
        raise ProjectError(
            [
                located(
                    project.docs["model"],
                    ("profiles",),
                    f"no profile {profile!r}{did_you_mean(profile, known)} (known: {names})",
                )
            ]
        )


def _new_run_id(artifacts: Path, wanted: str | None) -> str:
    run_id = wanted or new_run_id()
    if not re.match(RUN_ID_PATTERN, run_id):
        raise ProjectError(f"--run-id {run_id!r}: use letters, digits, '.', '_' and '-' only")
    if (artifacts / run_id).exists() or (artifacts / f"{INCOMPLETE}{run_id}").exists():
        raise ProjectError(f"run {run_id!r} already exists in {artifacts}; pick another --run-id or pass --resume")
    return run_id


def _interrupted(artifacts: Path, wanted: str | None) -> tuple[str, Path, dict]:
    """``(run_id, work dir, state)`` of the interrupted run to resume: ``wanted``, or the newest."""
    candidates = sorted(artifacts.glob(f"{INCOMPLETE}*/{STATE}")) if artifacts.is_dir() else []
    if wanted:
        candidates = [p for p in candidates if p.parent.name == f"{INCOMPLETE}{wanted}"]
    if not candidates:
        which = f"run {wanted!r}" if wanted else "run"
        raise ProjectError(f"no interrupted {which} to resume in {artifacts}; start one with `train`")
    path = candidates[-1]
    return path.parent.name.removeprefix(INCOMPLETE), path.parent, json.loads(path.read_text())


def _resumable(project: Project, state: dict, profile: str | None) -> str | None:
    """The interrupted run's profile, after checking that specs, data and profile are unchanged."""
    from .lineage import spec_hashes

    if profile is not None and profile != state["profile"]:
        raise ProjectError(
            f"run {state['run_id']} was started with profile {state['profile']!r}, not {profile!r}; "
            "resume it without --profile or start a new run"
        )
    specs, data = spec_hashes(project.root), _data_hashes(project)
    changed = [f"specs/{stem}.yaml" for stem, digest in specs.items() if state["specs"].get(stem) != digest]
    changed += [f"the {split} data" for split, digest in data.items() if state["data"].get(split) != digest]
    if changed:
        raise ProjectError(
            f"{', '.join(changed)} changed since run {state['run_id']} started, so it cannot be resumed; "
            "start a new run with `train`"
        )
    return state["profile"]
