"""``export``: a classification project has no golden set of generated text to export."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.cli import main


def test_export_promptfoo_needs_a_text_generation_project(project, capsys):
    assert main(["--project", str(project), "export", "promptfoo"]) == 2
    err = capsys.readouterr().err
    assert "`export promptfoo` needs a project with a golden set of generated text" in err
    assert "task is text-classification" in err
    assert not (project / "promptfooconfig.yaml").exists()
