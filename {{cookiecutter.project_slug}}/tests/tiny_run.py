"""A complete run directory around a tiny real model, for the serving tests.

The model is a 1-layer BERT with a WordPiece tokenizer trained on the project's texts: real
weights, real tokenizer, saved with ``save_pretrained``, so the service loads it exactly as it
loads a trained one. ``run.json``, ``metrics.json`` and ``gate.json`` follow the contracts that
``train``, ``evaluate`` and ``gate`` write, chained as they chain them (see ``chain``).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from {{ cookiecutter.package_name }}.files import sha256_file
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.training import chain
from {{ cookiecutter.package_name }}.training.runs import artifacts_dir, publish_run

RUN_ID = "20260101-120000-abcd"
ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    """A copy of this project's specs, schemas, policies, data and Python version that a test may change."""
    for name in ("specs", "schemas", "policies", "data"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / ".python-version", dest / ".python-version")
    return dest


def texts(root: Path, split: str = "train") -> list[str]:
    return [json.loads(line)["text"] for line in (root / "data" / f"{split}.jsonl").read_text().splitlines()]


def save_tiny_model(root: Path, out: Path, labels: list[str]) -> None:
    """A 1-layer BERT classifier with a WordPiece tokenizer trained on the train split."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator(texts(root), vocab_size=400, min_frequency=1)
    tokenizer = BertTokenizerFast(tokenizer_object=wordpiece._tokenizer, model_max_length=128)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    BertForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)


def write_run(root: Path, run_id: str = RUN_ID, *, stage: str = "release", passed: bool = True) -> Path:
    """Write ``artifacts/<run_id>/`` (model, run.json, metrics.json, gate.json) and point ``latest`` at it."""
    project = load_project(root)
    labels = list(project.data.labels)
    tmp = artifacts_dir(root) / f".{run_id}.tmp"
    save_tiny_model(root, tmp / "model", labels)
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC).isoformat()
    run = {
        "run_id": run_id,
        "created": now,
        "profile": None,
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
        "specs": {stem: sha256_file(project.spec_path(stem)) for stem in project.specs},
        "data": {split: sha256_file(project.data_file(split)) for split, entry in project.data.splits if entry},
        "labels": labels,
        "base": {"type": "scratch"},
        "packages": {},
        "device": "cpu",
        "wall_s": 1.0,
        "train_samples_per_s": 100.0,
        "model_dir": "model",
    }
    metrics = {
        "run_id": run_id,
        "split": "test",
        "primary_metric": "macro_f1",
        "test": {"rows": 300, "accuracy": 0.91, "macro_f1": 0.9, "weighted_f1": 0.91, "ece": 0.03},
        "golden": {"rows": 40, "passed": 40, "pass_rate": 1.0, "failures": []},
    }
    (tmp / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    chain.record(tmp, "train")
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    chain.record(tmp, "evaluate", ["metrics.json"])
    write_gate(root, tmp, {"run_id": run_id, "stage": stage, "passed": passed, "evaluated_at": now})
    publish_run(tmp, artifacts_dir(root) / run_id)
    return artifacts_dir(root) / run_id


def write_gate(root: Path, run_dir: Path, fields: dict) -> None:
    """A gate decision (``fields`` over a passed release gate) with facts.json, chained as ``gate`` chains it."""
    passed = fields.get("passed", True)
    gate = {
        "run_id": run_dir.name,
        "stage": "release",
        "passed": passed,
        "verdict": "pass" if passed else "blocked",
        "evaluated_at": "2026-01-01T12:00:00+00:00",
        "policy_hash": "f" * 64,
        "results": [
            {
                "id": "QUAL-001",
                "title": "Test macro-F1 is at least 0.85",
                "severity": "error",
                "status": "pass" if passed else "fail",
                "message": "0.9 >= 0.85" if passed else "0.7 < 0.85",
            }
        ],
    }
    gate.update(fields)
    texts = {"facts.json": json.dumps({"run": {"id": gate["run_id"]}, "stage": gate["stage"]}) + "\n"}
    texts["gate.json"] = chain.gate_text(gate, chain.verify_run(run_dir, root), texts)
    for name, text in texts.items():
        (run_dir / name).write_text(text)


def clone_run(root: Path, run_id: str, gate: dict | None = None, source: str = RUN_ID) -> Path:
    """A copy of run ``source`` (not its build record) as ``run_id``, gated with ``gate`` over a passed release gate."""
    run_dir = artifacts_dir(root) / run_id
    ignore = shutil.ignore_patterns("build.json", "monitoring", "gate.*", "facts.json")
    shutil.copytree(artifacts_dir(root) / source, run_dir, ignore=ignore)
    for name in ("run.json", "metrics.json"):
        doc = json.loads((run_dir / name).read_text())
        doc["run_id"] = run_id
        (run_dir / name).write_text(json.dumps(doc))
    chain.record(run_dir, "train", list(json.loads((run_dir / "run.json").read_text())["files"]["train"]))
    chain.record(run_dir, "evaluate", ["metrics.json"])
    write_gate(root, run_dir, {"run_id": run_id, **(gate or {})})
    return run_dir
