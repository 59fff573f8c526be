"""The multi-GPU launch commands ``train`` builds from the model spec's resources (built, not run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.specs.model import Resources, Training
from {{ cookiecutter.package_name }}.training import launch
from {{ cookiecutter.package_name }}.training.train import training_arguments

TRAIN = ["--project", "/repo", "train", "--run-id", "r1"]
NODE_ENV = {"MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29500", "NODE_RANK": "1"}


def resources(**fields) -> Resources:
    return Resources(**{"gpus": 4, "gpu_type": "nvidia-l4", "strategy": "ddp", **fields})


def test_one_gpu_or_cpu_needs_no_launcher():
    assert not launch.needed(resources(gpus=0, strategy="none"))
    assert not launch.needed(resources(gpus=1, strategy="none"))
    assert launch.needed(resources(gpus=2))
    assert launch.needed(resources(gpus=1, nodes=2))


def test_a_launched_process_does_not_launch_again():
    assert launch.inside_launcher({"LOCAL_RANK": "0", "WORLD_SIZE": "4"})
    assert not launch.inside_launcher({})


def test_accelerate_on_one_node():
    cmd = launch.command(resources(), "pkg", TRAIN, env={})
    assert cmd[:3] == ["accelerate", "launch", "--multi_gpu"]
    assert cmd[cmd.index("--num_processes") + 1] == "4"
    assert cmd[cmd.index("--num_machines") + 1] == "1"
    assert "--machine_rank" not in cmd
    assert cmd[-len(TRAIN) - 2 :] == ["-m", "pkg", *TRAIN]


def test_accelerate_on_two_nodes_takes_the_rendezvous_from_the_environment():
    cmd = launch.command(resources(nodes=2), "pkg", TRAIN, env=NODE_ENV)
    assert cmd[cmd.index("--num_processes") + 1] == "8"
    assert cmd[cmd.index("--num_machines") + 1] == "2"
    assert cmd[cmd.index("--machine_rank") + 1] == "1"
    assert cmd[cmd.index("--main_process_ip") + 1] == "10.0.0.1"
    assert cmd[cmd.index("--main_process_port") + 1] == "29500"


def test_torchrun_on_one_node_is_standalone():
    cmd = launch.command(resources(launcher="torchrun"), "pkg", TRAIN, env={})
    assert cmd[0] == "torchrun" and "--standalone" in cmd
    assert cmd[cmd.index("--nproc_per_node") + 1] == "4"
    assert cmd[cmd.index("--nnodes") + 1] == "1"
    assert cmd[-len(TRAIN) - 2 :] == ["-m", "pkg", *TRAIN]


def test_torchrun_on_two_nodes():
    cmd = launch.command(resources(launcher="torchrun", nodes=2), "pkg", TRAIN, env=NODE_ENV)
    assert "--standalone" not in cmd
    assert cmd[cmd.index("--node_rank") + 1] == "1"
    assert cmd[cmd.index("--master_addr") + 1] == "10.0.0.1"
    assert cmd[cmd.index("--nproc_per_node") + 1] == "4"


def test_several_nodes_without_rendezvous_is_an_error():
    with pytest.raises(ProjectError, match="MASTER_ADDR, MASTER_PORT, NODE_RANK"):
        launch.command(resources(nodes=2), "pkg", TRAIN, env={})


def test_the_built_command_lines_parse_with_the_real_launchers():
    """The flags exist in the installed accelerate and torch (parsed, not run)."""
    from accelerate.commands.launch import launch_command_parser
    from torch.distributed.run import get_args_parser

    accel = launch.command(resources(nodes=2), "pkg", TRAIN, env=NODE_ENV)
    parsed = launch_command_parser().parse_args(accel[2:])
    assert (parsed.multi_gpu, parsed.num_processes, parsed.module) == (True, 8, True)
    assert parsed.training_script == "pkg" and parsed.training_script_args == TRAIN
    torch_cmd = launch.command(resources(launcher="torchrun"), "pkg", TRAIN, env={})
    parsed = get_args_parser().parse_args(torch_cmd[1:])
    assert (parsed.nproc_per_node, parsed.standalone, parsed.module) == ("4", True, True)
    assert parsed.training_script == "pkg" and parsed.training_script_args == TRAIN


def training(**fields) -> Training:
    base = {"seed": 1, "precision": "bf16", "max_length": 32, "batch_size": 8, "learning_rate": 0.01}
    return Training(**{**base, "scheduler": "linear", "epochs": 2, **fields})


def test_fsdp_is_set_in_the_training_arguments_when_several_gpus_share_the_model():
    args = training_arguments(training(), resources(strategy="fsdp"), Path("out"))
    assert args["fsdp"] == "full_shard auto_wrap"
    assert training_arguments(training(), resources(), Path("out"))["fsdp"] == ""


def test_training_arguments_follow_the_spec():
    args = training_arguments(training(max_steps=50), resources(gpus=0, strategy="none"), Path("out"))
    assert args["use_cpu"] and args["bf16"] and not args["fp16"]
    assert (args["max_steps"], args["seed"], args["data_seed"]) == (50, 1, 1)
    assert args["load_best_model_at_end"] is False and args["metric_for_best_model"] is None
    stopping = training(early_stopping={"metric": "loss", "patience": 2})
    args = training_arguments(stopping, resources(gpus=1, strategy="none"), Path("out"))
    assert args["load_best_model_at_end"] and args["metric_for_best_model"] == "loss"
    assert args["greater_is_better"] is False and not args["use_cpu"]
