"""Hand-written text-generation runs that follow the run.json / metrics.json contract, for gate tests.

They stand in for ``train`` + ``evaluate`` so the policy tests run in milliseconds;
``test_generation_policies`` checks the metrics against the published schema, so they cannot drift
from what ``evaluate`` writes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from {{ cookiecutter.package_name }}.files import sha256_file
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.training import chain
from {{ cookiecutter.package_name }}.training.runs import artifacts_dir, publish_run


def _case(case_id: str, prompt: str, output: str) -> dict:
    return {
        "id": case_id,
        "prompt": prompt,
        "repeats": 1,
        "passed_samples": 1,
        "pass_fraction": 1.0,
        "min_pass_fraction": 1.0,
        "passed": True,
        "outputs": [output],
        "failures": [],
    }


def _finding(**extra) -> dict:
    return {"outputs": 0, "rate": 0.0, **extra, "examples": []}


def good_generation_metrics(run_id: str, rouge_l: float = 0.62) -> dict:
    """Metrics of a text-generation run that passes every default rule."""
    cases = [
        _case(f"golden-{n:02d}", f"Where is my refund for order {1000 + n}?", "Your refund is on its way.")
        for n in range(10)
    ]
    timing = {"p50": 40.0, "p95": 55.0}
    return {
        "run_id": run_id,
        "task": "text-generation",
        "split": "test",
        "primary_metric": "rouge_l",
        "prompt_version": "1",
        "decoding": {"strategy": "greedy", "temperature": None, "top_p": None, "max_new_tokens": 64, "seed": 7},
        "test": {"rows": 60, "rouge_l": rouge_l, "chrf": 55.2, "bleu": 38.4, "perplexity": 3.1},
        "text_floors": {"rouge_l": {"floor": 0.4, "value": rouge_l, "met": True}},
        "below_floors": [],
        "slices": {"channel": {"email": {"rows": 30, "rouge_l": 0.63, "chrf": 56.0, "bleu": 39.0}}},
        "golden": {
            "cases": 10,
            "passed": 10,
            "pass_rate": 1.0,
            "min_pass_rate": 0.9,
            "suite_passed": True,
            "results": cases,
            "failures": [],
        },
        "safety": {
            "outputs": 70,
            "pii": _finding(kinds={}),
            "profanity": _finding(threshold=0.5),
            "refusal": _finding(),
        },
        "latency": {
            "device": "cpu (2 threads)",
            "requests": 70,
            "latency_ms": timing,
            "ttft_ms": {"p50": 3.0, "p95": 4.5},
            "tokens_per_s": {"p50": 600.0, "p95": 700.0},
            "output_tokens": {"p50": 24.0, "p95": 30.0},
        },
    }


def write_run(root: Path, metrics: dict, run_id: str = "20261123-090000-abcd") -> Path:
    """Publish a run of the project at ``root`` whose lineage matches its current specs and data."""
    project = load_project(root, check_data=False)
    tmp = artifacts_dir(root) / f".{run_id}.tmp"
    tmp.mkdir(parents=True)
    run_info = {
        "run_id": run_id,
        "task": "text-generation",
        "created": "2026-11-23T09:00:00Z",
        "profile": None,
        "git": {"commit": "0" * 40, "dirty": False},
        "specs": {stem: sha256_file(project.spec_path(stem)) for stem in project.specs},
        "data": {split: entry.sha256 for split, entry in project.data.splits if entry is not None},
        "prompts": {"version": project.specs["prompts"].version, "sha256": sha256_file(project.spec_path("prompts"))},
        "base": project.model.base.model_dump(mode="json"),
        "packages": {},
        "device": "cpu",
        "wall_s": 20.0,
        "train_samples_per_s": 300.0,
        "model_dir": "model",
    }
    (tmp / "run.json").write_text(json.dumps(run_info, indent=2))
    chain.record(tmp, "train")
    (tmp / "metrics.json").write_text(json.dumps({**metrics, "run_id": run_id}, indent=2))
    chain.record(tmp, "evaluate", ["metrics.json"])
    publish_run(tmp, artifacts_dir(root) / run_id)
    return artifacts_dir(root) / run_id


def commit_all(root: Path, message: str) -> None:
    """Commit everything in ``root``, initialising a repository (artifacts/ ignored) the first time."""
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        (root / ".gitignore").write_text("artifacts/\n")
    subprocess.run(["git", *identity, "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", *identity, "commit", "-q", "-m", message], cwd=root, check=True)
