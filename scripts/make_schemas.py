"""Write ``schemas/`` from the spec models of the template's package (``make schemas``).

    python scripts/make_schemas.py [--check]

The default task's schemas go into ``schemas/``, every other task's into ``schemas/tasks/<task>/``
(a project baked for that task gets them as its ``schemas/``). ``--check`` writes nothing and exits
1 when a committed schema differs from the models.
"""

from __future__ import annotations

import importlib
import sys

from template_import import ROOT, load


def wanted() -> dict[str, str]:
    """Path below ``schemas/`` -> schema text, for every task."""
    load()
    schema = importlib.import_module("template_package.specs.schema")
    tasks = importlib.import_module("template_package.tasks")
    default, *others = tasks.installed()
    out = dict(schema.all_schemas(default))
    for task in others:
        out |= {f"tasks/{task.name}/{name}": text for name, text in schema.all_schemas(task).items()}
    return out


def main(argv: list[str]) -> int:
    texts = wanted()
    out = ROOT / "schemas"
    stale = sorted(
        name
        for name, text in texts.items()
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text
    )
    present = [p.relative_to(out).as_posix() for p in out.rglob("*.schema.json")] if out.is_dir() else []
    extra = sorted(name for name in present if name not in texts)
    if "--check" in argv:
        for name in stale + extra:
            print(f"schemas/{name} is out of date; run `make schemas`", file=sys.stderr)
        return 1 if stale or extra else 0
    for name in extra:
        (out / name).unlink()
    for name in stale:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(texts[name], encoding="utf-8")
    print(f"schemas/: {len(stale)} written, {len(extra)} removed, {len(texts) - len(stale)} unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
