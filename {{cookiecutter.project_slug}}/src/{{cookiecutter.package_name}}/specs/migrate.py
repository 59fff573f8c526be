"""``migrate``: rewrite specs and policy files written for an older ``apiVersion`` into this release's format.

Every spec and policy file names its format in ``apiVersion``. A template release that changes a
kind's shape bumps that kind's version and adds a step to ``STEPS``; ``migrate`` applies the
steps in order until each file is current. The file is edited, not regenerated: every top-level
field a step does not touch keeps its bytes (comments, quotes, layout), the fields it does touch
are written by ruamel.yaml's round-trip dumper with their comments carried along. It prints what
it changed, writes atomically, and a second run changes nothing. Exit 0 done (or nothing to do),
1 with ``--check`` when a file is out of date, 2 on a file it cannot read or migrate.
"""

from __future__ import annotations

import argparse
import io
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from ..errors import Problem, ProjectError
from ..files import atomic_write_text
from .problems import located
from .yamlio import Document, load_yaml, parse_yaml, plain, roundtrip

#: folders of a project whose YAML files carry an apiVersion
FOLDERS = ("specs", "policies", "examples")


@dataclass(frozen=True)
class Step:
    """One format change of one kind: rewrites a tree at ``source`` into ``target``."""

    kind: str
    source: str
    target: str
    apply: Callable[[Document], list[str]]  # edits doc.tree in place; returns what it changed, for people


def _calibration_block(doc: Document) -> list[str]:
    """EvaluationSpec v1 -> v2: ``calibration_bins: N`` becomes ``calibration: {bins: N}``, comment kept."""
    tree = doc.tree
    if "calibration_bins" not in tree:
        return []
    if "calibration" in tree:
        raise ProjectError(
            [
                located(
                    doc, ("calibration_bins",), "both calibration_bins and calibration are set; keep calibration.bins"
                )
            ]
        )
    block = CommentedMap()
    block["bins"] = tree["calibration_bins"]
    comment = tree.ca.items.pop("calibration_bins", None)
    if comment and comment[2] is not None:  # the end-of-line comment moves to the value it described
        block.ca.items["bins"] = [None, None, comment[2], None]
    tree.insert(list(tree).index("calibration_bins"), "calibration", block)
    del tree["calibration_bins"]
    return ["calibration_bins -> calibration.bins"]


#: (kind, apiVersion it reads) -> step; add one row per kind whose shape a release changes
STEPS: dict[tuple[str, str], Step] = {
    ("EvaluationSpec", "gated-ml/v1"): Step("EvaluationSpec", "gated-ml/v1", "gated-ml/v2", _calibration_block),
}


def current_versions() -> dict[str, str]:
    """kind -> the apiVersion this release reads, from the models themselves."""
    from ..governance.policy.models import Governance, PolicySet, Waivers
    from ..tasks import installed

    kinds = [model for task in installed() for model in task.spec_kinds.values()]
    versions = {}
    for model in (*kinds, PolicySet, Governance, Waivers):
        fields = model.model_fields
        (kind,) = typing.get_args(fields["kind"].annotation)
        (versions[kind],) = typing.get_args(fields["api_version"].annotation)
    return versions


def outdated_version(doc: Document, model: type) -> Problem | None:
    """A problem at ``apiVersion`` when ``doc`` is written for an older format that ``migrate`` upgrades."""
    written = doc.data.get("apiVersion") if isinstance(doc.data, dict) else None
    (kind,) = typing.get_args(model.model_fields["kind"].annotation)
    (current,) = typing.get_args(model.model_fields["api_version"].annotation)
    if not isinstance(written, str) or written == current or (kind, written) not in STEPS:
        return None
    return located(
        doc,
        ("apiVersion",),
        f"{written} is an older {kind} format than this release reads ({current}); "
        f"run `python -m {__package__} migrate` to rewrite it (comments are kept), then validate again",
    )


