"""build and render of a text-generation run: a bento of the OpenAI-compatible service, the engine of the spec."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.specs.project import load_project

from .tiny_llm import RUN_ID, copy_project, write_generation_run

pytestmark = pytest.mark.slow  # builds bentos


def bento_dir(bento: str) -> Path:
    name, version = bento.split(":")
    return Path(os.environ["BENTOML_HOME"], "bentos", name, version)


def built(root: Path, engine: str) -> dict:
    """``root`` with the tiny run trained under the deployment spec's ``engine``, built; its build.json."""
    copy_project(root)
    spec = root / "specs" / "deployment.yaml"
    spec.write_text(spec.read_text().replace("engine: transformers", f"engine: {engine}", 1))
    assert load_project(root).deployment.service.engine == engine
    write_generation_run(root)
    assert main(["--project", str(root), "build"]) == 0
    return json.loads((root / "artifacts" / RUN_ID / "build.json").read_text())


def test_build_makes_a_bento_of_the_openai_compatible_service(tmp_path: Path, capsys):
    record = built(tmp_path, "transformers")
    assert "engine transformers" in capsys.readouterr().out
    project = load_project(tmp_path)
    assert (record["task"], record["engine"]) == ("text-generation", "transformers")
    info = YAML(typ="safe").load(bento_dir(record["bento"]) / "bento.yaml")
    [service] = info["services"]
    assert info["service"] == "{{ cookiecutter.package_name }}.tasks.generation.service:Generator"
    assert [m["tag"] for m in service["models"]] == [record["model"]]
    assert info["labels"]["run-id"] == RUN_ID and info["labels"]["engine"] == "transformers"
    args = info["args"]
    assert args["limits"] == project.deployment.service.generation.model_dump()
    assert args["prompt_version"] == project.specs["prompts"].version and args["served_model"] == project.model.name
    requirements = info["image"]["python_requirements"]
    assert "transformers==" in requirements and "torch==" in requirements and "alt-profanity-check==" in requirements
    # the bento carries the service and what it imports, nothing else: it imports from its own files alone
    src = bento_dir(record["bento"]) / "src"
    package = "{{ cookiecutter.package_name }}"
    files = {str(p.relative_to(src / package)) for p in src.rglob("*.py")}
    assert "tasks/generation/service.py" in files and "governance/pii.py" in files
    assert not any(f.startswith(("training/", "evaluation/", "specs/")) for f in files)
    code = f"import {package}.tasks.generation.service as service; print(service.__file__)"
    env = {**os.environ, "PYTHONPATH": str(src)}  # the bento's files first, whatever else is installed
    done = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith(str(src)), done.stdout
    assert main(["--project", str(tmp_path), "render", "--env", "staging"]) == 0
    deployment = YAML(typ="safe").load(tmp_path / "deploy" / "staging" / "deployment.yaml")
    assert deployment["metadata"]["annotations"]["gated-ml/engine"] == "transformers"


def test_the_vllm_engine_is_built_and_rendered_for_gpus(tmp_path: Path, capsys):
    record = built(tmp_path, "vllm")
    project = load_project(tmp_path)
    assert project.deployment.service.resources.gpu > 0, "vllm serves on GPUs (validate checks it)"
    info = YAML(typ="safe").load(bento_dir(record["bento"]) / "bento.yaml")
    from {{ cookiecutter.package_name }}.tasks.generation.engines import VLLM_REQUIREMENT

    requirements = info["image"]["python_requirements"]
    assert VLLM_REQUIREMENT in requirements and "torch==" not in requirements, "vLLM brings the torch it was built for"
    assert record["engine"] == "vllm" and info["labels"]["engine"] == "vllm"
    assert info["services"][0]["config"]["resources"]["gpu"] == project.deployment.service.resources.gpu
    if project.deployment.target == "kubernetes":
        assert main(["--project", str(tmp_path), "render", "--env", "staging"]) == 0
        pod = YAML(typ="safe").load(tmp_path / "deploy" / "staging" / "deployment.yaml")["spec"]["template"]["spec"]
        assert {"name": "shm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]
        gpus = str(project.deployment.service.resources.gpu)
        assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == gpus
    if importlib.util.find_spec("vllm") is None:  # a local try-out where vLLM cannot run is refused at once
        assert main(["--project", str(tmp_path), "serve"]) == 2
        assert "pip install 'vllm==" in capsys.readouterr().err
