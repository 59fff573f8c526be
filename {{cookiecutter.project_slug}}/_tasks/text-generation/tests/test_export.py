"""``export promptfoo`` on this project: every golden case, with its row's inputs and its assertions."""

from __future__ import annotations

import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.training.data import read_splits


def test_export_promptfoo_writes_the_golden_set(project, capsys):
    out = project / "eval" / "promptfooconfig.yaml"
    assert main(["--project", str(project), "export", "promptfoo", "--url", "http://svc:8080", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    document = yaml.safe_load(out.read_text(encoding="utf-8"))

    spec = load_project(project)
    golden, columns = spec.evaluation.golden, spec.data.columns
    rows = {str(r[columns.id]): r for r in read_splits(spec, ["golden"])["golden"].records}
    assert [t["description"] for t in document["tests"]] == [case.id for case in golden.cases]
    for test, case in zip(document["tests"], golden.cases, strict=True):
        assert test["vars"] == {column: rows[case.id][column] for column in columns.inputs}
        assert [a["type"] for a in test["assert"]] == [
            "javascript" if a.type == "max-length" else a.type for a in case.assertions
        ]
    (provider,) = document["providers"]
    assert provider["config"]["url"] == "http://svc:8080/v1/chat/completions"
    assert provider["config"]["body"]["max_tokens"] == spec.evaluation.decoding.max_new_tokens
    prompts = spec.specs["prompts"]
    assert len(document["prompts"]) == 1
    for variable in columns.inputs:
        if "{" + variable + "}" in prompts.templates[prompts.default]:
            assert "{" * 2 + variable + "}" * 2 in document["prompts"][0]

