"""Hostile and invalid option values: they bake into valid files or are refused with a fix."""

from __future__ import annotations

import py_compile
import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from ruamel.yaml import YAML

from .conftest import REPO, bake, cli

HOSTILE_TEXT = [
    'Routes "tickets" \\ with \'quotes\' and """triple""" and \'\'\'more\'\'\'',
    "Line one\nkind: Injected\n[tool.evil]\nx = 1",
    "Ünïcödé 🚀 ticket routing — 日本語 עברית",
    '"; import os; os.system("touch pwned") #',
    "</script><script>alert(1)</script> & ${HOME} $(id) `id`",
    "{{ 7 * 7 }} is rendered once by cookiecutter, never executed later",
]


@pytest.mark.parametrize("description", HOSTILE_TEXT)
def test_hostile_description_bakes_valid_files(tmp_path: Path, description: str):
    project = bake(tmp_path, description=description, project_name=description.splitlines()[0][:90],
                   project_slug="hostile", package_name="hostile")
    expected = description.replace("{{ 7 * 7 }}", "49")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == expected.replace("\n", " ")
    model = YAML(typ="safe").load(project / "specs" / "model.yaml")
    assert model["description"] == expected
    for source in (project / "src").rglob("*.py"):
        py_compile.compile(str(source), doraise=True)
    cli(project, "validate")
    assert not list(project.rglob("pwned")) and not (REPO / "pwned").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"project_slug": "My Project"}, "try project_slug=my-project"),
        ({"project_slug": "ticket_router"}, "try project_slug=ticket-router"),
        ({"project_slug": "9lives"}, "try project_slug=project-9lives"),
        ({"package_name": "import"}, "try package_name=import_model"),
        ({"package_name": "ticket-router"}, "try package_name=ticket_router"),
        ({"package_name": "src"}, "try package_name=src_model"),
        ({"owner": "acme; rm -rf /"}, "try owner=acme/ml-platform"),
        ({"gpu_runner_label": "gpu\nlabel"}, "try gpu_runner_label=gpu-l4"),
        ({"project_name": "Tab\tname", "project_slug": "tab"}, "control or invisible character U+0009"),
        ({"description": "bell\x07"}, "control or invisible character U+0007"),
        ({"project_name": "   ", "project_slug": "blank"}, "project_name is empty"),
    ],
)
def test_bad_options_are_refused_by_the_pre_gen_hook(tmp_path: Path, capfd, options: dict, message: str):
    with pytest.raises(FailedHookException):
        bake(tmp_path, **options)
    err = capfd.readouterr().err
    assert message in err
    assert not any(tmp_path.iterdir()), "a refused bake must leave nothing behind"
