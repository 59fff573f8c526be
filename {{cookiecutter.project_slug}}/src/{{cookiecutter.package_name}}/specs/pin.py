"""``pin-data``: record the current sha256 of each local data file and of a local base model.

Use it after an intended change of the data (``specs/data.yaml``) or of the weights of a
``base: {type: local}`` (``specs/model.yaml``; see ``specs.localbase`` for what is hashed). Only
the hash values change: ruamel.yaml's positions of each ``sha256`` value say which bytes to
replace, so comments, quotes and layout stay exactly as written; a local base without a
``sha256`` gets one on the line after its ``path``. Each file is replaced atomically, and only
when a hash changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ProjectError
from ..files import atomic_write_text, sha256_file
from ..tasks import task_of_root
from . import localbase
from .data import DataSpec, LocalSource
from .model import LocalBase
from .problems import located
from .project import find_root, load_spec
from .yamlio import Document, roundtrip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="only report stale hashes; exit 1 if any")


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    kinds = task_of_root(root).spec_kinds
    data_doc, data = load_spec(root / "specs" / "data.yaml", kinds["data"])
    model_doc, model = load_spec(root / "specs" / "model.yaml", kinds["model"])
    local_data, local_base = isinstance(data.source, LocalSource), isinstance(model.base, LocalBase)
    if not local_data and not local_base:
        raise ProjectError([located(data_doc, ("source", "type"), "only local data files can be pinned here")])
    data_changes = _data_changes(root, data_doc, data) if local_data else {}
    base_change = _base_change(root, model_doc, model.base) if local_base else None
    for split, (old, new) in data_changes.items():
        print(f"{split}: {old[:12]}… -> {new[:12]}…")
    if base_change:
        old, new = base_change
        print(f"base {model.base.path}: {(old or 'unpinned')[:12]}… -> {new[:12]}…")
    if not data_changes and not base_change:
        print("all data hashes are current")
        return 0
    if args.check:
        return 1
    if data_changes:
        edits = {("splits", split): change for split, change in data_changes.items()}
        _write(data_doc, edits)
    if base_change:
        _write(model_doc, {("base",): base_change})
    return 0


def _data_changes(root: Path, doc: Document, spec: DataSpec) -> dict[str, tuple[str, str]]:
    """``{split: (pinned, actual)}`` for each local split file whose sha256 changed."""
    changed, missing = {}, []
    for split, entry in spec.splits:
        if entry is None:
            continue
        file = root / entry.path
        if not file.is_file():
            missing.append(located(doc, ("splits", split, "path"), f"file {entry.path} does not exist"))
            continue
        digest = sha256_file(file)
        if digest != entry.sha256:
            changed[split] = (entry.sha256, digest)
    if missing:
        raise ProjectError(missing)
    return changed


def _base_change(root: Path, doc: Document, base: LocalBase) -> tuple[str | None, str] | None:
    """``(pinned or None, actual)`` when the local base's directory hash changed, else ``None``."""
    try:
        path = localbase.resolve(root, base.path)
        if not path.is_dir():
            raise localbase.UnsafeBase(f"model directory {base.path} does not exist")
        digest = localbase.directory_hash(path, base.path.rstrip("/"))
    except localbase.UnsafeBase as err:
        raise ProjectError([located(doc, ("base", "path"), str(err))]) from None
    return None if digest == base.sha256 else (base.sha256, digest)


def _write(doc: Document, edits: dict[tuple, tuple[str | None, str]]) -> None:
    """Replace (or add) the ``sha256`` value of each mapping at ``loc`` in ``doc``'s file, text left as written."""
    lines = doc.text.splitlines(keepends=True)
    doc = roundtrip(doc)  # flow style and positions of the text as written
    for loc in sorted(edits, reverse=True):  # bottom up: an added line does not move the ones still to edit
        old, new = edits[loc]
        node = doc.tree
        for key in loc:
            node = node[key]
        if old is None:
            if node.fa.flow_style():
                raise ProjectError([located(doc, loc, "write it in block style so that `pin-data` can add sha256")])
            line, col = node.lc.key("path")
            end = lines[line] if lines[line].endswith("\n") else lines[line] + "\n"
            lines[line : line + 1] = [end, " " * col + f"sha256: {new}\n"]
            continue
        line, col = node.lc.value("sha256")
        text = lines[line]
        start = text.index(old, col)
        lines[line] = text[:start] + new + text[start + len(old) :]
    atomic_write_text(doc.path, "".join(lines))
    print(f"updated {len(edits)} hash(es) in {doc.shown}")
