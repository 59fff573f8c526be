"""Faults on disk end ``train`` with one line that says what to delete or which run id to choose, exit 2.

One smoke run is killed after its first checkpoint (the ``interrupted`` fixture, beside a
published tiny run that ``latest`` points at); each test
damages one file of a copy of it and resumes. A full disk is a real file size limit
(``RLIMIT_FSIZE``) on the training process, so the writes fail as they would on a full disk.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.training.runs import reserve_run

from .conftest import PACKAGE, ROOT, copy_project, run_cli
from .test_train import CRASH
from .tiny_run import write_run

PUBLISHED = "published"
RUN = "cut"
CHECKPOINT = "checkpoint-19"  # the smoke profile's first epoch


@pytest.fixture(scope="session")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the published run ``published`` and run ``cut`` killed after its first checkpoint."""
    project = copy_project(tmp_path_factory.mktemp("interrupted"))
    write_run(project, PUBLISHED)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CRASH_AT_STEP": "20", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-c", CRASH.format(package=PACKAGE), "--project", str(project), "train"]
    done = subprocess.run([*command, "--profile", "smoke", "--run-id", RUN], env=env, capture_output=True, text=True)
    assert done.returncode == 137, done.stderr
    assert (project / "artifacts" / f".incomplete-{RUN}" / "checkpoints" / CHECKPOINT / "trainer_state.json").exists()
    return project


@pytest.fixture
def damaged(interrupted: Path, tmp_path: Path) -> Path:
    """A scratch copy of the interrupted project."""
    shutil.copytree(interrupted, tmp_path / "p", symlinks=True)
    return tmp_path / "p"