def _dumper() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the shipped specs
    return yaml


def _blocks(text: str, tree: CommentedMap) -> tuple[list[str], dict[str, list[str]]]:
    """The lines before the first top-level key, and each top-level key's lines up to the next key."""
    parts = text.split("\n")  # YAML breaks lines at \n only; str.splitlines also splits at \x0c, \u2028, ...
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    starts = [(tree.lc.key(key)[0], key) for key in tree]
    starts.sort()
    if not starts:
        return lines, {}
    ends = [line for line, _ in starts[1:]] + [len(lines)]
    return lines[: starts[0][0]], {key: lines[start:end] for (start, key), end in zip(starts, ends, strict=True)}


def migrate_document(doc: Document) -> tuple[str, list[str]]:
    """The migrated text of ``doc`` and the changes made; the text is ``doc.text`` when it is current."""
    doc = roundtrip(doc)  # comments and layout of the text as written
    preamble, before = _blocks(doc.text, doc.tree)
    kind, version = doc.data.get("kind"), doc.data.get("apiVersion")
    changes: list[str] = []
    while isinstance(kind, str) and isinstance(version, str) and (kind, version) in STEPS:
        step = STEPS[(kind, version)]
        changes += step.apply(doc)
        changes.append(f"apiVersion {version} -> {step.target}")
        version = step.target
    if not changes:
        return doc.text, []
    touched = {key for key in doc.tree if key not in before or plain(doc.tree[key]) != doc.data[key]}
    touched.discard("apiVersion")  # only its value changes, in place below
    after: dict[str, list[str]] = {}
    if touched:
        out = io.StringIO()
        _dumper().dump(doc.tree, out)
        _, after = _blocks(out.getvalue(), _dumper().load(out.getvalue()))
    text = "".join(preamble)
    for key in doc.tree:
        if key == "apiVersion":
            text += "".join(_with_value(doc, before[key], doc.data["apiVersion"], version))
        else:
            text += "".join(before[key] if key not in touched else after[key])
    return text, changes


def _with_value(doc: Document, block: list[str], old: str, new: str) -> list[str]:
    """``block`` (the lines of a top-level scalar field) with its value ``old`` replaced by ``new``, quotes kept."""
    line, col = doc.tree.lc.value("apiVersion")
    offset = line - doc.tree.lc.key("apiVersion")[0]
    text = block[offset]
    start = text.index(old, col)
    return [*block[:offset], text[:start] + new + text[start + len(old) :], *block[offset + 1 :]]


def project_files(root: Path) -> list[Path]:
    """The YAML files of ``FOLDERS`` in ``root``, sorted."""
    return sorted(p for folder in FOLDERS for p in (root / folder).glob("*.yaml") if p.is_file() or p.is_symlink())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", type=Path, help=f"YAML files (default: every *.yaml in {', '.join(FOLDERS)}/)"
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file needs migrating")


def run(args: argparse.Namespace) -> int:
    from .project import find_root, shown_path

    root = args.project.resolve() if args.project else find_root()
    files = args.files or project_files(root)
    problems: list[Problem] = []
    pending = 0
    for path in files:
        shown = shown_path(path)
        if path.is_symlink():
            problems.append(Problem(shown, 1, 1, "", "is a symbolic link; migrate the file it points to"))
            continue
        try:
            doc = load_yaml(path, shown, root=root)
            text, changes = migrate_document(doc)
            if changes:
                parse_yaml(text, path, shown)  # the result must load as safely as the original
        except ProjectError as err:
            problems += err.problems
            continue
        if not changes:
            continue
        pending += 1
        print(f"{shown}: {'; '.join(changes)}{' (not written: --check)' if args.check else ''}")
        if not args.check:
            atomic_write_text(path, text)
    if problems:
        raise ProjectError(problems)
    if not pending:
        print(f"up to date: {len(files)} files already in this release's formats")
    return 1 if args.check and pending else 0
