"""Import the baked project's package straight from the template, without baking.

The package's modules use relative imports only and no Jinja, so the template's copy imports
as it is, under the name ``template_package``. Bytecode is not written into the template.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "{{cookiecutter.project_slug}}" / "src" / "{{cookiecutter.package_name}}"
NAME = "template_package"


def load():
    """Return the template's package module (imported once per process)."""
    if NAME in sys.modules:
        return sys.modules[NAME]
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location(
        NAME, PACKAGE_DIR / "__init__.py", submodule_search_locations=[str(PACKAGE_DIR)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    spec.loader.exec_module(module)
    return module