def resume_fails(project: Path, capsys, *args: str) -> str:
    """``train --resume`` exits 2 with one line and no traceback, and publishes nothing."""
    assert main(["--project", str(project), "train", "--resume", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert os.readlink(project / "artifacts" / "latest") == PUBLISHED
    assert not (project / "artifacts" / RUN).exists()
    return err


WORK = f"artifacts/.incomplete-{RUN}"
DAMAGE = {
    # case: (file under the run directory, its new bytes (None: cut in half), what the message names,
    #        what it says to delete: the checkpoint, or the whole run)
    "truncated weights": (f"checkpoints/{CHECKPOINT}/model.safetensors", None, "model.safetensors", CHECKPOINT),
    "garbage optimizer": (f"checkpoints/{CHECKPOINT}/optimizer.pt", b"\x80garbage" * 64, "optimizer.pt", CHECKPOINT),
    "garbage rng state": (f"checkpoints/{CHECKPOINT}/rng_state.pth", b"not a pickle", "rng_state.pth", CHECKPOINT),
    "cut trainer state": (f"checkpoints/{CHECKPOINT}/trainer_state.json", b'{"epoch": ', "trainer_state", CHECKPOINT),
    "invalid state.json": ("state.json", b"{not json", "state.json", WORK),
    "state.json without its keys": ("state.json", b"{}", "misses run_id", WORK),
    "empty tokenizer": ("tokenizer/tokenizer.json", b"{}", "tokenizer", WORK),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_interrupted_run_names_the_file_and_what_to_delete(case: str, damaged: Path, capsys):
    name, content, named, delete = DAMAGE[case]
    path = damaged / WORK / name
    path.write_bytes(content if content is not None else path.read_bytes()[: path.stat().st_size // 2])
    err = resume_fails(damaged, capsys)
    assert named in err and f"delete {delete if delete == WORK else WORK + '/checkpoints/' + delete}" in err, err
    assert (damaged / WORK).is_dir(), "nothing is deleted for the user: the message says what to delete"


@pytest.mark.slow
def test_a_checkpoint_cut_while_saving_is_skipped_with_a_note(damaged: Path, capsys):
    """No trainer_state.json (the Trainer writes it last) means the run stopped while saving it."""
    from {{ cookiecutter.package_name }}.training.checkpoints import newest_checkpoint

    checkpoints = damaged / WORK / "checkpoints"
    shutil.copytree(checkpoints / CHECKPOINT, checkpoints / "checkpoint-38")
    (checkpoints / "checkpoint-38" / "trainer_state.json").unlink()
    assert newest_checkpoint(checkpoints, damaged) == checkpoints / CHECKPOINT
    out = capsys.readouterr().out
    assert f"skipping {WORK}/checkpoints/checkpoint-38: it has no trainer_state.json" in out


@pytest.mark.slow
def test_resuming_or_reusing_a_published_run_id_says_to_choose_another(interrupted: Path, capsys):
    err = resume_fails(interrupted, capsys, "--run-id", PUBLISHED)
    assert f"run {PUBLISHED!r} is complete and published" in err and "choose another --run-id" in err
    assert main(["--project", str(interrupted), "train", "--run-id", PUBLISHED]) == 2
    err = capsys.readouterr().err
    assert f"run {PUBLISHED!r} is already published" in err and "choose another --run-id" in err
    assert main(["--project", str(interrupted), "train", "--run-id", RUN]) == 2
    err = capsys.readouterr().err
    assert "already being trained or was interrupted" in err and f"train --resume --run-id {RUN}" in err


def _reserve(artifacts: str, run_id: str, start, won) -> None:
    start.wait()
    try:
        reserve_run(Path(artifacts), run_id)
        won.put("won")
    except ProjectError as err:
        won.put(str(err))


def test_run_id_reservation_is_atomic_across_processes(tmp_path: Path):
    """Eight processes reserve the same id at once: exactly one gets it, the others are told to choose another."""
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_reserve, args=(str(tmp_path), "race", start, results)) for _ in range(8)]
    for worker in workers:
        worker.start()
    start.set()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join()
    assert outcomes.count("won") == 1, outcomes
    assert all("run 'race' is already being trained" in o and "choose another --run-id" in o for o in outcomes[:-1])


def test_a_train_that_loses_the_race_exits_2_naming_the_id(project: Path, capsys):
    reserve_run(project / "artifacts", "taken")  # as the other `train --run-id taken` does first
    assert main(["--project", str(project), "train", "--run-id", "taken"]) == 2
    err = capsys.readouterr().err
    assert "run 'taken' is already being trained" in err and "Traceback" not in err
    assert (project / "artifacts" / ".incomplete-taken").is_dir(), "the winner's directory stays"


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.slow
def test_a_full_disk_ends_in_one_line_and_leaves_the_run_resumable(damaged: Path):
    """Resume with every file limited below a checkpoint's optimizer state: the next checkpoint cannot be written."""
    checkpoint = damaged / WORK / "checkpoints" / CHECKPOINT
    limit = (checkpoint / "optimizer.pt").stat().st_size // 2
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", PACKAGE, "--project", str(damaged), "train", "--resume"],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size(limit),
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if "no space left" in line]
    assert f"no space left while writing run {RUN} in {WORK}" in line
    assert f"`train --resume --run-id {RUN}` continues from its last complete checkpoint" in line
    assert os.readlink(damaged / "artifacts" / "latest") == PUBLISHED, "latest is untouched"
    assert (checkpoint / "trainer_state.json").exists(), "the last complete checkpoint is kept for the resume"
    assert not (damaged / "artifacts" / RUN).exists()
    status = run_cli(damaged, "train", "--resume", "--run-id", "nosuch")
    assert status.returncode == 2 and "no interrupted run 'nosuch'" in status.stderr


SAVE_OVER_LIMIT = """
import resource, signal, sys
import safetensors.torch, torch
from {package}.training.checkpoints import no_space

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
tensors = dict(w=torch.zeros(100_000))
for name, save in (("torch.save", lambda: torch.save(tensors, sys.argv[1] + "/optimizer.pt")),
                   ("safetensors", lambda: safetensors.torch.save_file(tensors, sys.argv[1] + "/model.safetensors")),
                   ("open", lambda: open(sys.argv[1] + "/state.json", "wb").write(bytes(100_000)))):
    try:
        save()
    except Exception as err:
        print(name, no_space(err))
"""


def test_writes_that_find_no_room_are_recognised_whatever_library_makes_them(tmp_path: Path):
    """torch.save, safetensors and plain writes past a real file size limit: each error reads as no space."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", SAVE_OVER_LIMIT.format(package=PACKAGE), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
    )
    seen = done.stdout.split("\n")[:3]
    assert seen == ["torch.save True", "safetensors True", "open True"], done.stdout + done.stderr
