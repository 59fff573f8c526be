"""``runner``: where CI trains, read from the model spec's resources.

Prints one ``key=value`` line per output, for ``$GITHUB_OUTPUT``; the workflows' first job runs it
and the training job takes its runner and install line from them:

    runner=ubuntu-latest        the CPU runner for ``gpus: 0``, the GPU runner label otherwise
    torch_index=https://...     where ``make install`` takes torch from (TORCH_INDEX): the CPU
                                wheels for a CPU runner, PyPI's (built with CUDA) for a GPU runner
    gpus=0                      GPUs the run uses (``resources.gpus``)
    processes=1                 training processes: one per GPU, one on CPU
    launcher=none               ``accelerate`` or ``torchrun`` (``resources.launcher``) when more than
                                one GPU trains; ``train`` starts it itself (see ``training.launch``)

A summary line goes to stderr. Exits 2 when ``specs/model.yaml`` is invalid (``path:line:col``
problems), when it asks for several nodes (a CI job runs on one machine), or when a runner
label is not one. Reads the model spec only, of either task (both have the same ``resources``):
imports neither torch nor transformers.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from ..errors import ProjectError
from ..specs.model import Resources
from ..specs.problems import located
from ..specs.project import find_root, load_spec
from ..tasks import task_of_root

CPU_RUNNER = "ubuntu-latest"
#: the torch wheels `make install` takes by default: CPU only, no CUDA download
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
#: PyPI's Linux wheels of torch are built with CUDA
GPU_TORCH_INDEX = "https://pypi.org/simple"
#: what GitHub accepts as a runner label, and nothing that could start another output line
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Placement:
    """Where one training run goes: the runner, the torch build and how many processes."""

    runner: str
    torch_index: str
    gpus: int
    processes: int
    launcher: str

    def outputs(self) -> str:
        """The ``key=value`` lines for ``$GITHUB_OUTPUT``."""
        return "".join(f"{key}={value}\n" for key, value in vars(self).items())


def place(resources: Resources, *, cpu_runner: str = CPU_RUNNER, gpu_runner: str | None = None) -> Placement:
    """Where a run with ``resources`` trains on one CI machine; raises ``ProjectError`` for a label that is not one."""
    if resources.gpus == 0:
        return Placement(_label(cpu_runner, "--cpu-runner"), CPU_TORCH_INDEX, 0, 1, "none")
    if gpu_runner is None:
        raise ProjectError(
            f"specs/model.yaml asks for {resources.gpus} GPU(s): pass the GPU runner's label (--gpu-runner)"
        )
    launcher = resources.launcher if resources.gpus > 1 else "none"
    return Placement(_label(gpu_runner, "--gpu-runner"), GPU_TORCH_INDEX, resources.gpus, resources.gpus, launcher)


def _label(label: str, flag: str) -> str:
    if not RUNNER_LABEL.match(label):
        raise ProjectError(f"{flag} {label!r} is not a runner label: use letters, digits, '.', '_' and '-'")
    return label


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cpu-runner", default=CPU_RUNNER, help=f"runner label for gpus: 0 (default: {CPU_RUNNER})")
    parser.add_argument("--gpu-runner", default=None, help="runner label of the GPU machines (needed when gpus > 0)")


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    doc, spec = load_spec(root / "specs" / "model.yaml", task_of_root(root).spec_kinds["model"], root)
    resources: Resources = spec.resources  # type: ignore[attr-defined]
    if resources.nodes > 1:
        raise ProjectError(
            [
                located(
                    doc,
                    ("resources", "nodes"),
                    f"a CI job runs on one machine, not {resources.nodes} nodes: train on the cluster, "
                    "or set nodes: 1 to train in CI",
                )
            ]
        )
    placement = place(resources, cpu_runner=args.cpu_runner, gpu_runner=args.gpu_runner)
    sys.stdout.write(placement.outputs())
    where = f"{placement.gpus} x {resources.gpu_type or 'GPU'}" if placement.gpus else "CPU"
    launch = f", launched by {placement.launcher}" if placement.launcher != "none" else ""
    torch = "CPU torch" if placement.torch_index == CPU_TORCH_INDEX else "PyPI's torch (CUDA)"
    print(
        f"runner: train on {placement.runner} ({where}, {torch}, {placement.processes} process(es){launch})",
        file=sys.stderr,
    )
    return 0
