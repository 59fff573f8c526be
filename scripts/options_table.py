"""Render the README's table of template options from cookiecutter.json (one source).

    python scripts/options_table.py [--check]

Rewrites the table between the `options:start` and `options:end` markers of README.md;
``--check`` only reports drift and exits 1.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- options:start -->", "<!-- options:end -->"


def rendered_defaults() -> dict:
    """What a ``--no-input`` bake answers, rendered by cookiecutter itself (derived values included)."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    sys.path.insert(0, str(REPO))  # the template's own Jinja extensions
    return prompt_for_config(generate_context(str(REPO / "cookiecutter.json")), no_input=True)


def table() -> str:
    options = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    prompts = options["__prompts__"]
    rendered = rendered_defaults()
    rows = ["| option | question | default | choices |", "| --- | --- | --- | --- |"]
    for name, value in options.items():
        if name.startswith("_"):
            continue
        prompt = prompts.get(name, "")
        prompt = prompt.get("__prompt__", "") if isinstance(prompt, dict) else prompt
        default, choices = (value[0], ", ".join(f"`{c}`" for c in value)) if isinstance(value, list) else (value, "")
        if "{{" in str(default):
            sources = sorted(set(re.findall(r"cookiecutter\.(\w+)", default)), key=list(options).index)
            default = f"`{rendered[name]}`, from {', '.join(f'`{s}`' for s in sources)}"
        else:
            default = f"`{default}`"
        rows.append(f"| `{name}` | {prompt} | {default} | {choices} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = re.sub(f"{re.escape(START)}.*?{re.escape(END)}", f"{START}\n{table()}\n{END}", text, flags=re.S)
    if "--check" in argv:
        if updated != text:
            print("README.md options table is out of date; run `python scripts/options_table.py`", file=sys.stderr)
            return 1
        return 0
    readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
