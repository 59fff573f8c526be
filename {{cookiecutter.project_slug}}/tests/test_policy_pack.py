"""Loading policies/: the project's files, and bad files reported like bad specs (file:line:col)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.governance.policy.pack import load_policies
from {{ cookiecutter.package_name }}.specs.yamlio import load_yaml

from .conftest import ROOT


def _line(path: Path, fragment: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if fragment in text)


def _problems(project: Path) -> list[str]:
    with pytest.raises(ProjectError) as err:
        load_policies(project / "policies")
    return err.value.lines()


def test_the_project_policies_load():
    pack = load_policies(ROOT / "policies")
    assert len(pack.rules) >= 15 and pack.waivers == []
    assert pack.governance.waivers.max_days == 90
    assert all(a.startswith("@") for a in pack.governance.approvers)
    assert re.fullmatch(r"[0-9a-f]{64}", pack.hash)


@pytest.mark.parametrize("kind", ["policyset", "governance", "waivers"])
def test_policy_files_match_their_published_schemas(kind: str):
    """Editors check policy files through the modeline's schema: it must accept the shipped files."""
    schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        doc = load_yaml(path)
        if doc.data["kind"].lower() == kind:
            assert f"$schema=../schemas/{kind}.schema.json" in doc.text.splitlines()[0]
            Draft202012Validator(schema).validate(json.loads(json.dumps(doc.data, default=str)))


def test_the_readme_lists_every_default_rule():
    pack = load_policies(ROOT / "policies")
    readme = (ROOT / "policies" / "README.md").read_text()
    rows = {m[0]: m[1:] for m in re.findall(r"^\| ([A-Z]+-\d{3}) \| (\w+) \| ([\w, ]+) \| (.+?) \|$", readme, re.M)}
    for entry in pack.rules:
        rule = entry.rule
        severity, stages, title = rows.pop(rule.id)
        assert (severity, stages.split(", ")) == (rule.severity, rule.stages), rule.id
        assert title.startswith(rule.title), rule.id
    assert rows == {}, f"the README lists rules that do not exist: {sorted(rows)}"


def test_a_misspelt_rule_field_is_placed(project: Path):
    path = project / "policies" / "default.yaml"
    path.write_text(path.read_text().replace("    severity: warning\n", "    severty: warning\n", 1))
    line = _line(path, "severty:")
    assert f"default.yaml:{line}:5: rules[3].severty: unknown field 'severty'; did you mean 'severity'?" in "\n".join(
        _problems(project)
    )


def test_an_invalid_json_schema_is_placed_at_must(project: Path):
    path = project / "policies" / "default.yaml"
    path.write_text(path.read_text().replace("must: {maximum: 0.02}", "must: {maximum: high}", 1))
    line = _line(path, "must: {maximum: high}")
    (problem,) = _problems(project)
    assert f"default.yaml:{line}:11: rules[0].must: Value error, not a valid JSON Schema" in problem
    assert "'high' is not of type 'number'" in problem


def test_a_rule_id_defined_twice_is_refused(project: Path):
    extra = project / "policies" / "team.yaml"
    extra.write_text(
        "apiVersion: gated-ml/v1\nkind: PolicySet\nname: team\nrules:\n"
        "  - id: REG-001\n    title: Another floor\n    severity: error\n    stages: [pr]\n"
        "    where: metrics.test.rows\n    must: {minimum: 1}\n    help: A duplicate id.\n"
    )
    (problem,) = _problems(project)
    assert "team.yaml:5:9: rules[0].id: rule id 'REG-001' is already defined in" in problem
    assert problem.endswith("policies/default.yaml")


def test_unknown_kind_and_missing_governance(project: Path):
    (project / "policies" / "notes.yaml").write_text("kind: Notes\ntext: hello\n")
    (project / "policies" / "governance.yaml").unlink()
    problems = _problems(project)
    assert any(
        "notes.yaml:1:7: kind: unknown policy kind 'Notes'; use one of PolicySet, Waivers, Governance" in p
        for p in problems
    )
    (project / "policies" / "notes.yaml").unlink()
    assert any("no Governance file" in p for p in _problems(project))


def test_a_malformed_waiver_file_exits_2_with_its_line(project: Path, capsys):
    path = project / "policies" / "waivers.yaml"
    path.write_text(
        path.read_text().replace(
            "waivers: []",
            "waivers:\n  - rule: QUAL-001\n    reason: Accepted until the data refresh lands.\n"
            "    approver: '@acme/ml-platform'\n    expires: next week\n",
        )
    )
    assert main(["--project", str(project), "validate", "--skip-data"]) == 2
    line = _line(path, "expires: next week")
    assert f"waivers.yaml:{line}:14: waivers[0].expires: Input should be a valid date" in capsys.readouterr().err
