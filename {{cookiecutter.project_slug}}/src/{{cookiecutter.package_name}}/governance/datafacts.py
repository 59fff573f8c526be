"""Facts about the data: personal data, duplicates and leakage, labels, contamination of the golden
split (rows with reference outputs), and text lengths.

``scan`` reads every local split named in ``specs/data.yaml`` and returns the ``data`` section
of the policy input document. Rows are referred to as ``split:id`` (``split:#line`` without an
id column); found personal data is reported redacted, never verbatim. Personal data and secrets
are found by maintained detectors, offline (``pii``); copies between splits are found however
they are disguised (``leakage``).
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..specs.data import LocalSource
from ..specs.datarows import read_split
from ..specs.project import Project
from . import leakage
from .pii import Detector

#: listed rows per finding kind in the facts; the counts are always complete
MAX_LISTED = 50
#: eval splits whose rows are compared with train for near copies (copies across any two splits are leaks)
EVAL_SPLITS = ("validation", "test", "golden")


@dataclass(frozen=True)
class Row:
    """One row of a split: its reference, input text, label and reference output (a generator's reply)."""

    ref: str
    text: str
    label: Any
    output: str = ""


def split_rows(project: Project) -> dict[str, list[Row]]:
    """Every row of every local split, keyed by split name."""
    spec = project.data
    columns, label = spec.columns, spec.label_column()
    out: dict[str, list[Row]] = {}
    for split, entry in spec.splits:
        if entry is None:
            continue
        records = read_split(project, split).checked(content=False).records  # the one data reader
        rows = []
        for n, record in enumerate(records, 1):
            rid = record.get(columns.id) if columns.id else None
            text, output = spec.row_texts(record)
            ref = f"{split}:{rid}" if rid not in (None, "") else f"{split}:#{n}"
            rows.append(Row(ref, text, record.get(label) if label else None, output))
        out[split] = rows
    return out


def redact(value: str) -> str:
    """Enough of a found value to recognise it, not enough to reuse it: ``jo…(17 chars)…om``."""
    value = value.strip()
    return f"{value[:2]}…({len(value)} chars)…{value[-2:]}" if len(value) > 6 else "…" * len(value)


def _listed(items: list) -> list:
    return items[:MAX_LISTED]


def _pii(splits: dict[str, list[Row]], project: Project) -> dict:
    pii = project.data.pii
    detector = Detector(pii.regions)
    counts: Counter = Counter()
    findings = []
    for rows in splits.values():
        for row in rows:
            for found in (*detector.find(row.text), *(detector.find(row.output) if row.output else ())):
                counts[found.kind] += 1
                findings.append({"row": row.ref, "kind": found.kind, "redacted": redact(found.text)})
    return {
        "may_contain": pii.may_contain,
        "legal_basis": pii.legal_basis,
        "regions": list(pii.regions),
        "total": sum(counts.values()),
        "counts": dict(sorted(counts.items())),
        "rows": len({f["row"] for f in findings}),
        "findings": _listed(findings),
    }


def _duplicates(splits: dict[str, list[Row]], folded: dict[str, list[str]]) -> dict:
    refs = {split: [row.ref for row in rows] for split, rows in splits.items()}
    within: dict[tuple[str, str], list[str]] = defaultdict(list)
    for split, texts in folded.items():
        for ref, text in zip(refs[split], texts, strict=True):
            if text:
                within[split, text].append(ref)
    across = leakage.copies(folded, refs)
    near = []
    if "train" in splits:
        evals = [(r, t) for s in EVAL_SPLITS if s in splits for r, t in zip(refs[s], folded[s], strict=True)]
        skip = {frozenset(group) for group in across if len(group) == 2}
        near = leakage.near_copies(folded["train"], refs["train"], evals, skip)
    within_groups = [group for group in within.values() if len(group) > 1]
    return {
        "exact_within": {"count": len(within_groups), "groups": _listed(within_groups)},
        "exact_across": {"count": len(across), "groups": _listed(across)},
        "near_across": {
            "threshold": leakage.NEAR_THRESHOLD,
            "shingle_words": leakage.SHINGLE,
            "count": len(near),
            "pairs": _listed(near),
        },
    }


def _contamination(splits: dict[str, list[Row]], folded: dict[str, list[str]]) -> dict:
    """Golden rows whose input is in the train split (equal once folded, or a near copy) and golden rows
    whose reference output is a train row's output: a model trained on them would pass by recall."""
    golden, train = splits.get("golden", []), splits.get("train", [])
    refs = [row.ref for row in golden]
    train_inputs = set(folded.get("train", []))
    exact = [ref for ref, text in zip(refs, folded.get("golden", []), strict=True) if text and text in train_inputs]
    near = []
    if golden and train:
        evals = list(zip(refs, folded["golden"], strict=True))
        near = [p["rows"][1] for p in leakage.near_copies(folded["train"], [r.ref for r in train], evals, set())]
    prompts = sorted(set(exact) | set(near))
    train_outputs = {leakage.fold(row.output) for row in train if row.output}
    outputs = [row.ref for row in golden if row.output and leakage.fold(row.output) in train_outputs]
    return {
        "count": len(set(prompts) | set(outputs)),
        "prompts": {"count": len(prompts), "rows": _listed(prompts)},
        "outputs": {"count": len(outputs), "rows": _listed(outputs)},
    }


def _labels(splits: dict[str, list[Row]], labels: list[str]) -> dict:
    known = set(labels)
    counts, balance, unknown = {}, {}, []
    for split, rows in splits.items():
        tally = Counter(row.label for row in rows if row.label in known)
        unknown += [row.ref for row in rows if row.label not in known]
        counts[split] = {label: tally.get(label, 0) for label in labels}
        total = sum(tally.values())
        if total:
            shares = [tally.get(label, 0) / total for label in labels]
            balance[split] = {
                "min_share": round(min(shares), 4),
                "max_share": round(max(shares), 4),
                "ratio": round(max(shares) / min(shares), 3) if min(shares) else None,
            }
    return {"counts": counts, "balance": balance, "unknown": {"count": len(unknown), "rows": _listed(unknown)}}


def _texts(splits: dict[str, list[Row]], limit: int) -> dict:
    empty = [row.ref for rows in splits.values() for row in rows if not row.text.strip()]
    long = [row.ref for rows in splits.values() for row in rows if len(row.text) > limit]
    chars = {
        split: {
            "min": min(len(r.text) for r in rows),
            "mean": round(sum(len(r.text) for r in rows) / len(rows), 1),
            "max": max(len(r.text) for r in rows),
        }
        for split, rows in splits.items()
        if rows
    }
    return {
        "empty": {"count": len(empty), "rows": _listed(empty)},
        "too_long": {"count": len(long), "limit": limit, "rows": _listed(long)},
        "chars": chars,
    }


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the scan makes millions of short-lived objects that
    hold no cycles, and the collections they trigger would double its time on large splits."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan(project: Project) -> dict:
    """The ``data`` facts of a project whose specs loaded; remote sources are reported as not scanned."""
    with _gc_paused():
        return _scan(project)


def _scan(project: Project) -> dict:
    spec = project.data
    if not isinstance(spec.source, LocalSource):
        return {"scanned": False, "source": spec.source.type}
    splits = split_rows(project)
    folded = {split: [leakage.fold(r.text) for r in rows] for split, rows in splits.items()}
    limit = project.deployment.service.limits.max_text_chars if "deployment" in project.specs else 10**9
    facts = {
        "scanned": True,
        "source": spec.source.type,
        "rows": {split: len(rows) for split, rows in splits.items()},
        "pii": _pii(splits, project),
        "duplicates": _duplicates(splits, folded),
    }
    if spec.label_column():
        facts["labels"] = _labels(splits, list(spec.labels))
    if any(row.output for rows in splits.values() for row in rows):  # rows with reference outputs
        facts["contamination"] = _contamination(splits, folded)
    return facts | {"texts": _texts(splits, limit)}
