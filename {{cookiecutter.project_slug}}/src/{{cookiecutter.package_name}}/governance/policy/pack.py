"""Load ``policies/``: every YAML file there is a PolicySet, Waivers or Governance document.

Exits 2 (``ProjectError``) with ``path:line:col`` problems for a bad file, an unknown kind, a rule
id used twice, a missing or doubled governance or waivers file, a rule whose ``where`` or ``evidence`` is not
a path of the policy input document, or a number that is not finite (``.nan``, ``.inf``) anywhere
in a file. Files are read in name order, from the working tree (``load_policies``) or from a git
revision (``load_policies_at``: what a pull request is judged by).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import gitinfo
from ...errors import Problem, ProjectError
from ...specs.problems import located
from ...specs.project import shown_path, validate_document
from ...specs.yamlio import Document, decode_bytes, load_yaml, parse_yaml
from .models import POLICY_KINDS, Governance, PolicySet, Rule, Waiver, Waivers
from .paths import path_problem

POLICIES = "policies"


@dataclass(frozen=True)
class LoadedRule:
    """A rule and where it is written (for reports that point at the rule)."""

    rule: Rule
    doc: Document
    index: int

    @property
    def loc(self) -> tuple:
        return ("rules", self.index, "id")


@dataclass(frozen=True)
class LoadedWaiver:
    """A waiver and where it is written."""

    waiver: Waiver
    doc: Document
    index: int

    @property
    def loc(self) -> tuple:
        return ("waivers", self.index)


@dataclass
class PolicyPack:
    """Every rule, waiver and the governance settings of a project, with a hash of the files."""

    directory: Path
    governance: Governance
    governance_doc: Document
    rules: list[LoadedRule] = field(default_factory=list)
    waivers: list[LoadedWaiver] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    hash: str = ""

    def rule(self, rule_id: str) -> LoadedRule | None:
        return next((r for r in self.rules if r.rule.id == rule_id), None)


def policy_files(directory: Path) -> list[Path]:
    """The YAML files of a policies directory, in name order."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))  # a FIFO is read, and refused


def load_policies(directory: Path, shown: Callable[[Path], str] = shown_path) -> PolicyPack:
    """Load and check every policy file in ``directory``; raises ``ProjectError`` listing every problem."""
    if not directory.is_dir():
        raise ProjectError(f"no {POLICIES}/ directory at {directory}; the gate needs the policy files")
    files = policy_files(directory)
    readers = [lambda path=path: load_yaml(path, shown(path), root=directory.parent) for path in files]
    return _load(directory, files, readers, shown)


def load_policies_at(root: Path, commit: str, ref: str) -> PolicyPack:
    """The policy files of project ``root`` as committed at ``commit`` (read with git, never checked out).

    Messages name each file as ``REF:policies/<name>``; positions are those of the committed file,
    and the pack's files are the project-relative paths (so reports point at ``policies/<name>``).
    """
    names = sorted(p for p in gitinfo.list_dir(root, commit, POLICIES) if p.endswith((".yaml", ".yml")))
    if not names:
        raise ProjectError(f"{ref} has no {POLICIES}/ files; a pull request is judged by its base's policies")
    directory = root / POLICIES
    files = [root / name for name in names]

    def reader(name: str) -> Callable[[], Document]:
        def read() -> Document:
            shown = f"{ref}:{name}"
            return parse_yaml(decode_bytes(gitinfo.show(root, commit, name) or b"", shown), root / name, shown)

        return read

    return _load(directory, files, [reader(name) for name in names], lambda p: f"{ref}:{POLICIES}/{p.name}")


def non_finite(value: Any, loc: tuple = ()) -> Iterator[tuple]:
    """Locations of every NaN or infinite number in loaded YAML data."""
    if isinstance(value, float) and not math.isfinite(value):
        yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from non_finite(item, (*loc, index))


def _document_problems(doc: Document) -> list[Problem]:
    """Problems a policy file's model cannot see: non-finite numbers, and rule paths the facts lack."""
    problems = [
        located(doc, loc, "a number that is not finite (.nan, .inf) compares false with everything; write a number")
        for loc in non_finite(doc.data)
    ]
    rules = doc.data.get("rules") if doc.data.get("kind") == "PolicySet" else None
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        for key in ("where", "evidence"):
            path = rule.get(key) if isinstance(rule, dict) else None
            why = path_problem(path) if isinstance(path, str) and path else None
            if why:
                problems.append(
                    located(doc, ("rules", index, key), f"{why}; a rule reads only paths of schemas/facts.schema.json")
                )
    return problems


def _load(
    directory: Path, files: list[Path], readers: list[Callable[[], Document]], shown: Callable[[Path], str]
) -> PolicyPack:
    problems: list[Problem] = []
    loaded: list[tuple[Document, object]] = []
    for read in readers:
        try:
            doc = read()
            own = _document_problems(doc)
            if own:
                problems += own
                continue
            kind = doc.data.get("kind")
            model = POLICY_KINDS.get(kind) if isinstance(kind, str) else None
            if model is None:
                kinds = ", ".join(POLICY_KINDS)
                problems.append(located(doc, ("kind",), f"unknown policy kind {kind!r}; use one of {kinds}"))
                continue
            loaded.append((doc, validate_document(doc, model)))
        except ProjectError as err:
            problems += err.problems
    governance = [(doc, m) for doc, m in loaded if isinstance(m, Governance)]
    if not governance and not problems:
        problems.append(
            Problem(shown(directory), 0, 0, "", "no Governance file (approvers, limits); add policies/governance.yaml")
        )
    for kind in (Governance, Waivers):
        docs = [doc for doc, model in loaded if isinstance(model, kind)]
        for doc in docs[1:]:
            problems.append(
                located(doc, ("kind",), f"a second {kind.__name__} file; {docs[0].shown} already is one (keep one)")
            )
    rules: list[LoadedRule] = []
    seen: dict[str, LoadedRule] = {}
    waivers: list[LoadedWaiver] = []
    for doc, model in loaded:
        if isinstance(model, PolicySet):
            for i, rule in enumerate(model.rules):
                entry = LoadedRule(rule, doc, i)
                if rule.id in seen and seen[rule.id].doc is not doc:
                    problems.append(
                        located(doc, entry.loc, f"rule id {rule.id!r} is already defined in {seen[rule.id].doc.shown}")
                    )
                seen.setdefault(rule.id, entry)
                rules.append(entry)
        elif isinstance(model, Waivers):
            waivers += [LoadedWaiver(w, doc, i) for i, w in enumerate(model.waivers)]
    if problems:
        raise ProjectError(problems)
    digest = hashlib.sha256()
    for doc in (doc for doc, _ in loaded):
        digest.update(doc.path.name.encode() + b"\0" + doc.text.encode() + b"\0")
    gov_doc, gov = governance[0]
    return PolicyPack(directory, gov, gov_doc, rules, waivers, files, digest.hexdigest())
