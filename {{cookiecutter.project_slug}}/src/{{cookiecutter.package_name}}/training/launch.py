"""Multi-GPU training: the ``accelerate launch`` or ``torchrun`` command that runs ``train`` on every GPU.

When ``specs/model.yaml`` asks for more than one GPU in all (``resources.gpus`` x ``resources.nodes``),
``train`` does not train itself: it starts the launcher named in ``resources.launcher``, which runs
one ``train`` process per GPU with the same run id. The ``transformers`` Trainer inside each process
then trains with DDP (``strategy: ddp``) or FSDP (``strategy: fsdp``, set in ``TrainingArguments``).

Several nodes: run the same ``train`` on every node, with ``MASTER_ADDR``, ``MASTER_PORT`` and
``NODE_RANK`` set by the cluster (a Kubernetes job, Slurm script or cloud trainer).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ..errors import ProjectError
from ..specs.model import Resources

#: environment variables a launcher sets in the processes it starts
LAUNCHED_MARKERS = ("LOCAL_RANK", "WORLD_SIZE")
MULTI_NODE_ENV = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK")


def needed(resources: Resources) -> bool:
    """True when the spec asks for more than one GPU in all."""
    return resources.gpus * resources.nodes > 1


def inside_launcher(env: Mapping[str, str] = os.environ) -> bool:
    """True in a process that a launcher started (one rank of a distributed run)."""
    return any(name in env for name in LAUNCHED_MARKERS)


def command(resources: Resources, package: str, train_args: Sequence[str], env: Mapping[str, str] = os.environ):
    """The launcher command line that runs ``python -m <package> <train_args>`` on every GPU.

    Several nodes need ``MASTER_ADDR``, ``MASTER_PORT`` and ``NODE_RANK`` in ``env``; raises
    ``ProjectError`` naming the missing ones.
    """
    nodes, per_node = resources.nodes, resources.gpus
    rendezvous = {}
    if nodes > 1:
        missing = [name for name in MULTI_NODE_ENV if not env.get(name)]
        if missing:
            raise ProjectError(
                f"training on {nodes} nodes needs {', '.join(missing)} in the environment "
                "(the cluster's job launcher sets them on every node)"
            )
        rendezvous = {name: env[name] for name in MULTI_NODE_ENV}
    if resources.launcher == "torchrun":
        cmd = ["torchrun", "--nnodes", str(nodes), "--nproc_per_node", str(per_node)]
        if rendezvous:
            cmd += [
                "--node_rank",
                rendezvous["NODE_RANK"],
                "--master_addr",
                rendezvous["MASTER_ADDR"],
                "--master_port",
                rendezvous["MASTER_PORT"],
            ]
        else:
            cmd += ["--standalone"]
    else:
        cmd = [
            "accelerate",
            "launch",
            "--multi_gpu",
            "--num_machines",
            str(nodes),
            "--num_processes",
            str(nodes * per_node),
            "--dynamo_backend",
            "no",
        ]
        if rendezvous:
            cmd += [
                "--machine_rank",
                rendezvous["NODE_RANK"],
                "--main_process_ip",
                rendezvous["MASTER_ADDR"],
                "--main_process_port",
                rendezvous["MASTER_PORT"],
            ]
    return [*cmd, "-m", package, *train_args]


def check_gpus(resources: Resources) -> None:
    """Raise ``ProjectError`` when this machine has fewer GPUs than the spec asks for per node."""
    import torch

    have = torch.cuda.device_count()
    if have < resources.gpus:
        raise ProjectError(
            f"specs/model.yaml asks for {resources.gpus} GPU(s) per node (resources.gpus) but this machine has "
            f"{have}; set resources.gpus: 0 to train on CPU"
        )
