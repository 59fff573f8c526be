"""Hand-written run directories that follow the run.json / metrics.json contract, for gate tests.

They stand in for `train` + `evaluate` output so the gate, card and diff tests run in
milliseconds; the values are those of a good run of the default project.
"""

from __future__ import annotations

import json
from pathlib import Path

from {{ cookiecutter.package_name }}.files import sha256_file
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.training import chain
from {{ cookiecutter.package_name }}.training.runs import artifacts_dir, publish_run

LABELS = ["billing", "technical", "account", "shipping", "returns"]


def good_metrics(run_id: str) -> dict:
    """Metrics of a run that passes every default rule."""
    per_class = {label: {"precision": 0.91, "recall": 0.9, "f1": 0.905, "support": 60} for label in LABELS}
    return {
        "run_id": run_id,
        "split": "test",
        "primary_metric": "macro_f1",
        "test": {
            "rows": 300,
            "accuracy": 0.913,
            "macro_f1": 0.91,
            "weighted_f1": 0.911,
            "macro_precision": 0.912,
            "macro_recall": 0.909,
            "ece": 0.041,
            "per_class": per_class,
            "confusion_matrix": {
                "labels": LABELS,
                "matrix": [[54 if i == j else 1 for j in range(5)] for i in range(5)],
            },
        },
        "slices": {
            "channel": {
                "email": {"rows": 135, "accuracy": 0.95, "macro_f1": 0.948},
                "chat": {"rows": 105, "accuracy": 0.92, "macro_f1": 0.918},
                "phone": {"rows": 60, "accuracy": 0.85, "macro_f1": 0.846},
            }
        },
        "slice_gaps": {"channel": {"metric": "macro_f1", "gap": 0.102, "best": "email", "worst": "phone"}},
        "max_slice_gap": 0.102,
        "golden": {"rows": 40, "passed": 40, "pass_rate": 1.0, "failures": []},
        "robustness": {
            "lowercase": {"macro_f1": 0.91, "drop": 0.0},
            "typos": {"macro_f1": 0.862, "drop": 0.048},
            "drop_words": {"macro_f1": 0.889, "drop": 0.021},
        },
        "max_robustness_drop": 0.048,
        "latency": {"device": "cpu", "batches": {"1": {"p50_ms": 2.1, "p95_ms": 3.4}}},
    }


def write_run(root: Path, run_id: str = "20261123-090000-abcd", *, metrics: dict | None = None, dirty=False) -> Path:
    """Publish a run of the project at ``root`` whose lineage matches its current specs and data."""
    project = load_project(root, check_data=False)
    tmp = artifacts_dir(root) / f".{run_id}.tmp"
    tmp.mkdir(parents=True)
    run_info = {
        "run_id": run_id,
        "created": "2026-11-23T09:00:00Z",
        "profile": None,
        "git": {"commit": "0" * 40, "dirty": dirty},
        "specs": {stem: sha256_file(project.spec_path(stem)) for stem in project.specs},
        "data": {split: entry.sha256 for split, entry in project.data.splits if entry is not None},
        "labels": LABELS,
        "base": project.model.base.model_dump(mode="json"),
        "packages": {},
        "device": "cpu",
        "wall_s": 12.5,
        "train_samples_per_s": 400.0,
        "model_dir": "model",
    }
    (tmp / "run.json").write_text(json.dumps(run_info, indent=2))
    chain.record(tmp, "train")
    (tmp / "metrics.json").write_text(json.dumps(good_metrics(run_id) if metrics is None else metrics, indent=2))
    chain.record(tmp, "evaluate", ["metrics.json"])
    publish_run(tmp, artifacts_dir(root) / run_id)
    return artifacts_dir(root) / run_id


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity; returns stdout."""
    import subprocess

    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    result = subprocess.run(["git", *identity, *args], cwd=root, capture_output=True, text=True, check=True)
    return result.stdout


def commit_all(root: Path, message: str = "change") -> str:
    """Commit everything in ``root`` (initialising a repository the first time); returns the sha."""
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
        (root / ".gitignore").write_text("artifacts/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def release(root: Path, macro_f1: float, *, ece: float | None = None, message: str = "release") -> str:
    """Commit a production release whose test macro-F1 (and ECE) are given, as the release workflow would."""
    production = good_metrics("20261001-080000-prod")
    production["test"]["macro_f1"] = macro_f1
    if ece is not None:
        production["test"]["ece"] = ece
    (root / "deploy" / "production").mkdir(parents=True)
    (root / "deploy" / "production" / "metrics.json").write_text(json.dumps(production))
    return commit_all(root, message)
