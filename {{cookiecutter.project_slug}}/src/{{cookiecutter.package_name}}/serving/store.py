"""The run's model in the BentoML model store, tagged ``<model name>:<run id>`` with its lineage.

Labels (strings, searchable with ``bentoml models list --label``) carry the run id, the git
commit and a hash over the spec hashes; metadata carries the task, the key metrics, and the
labels the model predicts (classification) or the prompts version it was trained with (generation).
Saving is idempotent: a model already stored for the run is reused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

#: metrics.json test metrics copied into the model's metadata (those of the run's task that it has)
KEY_METRICS = ("accuracy", "macro_f1", "weighted_f1", "ece", "rouge_l", "chrf", "bleu", "perplexity")


def specs_hash(run: dict[str, Any]) -> str:
    """One sha256 over the run's spec hashes (stable: sorted by spec name)."""
    return hashlib.sha256(json.dumps(run["specs"], sort_keys=True).encode()).hexdigest()


def lineage_labels(run: dict[str, Any]) -> dict[str, str]:
    """Labels for the model and the bento: where they came from, as strings."""
    git = run.get("git") or {}
    return {
        "run-id": run["run_id"],
        "git-commit": str(git.get("commit") or "unknown"),
        "git-dirty": str(bool(git.get("dirty"))).lower(),
        "specs-sha256": specs_hash(run),
    }


def model_metadata(run: dict[str, Any], metrics: dict[str, Any] | None) -> dict[str, Any]:
    """Metadata of the stored model (BentoML takes no None values)."""
    test = (metrics or {}).get("test") or {}
    golden = (metrics or {}).get("golden") or {}
    values = {**{name: test.get(name) for name in KEY_METRICS}, "golden_pass_rate": golden.get("pass_rate")}
    metadata = {
        "task": run.get("task"),
        "labels": run.get("labels"),
        "prompts": run.get("prompts"),
        "specs": run["specs"],
        "created": run.get("created"),
        "metrics": {name: value for name, value in values.items() if value is not None},
    }
    return {key: value for key, value in metadata.items() if value is not None}


def model_tag(model_name: str, run: dict[str, Any]) -> str:
    return f"{model_name}:{run['run_id']}"


def save_model(run_dir: Path, run: dict[str, Any], model_name: str, metrics: dict[str, Any] | None = None) -> str:
    """Store the run's model (if not stored yet) and return its tag."""
    import bentoml

    tag = model_tag(model_name, run)
    try:
        bentoml.models.get(tag)
        return tag
    except bentoml.exceptions.NotFound:
        pass
    with bentoml.models.create(tag, labels=lineage_labels(run), metadata=model_metadata(run, metrics)) as model:
        shutil.copytree(run_dir / run.get("model_dir", "model"), model.path, dirs_exist_ok=True)
    return tag
