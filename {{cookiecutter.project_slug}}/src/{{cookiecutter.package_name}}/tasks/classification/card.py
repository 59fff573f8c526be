"""A classifier's parts of the model card (``governance/card.py`` asks for them): its summary, the
scratch base, the model-index results, the label counts per split and the evaluation section."""

from __future__ import annotations

from ...governance.card import num, table
from ...specs.project import Project

PIPELINE_TAG = "text-classification"
#: evaluation metric -> (model-index metric type, display name, args)
HF_METRICS = {
    "accuracy": ("accuracy", "Accuracy", None),
    "macro_f1": ("f1", "Macro F1", {"average": "macro"}),
    "weighted_f1": ("f1", "Weighted F1", {"average": "weighted"}),
    "macro_precision": ("precision", "Macro precision", {"average": "macro"}),
    "macro_recall": ("recall", "Macro recall", {"average": "macro"}),
    "ece": ("ece", "Expected calibration error", None),
}


def summary(project: Project) -> str:
    """One sentence on what the model does."""
    labels = project.model.labels
    return f"A text classifier that assigns one of {len(labels)} labels: " + ", ".join(f"`{x}`" for x in labels) + "."


def scratch_base(project: Project) -> str:
    """How the ``scratch`` base was built."""
    base = project.model.base
    arch = base.architecture
    return (
        f"trained from scratch: {arch.family.upper()} encoder, {arch.num_layers} layers, hidden size "
        f"{arch.hidden_size}, WordPiece tokenizer ({base.tokenizer.vocab_size} tokens) trained on the train split"
    )


def model_index(project: Project, scores: dict) -> list[tuple[str, str, float, dict | None]]:
    """(metric type, display name, value, args) of every evaluated metric, for the front matter."""
    return [
        (*HF_METRICS[name][:2], float(scores[name]), HF_METRICS[name][2])
        for name in project.evaluation.metrics
        if isinstance(scores.get(name), (int, float))
    ]


def metric_types(project: Project) -> list[str]:
    """The model-index metric types the evaluation spec computes."""
    return sorted({HF_METRICS[m][0] for m in project.evaluation.metrics})


def split_table(project: Project, splits: dict) -> list[str]:
    """Rows and label counts of each split (``splits``: split -> rows)."""
    labels = project.model.labels
    rows = []
    for split, items in splits.items():
        counts = {label: 0 for label in labels}
        for row in items:
            if row.label in counts:
                counts[row.label] += 1
        rows.append([split, str(len(items)), *(str(counts[label]) for label in labels)])
    return table(["split", "rows", *labels], rows)


def evaluation(project: Project, metrics: dict, scores: dict) -> list[str]:
    """The body of the card's evaluation section, for a run with ``scores`` on the evaluation split."""
    split = project.evaluation.split
    lines = [f"On the `{split}` split ({scores.get('rows', '–')} rows):", ""]
    lines += table(["metric", "value"], [[HF_METRICS[m][1], num(scores.get(m))] for m in project.evaluation.metrics])
    per_class = scores.get("per_class") or {}
    if per_class:
        lines += ["", "### Per class", ""]
        lines += table(
            ["label", "precision", "recall", "F1", "support"],
            [
                [label, num(v.get("precision")), num(v.get("recall")), num(v.get("f1")), str(v.get("support", "–"))]
                for label, v in per_class.items()
            ],
        )
    slices, gaps = metrics.get("slices") or {}, metrics.get("slice_gaps") or {}
    for column, values in slices.items():
        lines += ["", f"### By {column}", ""]
        names = [m for m in ("accuracy", "macro_f1") if m in project.evaluation.metrics] or ["accuracy"]
        lines += table(
            [column, "rows", *(HF_METRICS[m][1] for m in names)],
            [[value, str(v.get("rows", "–")), *(num(v.get(m)) for m in names)] for value, v in values.items()],
        )
        gap = gaps.get(column) or {}
        if gap:
            lines += [
                "",
                f"Largest gap in {gap.get('metric', 'the metric')}: {num(gap.get('gap'))} "
                f"(best {gap.get('best', '–')}, worst {gap.get('worst', '–')}).",
            ]
    golden = metrics.get("golden")
    if isinstance(golden, dict):
        lines += [
            "",
            "### Golden set",
            "",
            f"{golden.get('passed', '–')} of {golden.get('rows', '–')} hand-checked rows predicted exactly "
            f"(pass rate {num(golden.get('pass_rate'))}).",
        ]
    robustness = metrics.get("robustness") or {}
    if robustness:
        lines += ["", "### Robustness", ""]
        lines += table(
            ["perturbation", "macro F1", "drop"],
            [[name, num(v.get("macro_f1")), num(v.get("drop"))] for name, v in robustness.items()],
        )
    return lines + [""]
