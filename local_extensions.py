"""Jinja settings and naming rules for baking this template.

- ``tojson`` keeps non-ASCII text as it is. Jinja's default writes characters outside the BMP
  as surrogate-pair escapes (``\\ud83d\\ude00``), which TOML rejects and YAML decodes into lone
  surrogates; with ``ensure_ascii`` off, ``tojson`` output is a valid string in JSON, YAML and
  TOML alike.
- ``template_repo`` is the absolute path of this repository. cookiecutter's ``_repo_dir`` is
  relative when the template was given as a relative path, and hooks run elsewhere.
- ``usable_name`` finishes what cookiecutter's ``slugify`` filter starts, so that any project
  name derives a valid default slug and package: ``slugify`` turns "Café d'Été Router" into
  ``cafe-d-ete-router``; ``usable_name`` makes an empty slug, one that starts with a digit, or a
  package that shadows a keyword or a common module usable. The pre-generation hook checks
  answers against the same rules (``slug_problem``, ``package_problem``).
- A refused bake ends without cookiecutter's own traceback: the hook's message is the report.
"""

from __future__ import annotations

import keyword
import logging
import re
from pathlib import Path

from jinja2.ext import Extension

TEMPLATE_REPO = str(Path(__file__).resolve().parent)

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SLUG_MAX = 63
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
#: import names a baked package must not take: they shadow its own folders or its dependencies
RESERVED_PACKAGES = frozenset(
    {"src", "test", "tests", "specs", "data", "json", "typing", "site", "bentoml", "transformers", "torch"}
)


def usable_name(value: str, separator: str = "-") -> str:
    """``value`` (already slugified with ``separator``) made a valid slug (``-``) or package (``_``).

    Empty becomes ``my<sep>project``; a leading digit gets a ``project<sep>`` prefix; a package
    that is a keyword or a reserved module gets a ``_model`` suffix; a slug is cut to 63 characters.
    """
    value = value.strip(separator) or f"my{separator}project"
    if not value[0].isalpha():
        value = f"project{separator}{value}"
    if separator == "_" and (keyword.iskeyword(value) or value in RESERVED_PACKAGES):
        value = f"{value}_model"
    return value[:SLUG_MAX].rstrip(separator) if separator == "-" else value


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name the repository and distribution, or None."""
    if SLUG.match(slug) and len(slug) <= SLUG_MAX:
        return None
    return "use lower-case letters, digits and single dashes, starting with a letter, at most 63 characters"


def package_problem(package: str) -> str | None:
    """Why ``package`` cannot be the Python import name, or None."""
    if not PACKAGE.match(package):
        return "use lower-case letters, digits and underscores, starting with a letter"
    if keyword.iskeyword(package):
        return "it is a Python keyword"
    if package in RESERVED_PACKAGES:
        return "it would shadow a module the project uses"
    return None


class _NoHookTraceback(logging.Filter):
    """Drop the traceback cookiecutter logs when a hook refuses: the hook already said why."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and type(record.exc_info[1]).__name__ == "FailedHookException":
            record.exc_info, record.exc_text = None, None
        return True


class FreeTextExtension(Extension):
    """Make ``| tojson`` safe for YAML and TOML files; add ``template_repo`` and ``| usable_name``."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
        environment.globals["template_repo"] = TEMPLATE_REPO
        environment.filters["usable_name"] = usable_name
        hooks_logger = logging.getLogger("cookiecutter.hooks")
        if not any(isinstance(f, _NoHookTraceback) for f in hooks_logger.filters):
            hooks_logger.addFilter(_NoHookTraceback())
