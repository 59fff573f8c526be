"""``card``: write ``MODEL_CARD.md`` for a run, in the Hugging Face model-card format.

The YAML front matter (license, datasets, base model, tags, metrics, ``model-index``) is made
with ``huggingface_hub.ModelCardData``; the sections come from the specs (the people-written
``card`` block of ``specs/model.yaml``, the data spec) and the run's ``metrics.json``. What
differs per task (the summary, a scratch base, the metrics, the split table and the evaluation
section) comes from the task's ``card`` module. The card is written into the run directory, and
also to ``--out`` when given. ``completeness`` is what the policy gate checks before a release.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import ProjectError
from ..files import atomic_write_text, read_json
from ..specs.data import HuggingFaceSource
from ..specs.model import HuggingFaceBase, LocalBase, PythonPackageBase
from ..specs.project import Project, find_root, load_project, shown_path
from ..training.runs import resolve_run

CARD_FILE = "MODEL_CARD.md"
#: people-written fields of specs/model.yaml `card`, and the shortest text that counts as written
CARD_FIELDS = ("intended_use", "out_of_scope", "limitations", "ethical_considerations")
MIN_CHARS = 40
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum)\b|replace (this|me)|<[^>]+>", re.IGNORECASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", default=None, help="run id (default: the latest run)")
    parser.add_argument("--out", type=Path, default=None, help="also write the card here (a file, or a directory)")


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    project = load_project(root, check_data=False)
    run_dir = resolve_run(root, args.run)
    text = render(project, run_dir)
    targets = [run_dir / CARD_FILE]
    if args.out is not None:
        targets.append(args.out / CARD_FILE if args.out.is_dir() else args.out)
    for path in targets:
        atomic_write_text(path, text)
        print(f"wrote {shown_path(path)}")
    from .facts import read_metrics

    missing = completeness(project, read_metrics(run_dir / "metrics.json"))["missing"]
    for item in missing:
        print(f"incomplete: {item}")
    return 0


def completeness(project: Project, metrics: dict | None) -> dict:
    """Which parts of the model card are missing: ``{"complete", "missing": [reason...], "sections"}``."""
    card, missing = project.model.card, []
    sections = {}
    for name in CARD_FIELDS:
        text = getattr(card, name).strip()
        ok = len(text) >= MIN_CHARS and not PLACEHOLDER.search(text)
        sections[name] = ok
        if not ok:
            why = "placeholder text" if PLACEHOLDER.search(text) else f"shorter than {MIN_CHARS} characters"
            missing.append(f"specs/model.yaml card.{name}: {why}")
    sections["owners"] = bool(card.owners)
    sections["training_data"] = len(project.data.description.strip()) >= MIN_CHARS
    if not sections["training_data"]:
        missing.append(f"specs/data.yaml description: shorter than {MIN_CHARS} characters")
    sections["evaluation"] = bool(metrics and isinstance(metrics.get("test"), dict))
    if not sections["evaluation"]:
        missing.append("metrics.json: the run has no test metrics; run `evaluate`")
    wanted = list(project.evaluation.slices)
    have = (metrics or {}).get("slices") or {}
    sections["evaluation_by_slice"] = all(column in have for column in wanted)
    if sections["evaluation"] and not sections["evaluation_by_slice"]:
        absent = ", ".join(c for c in wanted if c not in have)
        missing.append(f"metrics.json: no metrics by slice for {absent}")
    return {"complete": not missing, "missing": missing, "sections": sections}


def hf_license(spdx: str) -> dict:
    """Front-matter license fields: Hugging Face uses lower-case SPDX ids, and ``other`` for the rest."""
    if spdx.startswith("LicenseRef-"):
        return {"license": "other", "license_name": spdx.removeprefix("LicenseRef-").lower()}
    return {"license": spdx.lower()}


def _base_text(project: Project) -> str:
    base = project.model.base
    if base.type == "scratch":
        return project.task.module("card").scratch_base(project)
    if isinstance(base, HuggingFaceBase):
        return f"fine-tuned from [`{base.id}`](https://huggingface.co/{base.id}) at revision `{base.revision[:12]}`"
    if isinstance(base, LocalBase):
        return f"fine-tuned from the local model `{base.path}`"
    if isinstance(base, PythonPackageBase):
        return f"fine-tuned from the weights shipped in the Python package `{base.package}`"
    return base.type


def num(value: object, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, or a dash when it is not a number."""
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "–"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table, its cells' pipes escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]


