"""What drift compares a generator's traffic with: the lengths of the training data's inputs and replies.

``reference(project, run_dir)`` reads the monitoring spec's data split: the input columns of each
row (joined by a new line) give the input-length histogram, the response column the output-length
histogram. A generator has no labels, confidences or word counts, so those fields stay empty and
drift leaves their checks out; the watcher-rate check needs no reference.
"""

from __future__ import annotations

from pathlib import Path

from ...monitoring import stats
from ...specs.datarows import read_split


def reference(project, run_dir: Path) -> dict:
    """The task's fields of the reference profile (``monitoring/reference.py``)."""
    spec = project.specs["monitoring"].reference
    columns = project.data.columns
    rows = read_split(project, spec.data).records
    inputs = ["\n".join(str(row[c]) for c in columns.inputs) for row in rows]
    return {
        "task": "text-generation",
        "labels": {},
        "confidence": [0] * stats.CONFIDENCE_BINS,
        "input_chars": stats.length_histogram([len(t) for t in inputs]),
        "output_chars": stats.length_histogram([len(str(row[columns.response])) for row in rows]),
        "words": 0,
        "unseen_words": 0,
    }
