"""The runner command: where CI trains, read from the model spec's resources (CI's first job runs it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from {{ cookiecutter.package_name }}.cli import main

from .conftest import ROOT, heavy_imports

GPU_RUNNER = "gpu-l4"


def with_resources(project: Path, **fields) -> Path:
    """Set fields of ``resources`` in the copy's model spec (comments and layout kept)."""
    spec = project / "specs" / "model.yaml"
    yaml = YAML()
    doc = yaml.load(spec)
    doc["resources"].update(fields)
    with spec.open("w") as handle:
        yaml.dump(doc, handle)
    return project


def outputs(project: Path, capsys, *args: str) -> dict[str, str]:
    """The ``key=value`` lines ``runner`` prints (which must exit 0), as a dict."""
    code = main(["--project", str(project), "runner", "--gpu-runner", GPU_RUNNER, *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert all(re.fullmatch(r"[a-z_]+=[^\s=]+", line) for line in lines), out
    return dict(line.split("=", 1) for line in lines)


def test_cpu_spec_trains_on_the_cpu_runner_with_the_makefile_s_cpu_torch(capsys):
    got = outputs(ROOT, capsys)
    makefile = (ROOT / "Makefile").read_text()
    cpu_index = re.search(r"^TORCH_INDEX \?= (\S+)$", makefile, re.M).group(1)
    assert got == {
        "runner": "ubuntu-latest",
        "torch_index": cpu_index,
        "gpus": "0",
        "processes": "1",
        "launcher": "none",
    }


def test_the_cpu_runner_label_can_be_given(project: Path, capsys):
    assert outputs(project, capsys, "--cpu-runner", "ubuntu-24.04")["runner"] == "ubuntu-24.04"


@pytest.mark.parametrize("launcher", ["accelerate", "torchrun"])
def test_one_gpu_takes_the_gpu_runner_and_pypi_torch_without_a_launcher(project: Path, capsys, launcher):
    got = outputs(with_resources(project, gpus=1, launcher=launcher), capsys)
    assert got == {
        "runner": GPU_RUNNER,
        "torch_index": "https://pypi.org/simple",
        "gpus": "1",
        "processes": "1",
        "launcher": "none",
    }


@pytest.mark.parametrize("launcher", ["accelerate", "torchrun"])
def test_four_gpus_are_launched_by_the_spec_s_launcher(project: Path, capsys, launcher):
    got = outputs(with_resources(project, gpus=4, strategy="ddp", launcher=launcher), capsys)
    assert got["runner"] == GPU_RUNNER and got["torch_index"] == "https://pypi.org/simple"
    assert (got["gpus"], got["processes"], got["launcher"]) == ("4", "4", launcher)


def test_several_nodes_cannot_train_in_one_ci_job(project: Path, capsys):
    with_resources(project, gpus=2, nodes=2, strategy="ddp")
    assert main(["--project", str(project), "runner", "--gpu-runner", GPU_RUNNER]) == 2
    out, err = capsys.readouterr()
    line = next(n for n, text in enumerate((project / "specs" / "model.yaml").read_text().splitlines(), 1)
                if text.strip().startswith("nodes:"))  # fmt: skip
    assert out == ""
    assert re.search(rf"model\.yaml:{line}:\d+: resources\.nodes: a CI job runs on one machine, not 2 nodes", err)


def test_an_invalid_spec_exits_2_with_its_position_and_no_outputs(project: Path, capsys):
    with_resources(project, gpus=-1)
    assert main(["--project", str(project), "runner", "--gpu-runner", GPU_RUNNER]) == 2
    out, err = capsys.readouterr()
    assert out == "" and re.search(r"model\.yaml:\d+:\d+: resources\.gpus: ", err)


def test_a_gpu_spec_needs_the_gpu_runner_label(project: Path, capsys):
    with_resources(project, gpus=1)
    assert main(["--project", str(project), "runner"]) == 2
    assert "--gpu-runner" in capsys.readouterr().err


@pytest.mark.parametrize("label", ["gpu\nrunner=attacker", "", "gpu l4", "-gpu"])
def test_a_label_that_is_not_one_prints_no_outputs(project: Path, capsys, label):
    """A newline in a label would start an output line of its own in $GITHUB_OUTPUT."""
    with_resources(project, gpus=1)
    assert main(["--project", str(project), "runner", f"--gpu-runner={label}"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "is not a runner label" in err


def test_runner_does_not_import_heavy_libraries():
    assert heavy_imports("--project", str(ROOT), "runner", "--gpu-runner", GPU_RUNNER) == []
