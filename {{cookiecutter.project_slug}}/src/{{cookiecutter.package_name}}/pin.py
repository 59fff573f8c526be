"""``pin-data``: record the current sha256 of each local data file in ``specs/data.yaml``.

Use it after an intended data change. Comments and layout of the YAML are kept (ruamel.yaml
round-trip); the file is replaced atomically, and only when a hash changed.
"""

from __future__ import annotations

import argparse
import io

from ruamel.yaml import YAML

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
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    for split, digest in changed.items():
        doc.tree["splits"][split]["sha256"] = digest
    out = io.StringIO()
    yaml.dump(doc.tree, out)
    atomic_write_text(path, out.getvalue())
    print(f"updated {len(changed)} hash(es) in {doc.shown}")
    return 0
