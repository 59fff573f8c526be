"""Load ``policies/``: every YAML file there is a PolicySet, Waivers or Governance document.

Exits 2 (``ProjectError``) with ``path:line:col`` problems for a bad file, an unknown kind, a rule
id used twice, or a missing or doubled governance file. Files are read in name order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ProjectError
from ..specs.problems import located
from ..specs.project import shown_path, validate_document
from ..specs.yamlio import Document, load_yaml
from .models import POLICY_KINDS, Governance, PolicySet, Rule, Waiver, Waivers

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
    problems: list[Problem] = []
    loaded: list[tuple[Document, object]] = []
    for path in files:
        try:
            doc = load_yaml(path, shown(path), root=directory.parent)
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
    for doc, _ in governance[1:]:
        first = governance[0][0].shown
        problems.append(located(doc, ("kind",), f"a second Governance file; {first} already is one"))
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
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    gov_doc, gov = governance[0]
    return PolicyPack(directory, gov, gov_doc, rules, waivers, files, digest.hexdigest())
