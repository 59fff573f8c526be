"""``train``: fit the model that ``specs/model.yaml`` declares on the data of ``specs/data.yaml``.

Reads the specs and nothing else. The run is built in ``artifacts/.incomplete-<run-id>/`` (with the
Trainer's checkpoints) and moved to ``artifacts/<run-id>/`` only when complete, together with
``artifacts/latest``; a failed or killed run never moves ``latest``. ``--resume`` continues the
newest interrupted run from its last complete checkpoint and ends with the same model as an
uninterrupted run. More than one GPU in the spec starts ``accelerate launch`` or ``torchrun``
(see ``launch``). Exits 2 on bad specs, data or base model, and on bad state on disk: a run id
that is taken (reserved atomically), an interrupted run whose files are damaged (see
``checkpoints``), or a disk that fills up while the run writes (``latest`` is left alone).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..errors import ProjectError
from ..files import atomic_write_text
from ..specs.common import did_you_mean
from ..specs.model import Resources, Training
from ..specs.problems import located
from ..specs.project import Project, find_root, load_project
from . import chain, checkpoints, launch
from .checkpoints import STATE
from .runs import INCOMPLETE, artifacts_dir, new_run_id, publish_run, release_reservation, reserve_run

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
    reserved = False
    if args.resume:
        run_id, work, state = _interrupted(root, artifacts, args.run_id)
        profile = _resumable(project, state, args.profile)
        _check_profile(project, profile)
    elif launch.inside_launcher() and args.run_id:  # one rank: the launching process reserved the id
        profile, run_id, state = args.profile, args.run_id, None
        work = artifacts / f"{INCOMPLETE}{run_id}"
    else:
        profile, run_id, state = args.profile, _new_run_id(args.run_id), None
        _check_profile(project, profile)
        work, reserved = reserve_run(artifacts, run_id), True
    try:
        return _launch_or_train(args, root, project, profile, run_id, work, state, started)
    finally:
        if reserved:  # a run that failed before it wrote its state leaves nothing behind
            release_reservation(work)


def _launch_or_train(args, root: Path, project: Project, profile, run_id: str, work: Path, state, started) -> int:
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
    from . import lineage, progress

    parts = project.task.module("training")  # what differs per task (see tasks.TrainingParts)
    training = project.model.training_for(profile)
    limits = project.model.profiles[profile] if profile else None
    splits = parts.load_splits(project, ["train", "validation"])
    train_split = splits["train"].head(limits and limits.max_train_rows)
    validation = splits["validation"].head(limits and limits.max_eval_rows)

    import transformers
    from transformers import EarlyStoppingCallback, Trainer, TrainingArguments

    transformers.set_seed(training.seed)
    transformers.logging.set_verbosity_warning()
    transformers.logging.disable_progress_bar()  # per-file bars; progress.install replaces the Trainer's
    saved_tokenizer = work / "tokenizer"  # a trained tokenizer is kept for --resume
    if saved_tokenizer.is_dir():
        tokenizer = checkpoints.load_saved_tokenizer(work, project.root)
    else:
        tokenizer = parts.load_tokenizer(project, train_split, training.max_length)
    model = parts.load_model(project, tokenizer, training.max_length, work)
    if _rank() == 0 and state is None:  # the run's state is written once its inputs all loaded
        state = {"run_id": run_id, "created": lineage.now_iso(), "profile": profile}
        state |= {"specs": lineage.spec_hashes(project.root), "data": _data_hashes(project)}
        with _out_of_space(work, project.root, run_id, resumable=False):
            tokenizer.save_pretrained(saved_tokenizer)
            atomic_write_text(work / STATE, json.dumps(state, indent=2) + "\n")
    args = TrainingArguments(**training_arguments(training, project.model.resources, work / CHECKPOINTS))
    started_steps = _step_watch()
    callbacks = [started_steps]
    if training.early_stopping:
        es = training.early_stopping
        callbacks.append(
            EarlyStoppingCallback(early_stopping_patience=es.patience, early_stopping_threshold=es.min_delta)
        )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=parts.dataset(train_split, tokenizer, training.max_length),
        eval_dataset=parts.dataset(validation, tokenizer, training.max_length),
        processing_class=tokenizer,
        data_collator=parts.collator(tokenizer),
        compute_metrics=parts.compute_metrics,
        callbacks=callbacks,
    )
    progress.install(trainer, train_rows=len(train_split), validation_rows=len(validation))
    checkpoint = checkpoints.newest_checkpoint(work / CHECKPOINTS, project.root)
    if checkpoint:
        checkpoints.check_checkpoint(checkpoint, project.root)
        print(f"resuming run {run_id} from {checkpoint.name}", flush=True)
    start = json.loads((checkpoint / "trainer_state.json").read_text())["epoch"] if checkpoint else 0.0
    try:
        with _out_of_space(work, project.root, run_id, resumable=True):
            result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
            saved = parts.save(trainer, tokenizer, work)  # every rank: sharded weights gather to rank 0
    except KeyboardInterrupt:
        print(f"\nrun {run_id} stopped; `train --resume` continues it from its last checkpoint", file=sys.stderr)
        raise
    except ProjectError:
        raise
    except Exception as err:
        if checkpoint and not started_steps.seen:  # the Trainer failed to load the checkpoint
            raise checkpoints.checkpoint_load_error(checkpoint, project.root, err) from None
        raise
    if trainer.is_world_process_zero():
        trained = (trainer.state.epoch - start) * len(train_split)
        record = {
            "run_id": run_id,
            "created": state["created"],
            "profile": profile,
            "git": lineage.git_state(project.root),
            "specs": state["specs"],
            "data": state["data"],
            "task": project.task.name,
            **parts.run_fields(project),
            "base": project.model.base.model_dump(mode="json"),
            "packages": lineage.package_versions(),
            "device": lineage.describe_device(args.device),
            "wall_s": round(time.perf_counter() - started, 2),
            "train_samples_per_s": round(trained / max(result.metrics["train_runtime"], 1e-9), 2),
            **saved,
            "training": _summary(
                trainer, training, limits, len(train_split), len(validation), bool(checkpoint), parts.VALIDATION_METRICS
            ),
        }
        with _out_of_space(work, project.root, run_id, resumable=True):
            _publish(work, record)
    return 0


def _step_watch():
    """A Trainer callback whose ``seen`` turns true when a training step begins (loading a checkpoint is over)."""
    from transformers import TrainerCallback

    class StepWatch(TrainerCallback):
        seen = False

        def on_step_begin(self, args, state, control, **kwargs) -> None:
            self.seen = True

    return StepWatch()


@contextlib.contextmanager
def _out_of_space(work: Path, root: Path, run_id: str, resumable: bool):
    """Turn a write that found no room (full disk, quota, file size limit) into one line and exit 2."""
    try:
        yield
    except Exception as err:
        if checkpoints.no_space(err):
            raise checkpoints.no_space_error(work, root, run_id, err, resumable) from None
        raise


def _publish(work: Path, record: dict) -> None:
    """Write ``run.json``, drop what only an unfinished run needs, and move the run into place."""
    atomic_write_text(work / "run.json", json.dumps(record, indent=2) + "\n")
    for leftover in (CHECKPOINTS, "tokenizer", STATE):
        path = work / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    chain.record(work, "train")  # the sha256 of every file of the run, in run.json
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


def _summary(
    trainer, training: Training, limits, train_rows: int, validation_rows: int, resumed: bool, names: tuple[str, ...]
) -> dict:
    """What the run did: effective hyper-parameters, rows, epochs and the chosen model's validation scores
    (the task's ``names``)."""
    state = trainer.state
    evaluations = [entry for entry in state.log_history if "eval_loss" in entry]
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
        "validation": {name: round(chosen[f"eval_{name}"], 6) for name in names if f"eval_{name}" in chosen},
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


def _new_run_id(wanted: str | None) -> str:
    run_id = wanted or new_run_id()
    if not re.match(RUN_ID_PATTERN, run_id):
        raise ProjectError(f"--run-id {run_id!r}: use letters, digits, '.', '_' and '-' only")
    return run_id


def _interrupted(root: Path, artifacts: Path, wanted: str | None) -> tuple[str, Path, dict]:
    """``(run_id, work dir, state)`` of the interrupted run to resume: ``wanted``, or the newest."""
    if wanted and (artifacts / wanted / "run.json").exists():
        raise ProjectError(
            f"run {wanted!r} is complete and published in {artifacts / wanted}; there is nothing to resume: "
            "choose another --run-id to train a new run"
        )
    candidates = sorted(artifacts.glob(f"{INCOMPLETE}*/{STATE}")) if artifacts.is_dir() else []
    if wanted:
        candidates = [p for p in candidates if p.parent.name == f"{INCOMPLETE}{wanted}"]
    if not candidates:
        which = f"run {wanted!r}" if wanted else "run"
        raise ProjectError(f"no interrupted {which} to resume in {artifacts}; start one with `train`")
    work = candidates[-1].parent
    run_id = work.name.removeprefix(INCOMPLETE)
    return run_id, work, checkpoints.read_state(work, root, run_id)


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