def front_matter(project: Project, metrics: dict | None) -> str:
    """The YAML front matter of the card (between ``---`` lines)."""
    try:
        from huggingface_hub import EvalResult, ModelCardData
    except ImportError:
        raise ProjectError("`card` needs huggingface_hub: pip install -e '.[gate]'") from None
    model, data = project.model, project.data
    dataset = data.source.id if isinstance(data.source, HuggingFaceSource) else data.name
    split = project.evaluation.split
    parts = project.task.module("card")
    results = [
        EvalResult(
            task_type=parts.PIPELINE_TAG,
            task_name=parts.PIPELINE_TAG.replace("-", " ").title(),
            dataset_type=dataset,
            dataset_name=data.name,
            dataset_split=split,
            metric_type=kind,
            metric_name=name,
            metric_value=round(value, 4),
            metric_args=args,
        )
        for kind, name, value, args in parts.model_index(project, (metrics or {}).get(split) or {})
    ]
    extra = hf_license(model.license)
    base = model.base
    if isinstance(base, HuggingFaceBase):
        extra["base_model"] = base.id
    card = ModelCardData(
        language=["en"],
        library_name="transformers",
        pipeline_tag=parts.PIPELINE_TAG,
        tags=[parts.PIPELINE_TAG, "policy-gated", f"base-{base.type.replace('_', '-')}"],
        datasets=[dataset],
        metrics=parts.metric_types(project),
        model_name=model.name,
        eval_results=results or None,
        **extra,
    )
    return f"---\n{card.to_yaml()}\n---\n"


def render(project: Project, run_dir: Path) -> str:
    """The whole card for ``run_dir`` as Markdown with front matter."""
    from .datafacts import split_rows
    from .facts import read_metrics

    metrics = read_metrics(run_dir / "metrics.json")
    run_info = read_json(run_dir / "run.json") or {}
    model, data, card = project.model, project.data, project.model.card
    git = run_info.get("git") if isinstance(run_info.get("git"), dict) else {}
    lines = [
        front_matter(project, metrics),
        f"# {model.display_name or model.name} {model.version}",
        "",
        project.task.module("card").summary(project),
        "",
        *table(
            ["", ""],
            [
                ["Base model", _base_text(project)],
                ["Run", f"`{run_info.get('run_id', run_dir.name)}`, trained {run_info.get('created', '–')}"],
                [
                    "Code",
                    f"commit `{(git.get('commit') or '–')[:12]}`{' (uncommitted changes)' if git.get('dirty') else ''}",
                ],
                ["License", model.license],
                ["Owners", ", ".join(card.owners)],
            ],
        ),
        "",
        "## Intended use",
        "",
        card.intended_use.strip(),
        "",
        "### Out of scope",
        "",
        card.out_of_scope.strip(),
        "",
        "## Limitations",
        "",
        card.limitations.strip(),
        "",
        "## Training data",
        "",
        data.description.strip(),
        "",
    ]
    source = data.source
    where = f"Hugging Face dataset `{source.id}`" if isinstance(source, HuggingFaceSource) else source.type
    lines += [f"Dataset `{data.name}` ({where}, {data.format}), license {data.license}, owner {data.owner}.", ""]
    if source.type == "local":
        lines += [*project.task.module("card").split_table(project, split_rows(project)), ""]
    pii = data.pii
    lines += [
        "Personal data: "
        + (
            f"texts may contain it; legal basis: {pii.legal_basis}."
            if pii.may_contain
            else "texts are not expected to contain any."
        )
        + (
            " Raw texts may be logged by the service."
            if pii.log_raw_text
            else " Raw texts are not logged by the service."
        ),
        "",
    ]
    lines += _evaluation(project, metrics)
    lines += ["## Ethical considerations", "", card.ethical_considerations.strip(), ""]
    gate = read_json(run_dir / "gate.json")
    if gate:
        lines += [
            "## Governance",
            "",
            f"Policy gate at `{gate.get('stage')}` stage: **{gate.get('verdict')}** "
            f"(evaluated {gate.get('evaluated_at')}, policy hash `{str(gate.get('policy_hash', ''))[:12]}`).",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def _evaluation(project: Project, metrics: dict | None) -> list[str]:
    """The card's evaluation section: the task's, once the run has metrics for the evaluation split."""
    scores = (metrics or {}).get(project.evaluation.split)
    if not isinstance(scores, dict):
        return ["## Evaluation", "", "This run has not been evaluated yet (`evaluate` writes metrics.json).", ""]
    return ["## Evaluation", "", *project.task.module("card").evaluation(project, metrics, scores)]
