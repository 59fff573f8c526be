"""What drift compares a classifier's traffic with: its predictions on held-out text, and its vocabulary.

``reference(project, run_dir)`` loads the run's model and tokenizer: its predictions on the
monitoring spec's held-out split give the label counts and confidence histogram, and the words
of that split, as the tokenizer splits them, the share its vocabulary lacks (the vocabulary was
learnt from the train split, which it covers whole); the texts of the monitoring spec's data
split give the input lengths.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...monitoring import stats
from ...specs.datarows import read_split


def reference(project, run_dir: Path) -> dict:
    """The task's fields of the reference profile (``monitoring/reference.py``)."""
    from ...evaluation.inference import load_classifier, predict_proba
    from ...serving.predlog import word_counts

    spec = project.specs["monitoring"].reference
    labels = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["labels"]
    text = project.data.columns.text
    data_texts = [str(row[text]) for row in read_split(project, spec.data).records]
    held_out = [str(row[text]) for row in read_split(project, spec.predictions).records]
    model, tokenizer = load_classifier(run_dir / "model")
    probs = predict_proba(model, tokenizer, held_out, max_length=project.model.training.max_length)
    picked = np.bincount(probs.argmax(axis=1), minlength=len(labels)) if len(probs) else np.zeros(len(labels))
    counts = word_counts(tokenizer, held_out)
    return {
        "task": "text-classification",
        "labels": {label: int(n) for label, n in zip(labels, picked, strict=True)},
        "confidence": np.bincount(stats.confidence_bin(probs.max(axis=1)), minlength=stats.CONFIDENCE_BINS).tolist(),
        "input_chars": stats.length_histogram([len(t) for t in data_texts]),
        "words": sum(w for w, _ in counts),
        "unseen_words": sum(u for _, u in counts),
    }
