"""Refuse option values that would bake a broken project, with the command that bakes a working one.

A refusal prints one message: each problem with its corrected value, then the exact
``cookiecutter --no-input`` command that carries every answer given, the corrections applied.
Nothing is written (cookiecutter removes the half-made folder).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import unicodedata
from pathlib import Path

CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
TEMPLATE_REPO = json.loads(r'''{{ template_repo | tojson }}''')  # fmt: skip

sys.path.insert(0, TEMPLATE_REPO)
from slugify import slugify  # noqa: E402  (cookiecutter's own dependency, what its `slugify` filter calls)

from local_extensions import package_problem, slug_problem, usable_name  # noqa: E402

OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$")
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: control characters other than tab and newline, surrogates, private use, line/paragraph separators
FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}
#: free-text options: (name, newlines allowed, longest length, value when nothing usable is left)
FREE_TEXT = (("project_name", False, 100, "My Project"), ("description", True, 500, "A text classifier."))


def _clean_text(value: str, *, allow_newlines: bool, max_len: int, fallback: str) -> str:
    kept = "".join(
        c for c in value if (allow_newlines and c in "\t\n") or unicodedata.category(c) not in FORBIDDEN_CATEGORIES
    )
    return kept.strip()[:max_len].strip() or fallback


def _text_problem(name: str, value: str, *, allow_newlines: bool, max_len: int) -> str | None:
    if not value.strip():
        return f"{name} is empty; give it a value."
    if len(value) > max_len:
        return f"{name} is {len(value)} characters long; keep it under {max_len}."
    for char in value:
        if char in "\t\n" and allow_newlines:
            continue
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return f"{name} contains the control or invisible character U+{ord(char):04X}; remove it."
    return None


def problems(ctx: dict) -> list[tuple[str, str, str]]:
    """Every reason the options in ``ctx`` cannot bake a working project: ``(option, why, corrected value)``."""
    found = []
    for name, allow_newlines, max_len, fallback in FREE_TEXT:
        problem = _text_problem(name, ctx[name], allow_newlines=allow_newlines, max_len=max_len)
        if problem:
            fixed = _clean_text(ctx[name], allow_newlines=allow_newlines, max_len=max_len, fallback=fallback)
            found.append((name, problem, fixed))
    slug, package = ctx["project_slug"], ctx["package_name"]
    why = slug_problem(slug)
    if why:
        fixed = usable_name(slugify(slug, max_length=63, word_boundary=True), "-")
        found.append(("project_slug", f"project_slug {slug!r} is not valid: {why}.", fixed))
    why = package_problem(package)
    if why:
        fixed = usable_name(slugify(package, separator="_"), "_")
        found.append(("package_name", f"package_name {package!r} is not a usable Python import name: {why}.", fixed))
    if not OWNER.match(ctx["owner"]):
        found.append(("owner", f"owner {ctx['owner']!r} is not a GitHub org or org/team.", "acme/ml-platform"))
    label = ctx["gpu_runner_label"]
    if not RUNNER_LABEL.match(label):
        fixed = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-._")[:64] or "gpu"
        found.append(("gpu_runner_label", f"gpu_runner_label {label!r} is not a runner label: use letters, "
                      "digits, '.', '_' and '-'.", fixed))  # fmt: skip
    return found


def fixing_command(ctx: dict, fixes: dict[str, str], cwd: str | None = None) -> str:
    """``cookiecutter --no-input <template> key=value ...``: every answer in ``ctx``, ``fixes`` applied."""
    words = ["cookiecutter", "--no-input"]
    if ctx.get("_checkout"):
        words += ["--checkout", ctx["_checkout"]]
    output_dir = ctx.get("_output_dir")
    if output_dir and cwd and Path(output_dir).resolve() != Path(cwd).resolve():
        words += ["--output-dir", output_dir]
    words.append(ctx.get("_template") or TEMPLATE_REPO)
    order = json.loads((Path(TEMPLATE_REPO) / "cookiecutter.json").read_text(encoding="utf-8"))
    answers = {k: ctx[k] for k in order if not k.startswith("_") and isinstance(ctx.get(k), str)}
    words += [f"{key}={value}" for key, value in {**answers, **fixes}.items()]
    return " ".join(shlex.quote(word) for word in words)


def message(ctx: dict, found: list[tuple[str, str, str]], cwd: str | None = None) -> str:
    """The one message of a refusal: the problems, each with its correction, and the command to run."""
    lines = ["Nothing was generated: some answers would bake a broken project."]
    lines += [f"  - {why.rstrip('.')}; try {name}={shlex.quote(fixed)}" for name, why, fixed in found]
    lines += ["Bake with every answer you gave and these corrections (edit them as you like):", ""]
    lines += ["  " + fixing_command(ctx, {name: fixed for name, _, fixed in found}, cwd), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    refused = problems(CONTEXT)
    if refused:
        print(message(CONTEXT, refused, os.environ.get("PWD")), file=sys.stderr)
        sys.exit(1)
