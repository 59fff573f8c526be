"""Refuse option values that would bake a broken project, with the value that would work."""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata

CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$")
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
RESERVED_PACKAGES = {
    "src",
    "test",
    "tests",
    "specs",
    "data",
    "json",
    "typing",
    "site",
    "bentoml",
    "transformers",
    "torch",
}
#: control characters other than tab and newline, surrogates, private use, line/paragraph separators
FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}


def _slugify(text: str, sep: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    value = sep.join(words) or "my-project".replace("-", sep)
    return value if value[0].isalpha() else f"project{sep}{value}"


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


def problems(ctx: dict) -> list[str]:
    """Every reason the options in ``ctx`` cannot bake a working project."""
    found = []
    for name, allow_newlines, max_len in (("project_name", False, 100), ("description", True, 500)):
        problem = _text_problem(name, ctx[name], allow_newlines=allow_newlines, max_len=max_len)
        if problem:
            found.append(problem)
    slug, package = ctx["project_slug"], ctx["package_name"]
    if not SLUG.match(slug) or len(slug) > 63:
        found.append(
            f"project_slug {slug!r} is not valid: use lower-case letters, digits and single "
            f"dashes, starting with a letter; try project_slug={_slugify(slug, '-')[:63]}"
        )
    if not PACKAGE.match(package) or keyword.iskeyword(package) or package in RESERVED_PACKAGES:
        suggestion = _slugify(package, "_")
        if keyword.iskeyword(suggestion) or suggestion in RESERVED_PACKAGES:
            suggestion = f"{suggestion}_model"
        found.append(
            f"package_name {package!r} is not a usable Python import name: use lower-case "
            f"letters, digits and underscores, not a keyword or a common module; try package_name={suggestion}"
        )
    if not OWNER.match(ctx["owner"]):
        found.append(f"owner {ctx['owner']!r} is not a GitHub org or org/team; try owner=acme/ml-platform")
    if not RUNNER_LABEL.match(ctx["gpu_runner_label"]):
        found.append(
            f"gpu_runner_label {ctx['gpu_runner_label']!r} is not a runner label: use letters, digits, "
            "'.', '_' and '-'; try gpu_runner_label=gpu-l4"
        )
    return found


if __name__ == "__main__":
    errors = problems(CONTEXT)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    if errors:
        print(
            "Nothing was generated. Run cookiecutter again with the values suggested above "
            "(e.g. cookiecutter <template> --no-input project_slug=my-project).",
            file=sys.stderr,
        )
        sys.exit(1)
