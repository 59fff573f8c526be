"""``pin-data``: record the current sha256 of each local data file in ``specs/data.yaml``.

Use it after an intended data change. Only the hash values change: ruamel.yaml's positions of
each ``sha256`` value say which bytes to replace, so comments, quotes and layout stay exactly as
written. The file is replaced atomically, and only when a hash changed.
"""

from __future__ import annotations

import argparse

from .errors import ProjectError
from .files import atomic_write_text, sha256_file
from .specs.data import DataSpec, LocalSource
from .specs.problems import located
from .specs.project import find_root, load_spec


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="only report stale hashes; exit 1 if any")


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    path = root / "specs" / "data.yaml"
    doc, spec = load_spec(path, DataSpec)
    if not isinstance(spec.source, LocalSource):
        raise ProjectError([located(doc, ("source", "type"), "only local data files can be pinned here")])
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
            changed[split] = digest
    if missing:
        raise ProjectError(missing)
    for split, digest in changed.items():
        print(f"{split}: {getattr(spec.splits, split).sha256[:12]}… -> {digest[:12]}…")
    if not changed:
        print("all data hashes are current")
        return 0
    if args.check:
        return 1
    lines = doc.text.splitlines(keepends=True)
    for split, digest in changed.items():
        line, col = doc.tree["splits"][split].lc.value("sha256")
        old = getattr(spec.splits, split).sha256
        text = lines[line]
        start = text.index(old, col)
        lines[line] = text[:start] + digest + text[start + len(old) :]
    atomic_write_text(path, "".join(lines))
    print(f"updated {len(changed)} hash(es) in {doc.shown}")
    return 0
