"""Classification metrics: scikit-learn's, plus the expected calibration error.

Inputs are label ids (``y_true``), predicted ids (``y_pred``) and, for calibration, the
probability of the predicted class (``confidence``). Every float is rounded to ``DIGITS``
decimals, so the same predictions always give the same JSON.
"""

from __future__ import annotations

from collections.abc import Sequence

DIGITS = 6
#: metrics that improve as they go down; all others improve as they go up
LOWER_IS_BETTER = frozenset({"ece"})


def _r(value: float) -> float:
    return round(float(value), DIGITS)


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins.

    Each prediction falls in the bin ``(k/bins, (k+1)/bins]`` of its confidence (zero joins the first
    bin); the result is the sum over bins of ``|accuracy - mean confidence| * share of predictions``.
    """
    import numpy as np

    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    which = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for k in range(bins):
        members = which == k
        if members.any():
            total += abs(hit[members].mean() - conf[members].mean()) * members.mean()
    return _r(total)


def macro_f1(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int]) -> float:
    """The unweighted mean of the F1 of each of ``labels`` (a label never true nor predicted scores 0)."""
    from sklearn.metrics import f1_score

    return _r(f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0))


def summary(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    confidence: Sequence[float],
    labels: Sequence[int],
    bins: int = 10,
) -> dict:
    """``rows``, accuracy, macro/weighted F1, macro precision and recall over ``labels``, and ECE."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    labels = list(labels)
    correct = [t == p for t, p in zip(y_true, y_pred, strict=True)]
    return {
        "rows": len(y_true),
        "accuracy": _r(accuracy_score(y_true, y_pred)),
        "macro_f1": macro_f1(y_true, y_pred, labels),
        "weighted_f1": _r(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)),
        "macro_precision": _r(precision_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "macro_recall": _r(recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "ece": expected_calibration_error(confidence, correct, bins),
    }


def per_class(y_true: Sequence[int], y_pred: Sequence[int], names: Sequence[str]) -> dict[str, dict]:
    """Precision, recall, F1 and support of every label, in label order."""
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(names))), zero_division=0
    )
    return {
        name: {"precision": _r(precision[i]), "recall": _r(recall[i]), "f1": _r(f1[i]), "support": int(support[i])}
        for i, name in enumerate(names)
    }


def confusion(y_true: Sequence[int], y_pred: Sequence[int], names: Sequence[str]) -> dict:
    """The confusion matrix: rows are true labels, columns predicted labels, both in label order."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y_true, y_pred, labels=list(range(len(names))))
    return {"labels": list(names), "matrix": matrix.astype(int).tolist()}


def slice_summary(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    confidence: Sequence[float],
    wanted: Sequence[str],
    bins: int = 10,
) -> dict:
    """``rows`` plus the ``wanted`` metrics on a slice.

    Macro averages run over the labels present in the slice (true or predicted), so a slice
    without any ticket of some queue is not charged a zero for it.
    """
    every = summary(y_true, y_pred, confidence, sorted(set(y_true) | set(y_pred)), bins)
    return {"rows": every["rows"], **{metric: every[metric] for metric in wanted}}


def gap(values: dict[str, float], metric: str) -> dict:
    """The spread of ``metric`` over slice values: ``gap`` (best minus worst, >= 0), ``best``, ``worst``."""
    ordered = sorted(values, key=lambda name: (values[name], name))
    worst, best = (ordered[-1], ordered[0]) if metric in LOWER_IS_BETTER else (ordered[0], ordered[-1])
    return {"metric": metric, "gap": _r(abs(values[best] - values[worst])), "best": best, "worst": worst}
