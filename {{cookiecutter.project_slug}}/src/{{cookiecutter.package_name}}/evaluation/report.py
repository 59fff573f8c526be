"""``report.md``: the evaluation of one run as Markdown, for people (``metrics.json`` is for machines)."""

from __future__ import annotations

from ..specs.project import Project
from .perturb import RATED

HEADLINE = ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall", "ece")


def render(metrics: dict, record: dict, project: Project, images: dict[str, str]) -> str:
    """The whole report; ``images`` maps a plot's title to its file name in the run directory."""
    git = record.get("git") or {}
    commit = (git.get("commit") or "not in git")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    test = metrics["test"]
    lines = [
        f"# Evaluation of run `{metrics['run_id']}`",
        "",
        f"- model: `{project.model.name}` from a `{record['base']['type']}` base, profile "
        f"`{record.get('profile') or 'none'}`, trained {record['created']} on {record['device']}",
        f"- code: {commit}",
        f"- primary metric: **{metrics['primary_metric']} = {test[metrics['primary_metric']]}** on the "
        f"{metrics['split']} split ({test['rows']} rows)",
        "",
        f"## {metrics['split'].capitalize()} split",
        "",
        *_table(["metric", "value"], [[m, test[m]] for m in HEADLINE]),
        "",
        "ECE is the expected calibration error: lower is better.",
        "",
        *_table(
            ["label", "precision", "recall", "F1", "support"],
            [[label, c["precision"], c["recall"], c["f1"], c["support"]] for label, c in test["per_class"].items()],
        ),
        "",
    ]
    lines += _images(images, only="Confusion")
    for column, values in metrics["slices"].items():
        shown = [m for m in next(iter(values.values())) if m != "rows"]
        gap = metrics["slice_gaps"][column]
        lines += [
            f"## Slices by `{column}`",
            "",
            *_table([column, "rows", *shown], [[v, s["rows"], *(s[m] for m in shown)] for v, s in values.items()]),
            "",
            f"Gap in {gap['metric']}: **{gap['gap']}** (best `{gap['best']}`, worst `{gap['worst']}`).",
            "",
        ]
        lines += _images(images, only=f"Metrics by {column}")
    golden = metrics["golden"]
    if golden:
        lines += [
            "## Golden set",
            "",
            f"{golden['passed']} of {golden['rows']} passed ({golden['pass_rate']:.1%}).",
            "",
        ]
        if golden["failures"]:
            rows = [[f["id"], f["text"], f["label"], f["predicted"]] for f in golden["failures"]]
            lines += [*_table(["id", "text", "label", "predicted"], rows), ""]
    if metrics["robustness"]:
        rates = {p.type: p.rate for p in project.evaluation.robustness.perturbations if p.type in RATED}
        rows = [[kind, rates.get(kind, "-"), r["macro_f1"], r["drop"]] for kind, r in metrics["robustness"].items()]
        lines += [
            "## Robustness",
            "",
            "Each perturbation is applied to every text of the split on its own (seeded); the drop is",
            "the macro-F1 lost against the unperturbed text.",
            "",
            *_table(["perturbation", "rate", "macro_f1", "drop"], rows),
            "",
        ]
    latency = metrics["latency"]
    lines += [
        "## Latency",
        "",
        f"Tokenize and classify one batch on {latency['device']} (timings differ from run to run).",
        "",
        *_table(
            ["batch size", "p50 ms", "p95 ms"], [[b, t["p50_ms"], t["p95_ms"]] for b, t in latency["batches"].items()]
        ),
        "",
    ]
    return "\n".join(lines)


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def _images(images: dict[str, str], only: str) -> list[str]:
    return [line for title, name in images.items() if title.startswith(only) for line in (f"![{title}]({name})", "")]
