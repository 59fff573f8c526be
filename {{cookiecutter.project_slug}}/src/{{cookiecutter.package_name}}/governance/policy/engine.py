"""Evaluate rules against the policy input document.

For each rule of the stage: read the value at ``where`` (a dotted path; ``null`` counts as
absent), check it with the rule's JSON Schema (Draft 2020-12) and record a ``Result``:
``pass``, ``fail``, ``skipped`` (absent value, ``missing: skip``) or ``error`` (the check itself
broke). An absent value fails unless the rule says ``missing: pass`` or ``skip``. Waivers are
applied afterwards (``waivers.apply_waivers``). A result blocks when it is an ``error``, or a
``fail`` of severity ``error``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ...specs.yamlio import Document, position
from .models import Rule
from .pack import LoadedRule, PolicyPack

#: list items shown with a failure (``evidence``), and how long a rendered value may get
EVIDENCE_ITEMS = 5
MAX_VALUE_CHARS = 160
SHORT_VALUE_CHARS = 60
PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)\}")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def lookup(doc: Any, path: str) -> Any:
    """The value at dotted ``path`` (``a.b.0.c``); ``MISSING`` when absent or ``null`` on the way."""
    node = doc
    for step in path.split("."):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return MISSING
        if node is None:
            return MISSING
    return node


def why_missing(facts: dict, path: str) -> str:
    """The recorded reason for the longest prefix of ``path`` in ``facts["unavailable"]``."""
    notes = facts.get("unavailable") or {}
    steps = path.split(".")
    for n in range(len(steps), 0, -1):
        reason = notes.get(".".join(steps[:n]))
        if reason:
            return reason
    return "not in the policy input document"


def compact(value: Any) -> str:
    """A short rendering of a value for messages: floats to 4 digits, long values cut."""
    if value is MISSING:
        return "absent"
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "NaN"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(_rounded(value), ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


@dataclass(frozen=True)
class Location:
    """Where a result points: a project-relative file, a 1-based line and column, and the line's end."""

    path: str
    line: int
    col: int
    end_col: int

    def to_json(self) -> dict:
        return {"path": self.path, "line": self.line, "col": self.col}


@dataclass
class Result:
    """The outcome of one rule (or one bad waiver) at one gate run."""

    id: str
    title: str
    severity: str
    status: str
    message: str
    help: str = ""
    url: str | None = None
    where: str | None = None
    value: Any = MISSING
    failures: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    waiver: dict | None = None
    location: Location | None = None
    pending: bool = False  # a change that blocks until an owner approves it (policy/trust.py)

    @property
    def blocking(self) -> bool:
        return self.status == "error" or (self.status == "fail" and self.severity == "error")

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "blocking": self.blocking,
            "message": self.message,
        }
        if self.where is not None:
            out["where"] = self.where
        if self.value is not MISSING and len(json.dumps(self.value, default=str)) <= MAX_VALUE_CHARS:
            out["value"] = self.value
        for key in ("failures", "evidence", "waiver", "help", "url"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.location is not None:
            out["location"] = self.location.to_json()
        if self.pending:
            out["pending_approval"] = True
        return out


def relative(path: Path, root: Path) -> str:
    """``path`` relative to the project root, with forward slashes."""
    return Path(os.path.relpath(path, root)).as_posix()


def doc_location(doc: Document, loc: tuple, root: Path) -> Location:
    """Where field ``loc`` of a loaded document is; ``end_col`` is just past the end of its line."""
    line, col = position(doc.tree, loc)
    lines = doc.text.splitlines()
    end = len(lines[line - 1].rstrip()) + 1 if 0 < line <= len(lines) else col
    return Location(relative(doc.path, root), line, col, max(end, col + 1))


def rule_location(entry: LoadedRule, root: Path, spec_docs: dict[str, Document]) -> Location:
    """The spec field the rule names (``spec``), else the rule in its policy file."""
    pointer = entry.rule.spec
    if pointer is not None:
        doc = spec_docs.get(Path(pointer.file).stem)
        if doc is not None:
            loc = tuple(int(s) if s.isdigit() else s for s in pointer.field.split("."))
            return doc_location(doc, loc, root)
    return doc_location(entry.doc, entry.loc, root)


def render_message(template: str, value: Any, facts: dict, must: dict | bool) -> str:
    """Fill a rule's message: ``{value}``, ``{count}``, ``{must.<path>}`` (the rule's own schema, e.g.
    ``{must.minimum}``) and ``{<dotted.path>}`` of the policy input document."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == "value":
            return compact(value)
        if name == "count":
            return str(len(value)) if isinstance(value, (list, dict)) else compact(value)
        if name.startswith("must."):
            return compact(lookup(must, name.removeprefix("must.")))
        return compact(lookup(facts, name))

    return PLACEHOLDER.sub(fill, template)


def _error_text(where: str, error) -> tuple[str, str]:
    """(failing path, message) of one JSON Schema error; for anyOf/oneOf the closest branch."""
    if error.context:
        error = best_match(error.context)
    path = ".".join([where, *(str(p) for p in error.absolute_path)])
    return path, error.message


def check(rule: Rule, facts: dict, validator: Draft202012Validator | None = None) -> Result:
    """Evaluate one rule against ``facts`` (no waivers)."""
    base = {"id": rule.id, "title": rule.title, "severity": rule.severity, "help": rule.help, "url": rule.url}
    value = lookup(facts, rule.where)
    if value is MISSING:
        reason = why_missing(facts, rule.where)
        if rule.missing == "fail":
            message, failures = f"{rule.where} is absent: {reason}", [rule.where]
        else:
            message, failures = f"{'not applicable' if rule.missing == 'pass' else 'skipped'}: {reason}", []
        status = {"fail": "fail", "pass": "pass", "skip": "skipped"}[rule.missing]
        return Result(**base, status=status, message=message, where=rule.where, failures=failures)
    validator = validator or Draft202012Validator(rule.must)
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    except Exception as err:  # a schema that cannot be applied ($ref to nowhere, bad regex)
        return Result(**base, status="error", message=f"the rule could not be checked: {err}", where=rule.where)
    if not errors:
        shown = compact(value)
        message = f"{rule.where} = {shown}" if len(shown) <= SHORT_VALUE_CHARS else f"{rule.where}: holds"
        return Result(**base, status="pass", message=message, where=rule.where, value=value)
    texts = [_error_text(rule.where, e) for e in errors]
    if rule.message:
        message = render_message(rule.message, value, facts, rule.must)
    else:
        message = "; ".join(f"{path}: {text}" for path, text in texts[:3])
        if len(texts) > 3:
            message += f" (and {len(texts) - 3} more)"
    evidence = []
    if rule.evidence:
        items = lookup(facts, rule.evidence)
        if isinstance(items, list):
            evidence = [compact(item) for item in items[:EVIDENCE_ITEMS]]
    return Result(
        **base,
        status="fail",
        message=message,
        where=rule.where,
        value=value,
        failures=sorted({path for path, _ in texts}),
        evidence=evidence,
    )


def rules_for(pack: PolicyPack, stage: str) -> list[LoadedRule]:
    return [entry for entry in pack.rules if stage in entry.rule.stages]


def evaluate(
    entries: Iterable[LoadedRule], facts: dict, *, root: Path, spec_docs: dict[str, Document] | None = None
) -> list[Result]:
    """Results of ``entries`` against ``facts``, each placed at its spec field or rule."""
    results = []
    for entry in entries:
        result = check(entry.rule, facts)
        result.location = rule_location(entry, root, spec_docs or {})
        results.append(result)
    return results
