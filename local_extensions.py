"""Jinja settings for baking this template.

- ``tojson`` keeps non-ASCII text as it is. Jinja's default writes characters outside the BMP
  as surrogate-pair escapes (``\\ud83d\\ude00``), which TOML rejects and YAML decodes into lone
  surrogates; with ``ensure_ascii`` off, ``tojson`` output is a valid string in JSON, YAML and
  TOML alike.
- ``template_repo`` is the absolute path of this repository. cookiecutter's ``_repo_dir`` is
  relative when the template was given as a relative path, and hooks run elsewhere.
"""

from pathlib import Path

from jinja2.ext import Extension

TEMPLATE_REPO = str(Path(__file__).resolve().parent)


class FreeTextExtension(Extension):
    """Make ``| tojson`` safe for YAML and TOML files, and expose ``template_repo``."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
        environment.globals["template_repo"] = TEMPLATE_REPO
