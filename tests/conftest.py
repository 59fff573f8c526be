"""Fixtures for testing the template: bake it with cookiecutter, for real, into temp dirs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: a baked test suite still running after this long is hung, not slow (healthy runs take minutes)
HANG_GUARD_S = 3600


def bake(out: Path, **options: str) -> Path:
    """Bake the template with ``options`` (the rest default) into ``out``; returns the project."""
    return Path(cookiecutter(str(REPO), no_input=True, output_dir=str(out), extra_context=options))


GIT_ID = ["-c", "user.name=test", "-c", "user.email=test@localhost"]


def baked_repository(out: Path, **options: str) -> Path:
    """A bake made a git repository on branch main with one commit (a rehearsal, like CI, sees commits)."""
    project = bake(out, **options)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", *GIT_ID, "commit", "-q", "-m", "Baked project"], cwd=project, check=True)
    return project


#: the tasks a project is baked for, each with the options of its bake (the rest default); tests
#: that run a task's bake (its own tests, its CI rehearsed) take them from the shared bakes below
TASK_BAKES = {"text-classification": {}, "text-generation": {"task": "text-generation"}}
#: the labels of each task's rehearsed pull request (which has one approving review at its head): the
#: default asks for the full run; another task does not, so that the report without a full run is
#: rehearsed too (the full run, its plan job included, is rehearsed by the release workflow as well)
PR_LABELS = {"text-classification": ("train-full",), "text-generation": ()}


def rehearse_workflow(out: Path, workflow: str, *args: str, **options: str) -> tuple[int, Path]:
    """Rehearse ``workflow`` of a fresh bake with ``options``; the exit status and the rehearsal folder."""
    sys.path.insert(0, str(REPO / "scripts"))
    import rehearse

    project = baked_repository(out / "bake", **options)
    folder = out / "rehearsal"
    return rehearse.main([str(project), workflow, "--out", str(folder), *args]), folder


def pr_rehearsal_group(task: str) -> pytest.MarkDecorator:
    """The xdist group of the tests that share ``task``'s PR rehearsal: one worker rehearses it once."""
    return pytest.mark.xdist_group(f"pr-rehearsal-{task}")


@pytest.fixture(scope="session")
def pr_rehearsal(tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """``pr_rehearsal(task)``: that task's bake with pr.yml rehearsed, once per session; exit status and folder.

    Its first job runs the baked fast tier (``pytest -m "not slow"``), so the fast-tier test of a
    session that rehearses reads that step's log rather than running the same tests again. Tests
    that call it for a task carry ``pr_rehearsal_group(task)``, so one worker usually runs them all;
    where xdist hands them to two workers anyway, the second waits on a file lock in the folder the
    workers share and reads the first one's rehearsal instead of rehearsing again.
    """
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each xdist worker has its own basetemp below the session's
        shared = shared.parent

    def rehearsed(task: str) -> tuple[int, Path]:
        out = shared / f"pr-rehearsal-{task}"
        status = out / "exit-status"
        with FileLock(f"{out}.lock"):
            if not status.is_file():
                out.mkdir()
                labels = [arg for label in PR_LABELS[task] for arg in ("--label", label)]
                code, _ = rehearse_workflow(out, "pr", *labels, "--review", "rehearsal-reviewer", **TASK_BAKES[task])
                status.write_text(str(code))
        return int(status.read_text()), out / "rehearsal"

    return rehearsed


@pytest.fixture(scope="session")
def task_bake(tmp_path_factory: pytest.TempPathFactory):
    """``task_bake(task)``: the bake of ``task`` (see ``TASK_BAKES``), made once per session; for tests that read it."""
    made: dict[str, Path] = {}

    def baked(task: str) -> Path:
        if task not in made:
            made[task] = bake(tmp_path_factory.mktemp(task), **TASK_BAKES[task])
        return made[task]

    return baked


def project_env(project: Path) -> dict[str, str]:
    """The environment CI gives a baked project's commands: its ``src/`` importable, our tools on PATH."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_in(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command in a baked project with its ``src/`` importable, as CI would (no time limit)."""
    result = subprocess.run(args, cwd=project, env=project_env(project), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def run_baked_tests(project: Path, *pytest_args: str) -> str:
    """Run the baked project's own tests verbosely; fail naming each inner test that failed, with its output.

    No time limit fails a slow but healthy run. Only a run past ``HANG_GUARD_S`` is stopped, and the
    failure names the inner test that was running then. Returns pytest's output.
    """
    command = [sys.executable, "-m", "pytest", "-v", "-rfE", "--durations=10", "-p", "no:cacheprovider", *pytest_args]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=project, env=project_env(project), stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            code = process.wait(timeout=HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
        log.seek(0)
        output = log.read()
    if code is None:
        running = [line for line in output.splitlines() if "::" in line and not line.rstrip().endswith("%]")]
        raise AssertionError(
            f"the baked tests ran past {HANG_GUARD_S} s, hung in: {running[-1] if running else '(collection)'}\n"
            + "\n".join(output.splitlines()[-40:])
        )
    if code != 0:
        failed = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
        raise AssertionError(f"baked tests failed ({code}): {'; '.join(failed)}\n{output}")
    return output


def cli(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the baked project's CLI (``python -m <package>``)."""
    package = next((project / "src").iterdir()).name
    return run_in(project, sys.executable, "-m", package, *args, check=check)


@pytest.fixture(scope="session")
def default_project(task_bake) -> Path:
    """The default bake, shared by tests that only read it."""
    return task_bake("text-classification")


@pytest.fixture(scope="session")
def template_package():
    """The baked package imported straight from the template (see scripts/template_import.py)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from template_import import load

    return load()


QUICKSTART = re.compile(r"<!-- quickstart:start -->\n```bash\n(.*?)```\n<!-- quickstart:end -->", re.S)


def quickstart_block(readme: Path) -> str:
    """The shell block between the quickstart markers of a README."""
    match = QUICKSTART.search(readme.read_text(encoding="utf-8"))
    assert match, f"{readme} has no quickstart block between <!-- quickstart:start/end --> markers"
    return match.group(1)


@pytest.fixture(scope="session")
def quickstart_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A default bake after its README's quickstart block ran, as written, with ``bash -euo pipefail``.

    It leaves a git repository, ``.venv`` with the project installed, the pre-commit hook, and one
    trained, evaluated and gated run of the default model (``artifacts/latest``) that tests may read.
    What differs from a user's machine is only the environment, as a warm CI cache would have it:
    ``.venv`` starts as a virtual environment that sees this interpreter's packages, and
    ``PIP_FLAGS`` (which the baked Makefile passes to pip) keeps pip offline and off the resolver.
    """
    sys.path.insert(0, str(REPO / "scripts"))
    from rehearse import seeded_venv

    project = bake(tmp_path_factory.mktemp("quickstart"))
    seeded_venv(project / ".venv")
    env = {key: value for key, value in project_env(project).items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        PIP_FLAGS="--no-build-isolation --no-index --no-deps",
        GIT_AUTHOR_NAME="Quickstart", GIT_AUTHOR_EMAIL="quickstart@example.invalid",
        GIT_COMMITTER_NAME="Quickstart", GIT_COMMITTER_EMAIL="quickstart@example.invalid",
    )  # fmt: skip
    block = quickstart_block(project / "README.md")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block], cwd=project.parent, env=env, capture_output=True, text=True
    )
    return project, result
