"""Write ``schemas/`` from the spec models of the template's package (``make schemas``).

    python scripts/make_schemas.py [--check]

``--check`` writes nothing and exits 1 when a committed schema differs from the models.
"""

from __future__ import annotations

import importlib
import sys

from template_import import ROOT, load


def main(argv: list[str]) -> int:
    load()
    schema = importlib.import_module("template_package.specs.schema")
    wanted = schema.all_schemas()
    out = ROOT / "schemas"
    stale = sorted(
        name
        for name, text in wanted.items()
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text
    )
    extra = sorted(p.name for p in out.glob("*.schema.json") if p.name not in wanted) if out.is_dir() else []
    if "--check" in argv:
        for name in stale + extra:
            print(f"schemas/{name} is out of date; run `make schemas`", file=sys.stderr)
        return 1 if stale or extra else 0
    out.mkdir(exist_ok=True)
    for name in extra:
        (out / name).unlink()
    for name in stale:
        (out / name).write_text(wanted[name], encoding="utf-8")
    print(f"schemas/: {len(stale)} written, {len(extra)} removed, {len(wanted) - len(stale)} unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
