"""The published JSON Schemas: one source (the pydantic models), valid, and what editors see."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from .conftest import REPO


def test_committed_schemas_match_the_models():
    result = subprocess.run([sys.executable, "scripts/make_schemas.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_baked_project_gets_byte_identical_schemas(default_project: Path):
    for schema in sorted((REPO / "schemas").glob("*.json")):
        assert (default_project / "schemas" / schema.name).read_bytes() == schema.read_bytes()


def test_schemas_are_valid_and_accept_the_default_specs(default_project: Path):
    for spec in sorted((default_project / "specs").glob("*.yaml")):
        schema = json.loads((default_project / "schemas" / f"{spec.stem}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        first_line = spec.read_text().splitlines()[0]
        assert first_line == f"# yaml-language-server: $schema=../schemas/{spec.stem}.schema.json"
        jsonschema.Draft202012Validator(schema).validate(YAML(typ="safe").load(spec))


def test_schemas_describe_every_field():
    def walk(node, path):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                assert "description" in prop or "$ref" in prop or "allOf" in prop, f"{path}.{name} has no description"
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    for schema in sorted((REPO / "schemas").glob("*.json")):
        walk(json.loads(schema.read_text()), schema.name)


def test_a_generation_project_gets_its_task_files_only(tmp_path: Path):
    from .conftest import bake

    project = bake(tmp_path, task="text-generation")
    for schema in sorted((REPO / "schemas" / "tasks" / "text-generation").glob("*.json")):
        assert (project / "schemas" / schema.name).read_bytes() == schema.read_bytes(), schema.name
    assert not (project / "schemas" / "tasks").exists() and not (project / "_tasks").exists()
    assert sorted(p.name for p in (project / "policies").glob("*.yaml")) == [
        "default.yaml", "governance.yaml", "text-generation.yaml", "waivers.yaml"
    ]
    assert "DATA-008" in (project / "policies" / "README.md").read_text()
    assert "QUAL-001" not in (project / "policies" / "README.md").read_text()
    package = next((project / "src").iterdir())
    assert sorted(p.name for p in (package / "tasks").iterdir() if p.is_dir()) == ["generation"]
    assert (project / "specs" / "prompts.yaml").is_file() and not (project / "examples").exists()
    assert "{{" not in (project / "specs" / "model.yaml").read_text()
