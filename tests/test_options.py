"""Hostile and invalid option values: they bake into valid files or are refused with a fix."""

from __future__ import annotations

import py_compile
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from ruamel.yaml import YAML

from .conftest import BIN, REPO, bake, cli

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
        ({"gpu_runner_label": "gpu\nlabel"}, "try gpu_runner_label=gpu-label"),
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


def _defaults(**answers: str) -> dict:
    """The answers a --no-input bake would use, rendered by cookiecutter itself (no files written)."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(str(REPO / "cookiecutter.json"), extra_context=answers)
    return prompt_for_config(context, no_input=True)


NAMES = ["Café d'Été Router", "9 Lives", "!!!", "Import", "日本語 チケット", "Test", "A" * 120]


@pytest.mark.parametrize("name", NAMES)
def test_any_project_name_derives_a_valid_slug_and_package(name: str):
    sys.path.insert(0, str(REPO))
    from local_extensions import package_problem, slug_problem

    answers = _defaults(project_name=name)
    assert slug_problem(answers["project_slug"]) is None, answers["project_slug"]
    assert package_problem(answers["package_name"]) is None, answers["package_name"]


@pytest.mark.parametrize(
    ("gpu_type", "label"),
    [("nvidia-l4", "gpu-l4"), ("nvidia-tesla-t4", "gpu-t4"), ("nvidia-a10g", "gpu-a10g"),
     ("nvidia-tesla-a100", "gpu-a100"), ("nvidia-h100-80gb", "gpu-h100")],
)
def test_the_runner_label_follows_the_gpu_type(gpu_type: str, label: str):
    assert _defaults(gpu_type=gpu_type)["gpu_runner_label"] == label


def test_a_name_with_accents_bakes_with_no_other_answer(tmp_path: Path, capfd):
    project = bake(tmp_path, project_name="Café d'Été Router")
    assert project.name == "cafe-d-ete-router" and (project / "src" / "cafe_d_ete_router").is_dir()
    model = YAML(typ="safe").load(project / "specs" / "model.yaml")
    assert model["display_name"] == "Café d'Été Router"  # the model card's title
    out = capfd.readouterr().out
    assert "Next steps" in out and "cd " in out and "make install" in out and "git init" in out
    cli(project, "validate")


def test_a_refusal_prints_the_command_that_bakes(tmp_path: Path):
    """The CLI's own output: no traceback, every answer given, the corrections; that command bakes."""
    cookiecutter = [str(BIN / "cookiecutter"), "--no-input", "--output-dir", str(tmp_path), str(REPO)]
    given = ["project_name=Fraud Scorer", "owner=globex", "package_name=import", "gpu_runner_label=gpu l4"]
    refused = subprocess.run([*cookiecutter, *given], capture_output=True, text=True)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in output, output
    assert not any(tmp_path.iterdir())
    (command,) = [line.strip() for line in output.splitlines() if line.strip().startswith("cookiecutter --no-input")]
    words = shlex.split(command)
    assert {"project_name=Fraud Scorer", "owner=globex", "package_name=import_model", "gpu_runner_label=gpu-l4"} <= set(
        words
    )
    assert words[words.index("--output-dir") + 1] == str(tmp_path)
    words[0] = str(BIN / "cookiecutter")
    baked = subprocess.run(words, capture_output=True, text=True)
    assert baked.returncode == 0, baked.stdout + baked.stderr
    assert (tmp_path / "fraud-scorer" / "src" / "import_model").is_dir()
