"""Rehearse a GitHub Actions workflow of a baked project on this machine, on CPU.

    python scripts/rehearse.py PROJECT WORKFLOW [--out DIR] [--event NAME] [--label NAME]...
                               [--input KEY=VALUE]... [--repository OWNER/NAME] [--review LOGIN[=STATE]]...

PROJECT is a git repository: like CI, a rehearsal sees its commits, not uncommitted changes.
WORKFLOW is a file under PROJECT/.github/workflows (``pr``, ``release.yml``) or a path. The jobs
run one at a time in the order their ``needs`` allow, each in a fresh workspace (a checkout of
PROJECT's HEAD), so a job that forgets to download what an earlier job made fails here as it
would on GitHub. As on a runner, every job's workspace has the same path, OUT/workspace; when
the job ends it moves to OUT/jobs/<job>/workspace.

The project's environment, ``.venv``, is kept between jobs the way a CI dependency cache keeps
it: a job starts with the ``.venv`` the last successful job left (``make install`` then finds it
up to date and installs nothing, or only what its own line changes). The first job's ``.venv``
sees the packages of the Python running this script (this machine cannot download torch), so
installing what is already there needs no network.

How a step runs
- ``run:`` steps run for real: bash (or the step's ``shell``) in the job's workspace, with the
  environment GitHub gives (``CI``, ``GITHUB_*``, ``RUNNER_*``; a job-private ``HOME``) and its
  files (``GITHUB_ENV``, ``GITHUB_OUTPUT``, ``GITHUB_PATH``, ``GITHUB_STEP_SUMMARY``). The
  output goes to OUT/logs/<job>/; step summaries to OUT/summaries/<job>.md.
- A step whose ``env`` has ``REHEARSAL_STANDIN`` (its value says what the step sends) needs
  GitHub or a registry. It does not run: its stand-in writes what it would have sent into
  OUT/sent/<NN>-<job>-<step>/ (``request.json`` with the step's inputs, environment and script,
  and a copy of every workspace file its inputs or environment name). The stand-ins of
  ``actions/upload-artifact`` and ``actions/download-artifact`` also keep the files in
  OUT/artifacts/<name>/ and hand them to later jobs. A stand-in step whose ``env`` names
  ``REVIEWS_FILE`` fetches a pull request's reviews: its stand-in writes there what GitHub's API
  would answer, the ``--review LOGIN[=STATE]`` reviews (state APPROVED unless given) at the head
  commit, so the gate's approval flow runs for real. A stand-in step's outputs read as
  ``<stand-in: steps.ID.outputs.NAME>`` (an output named ``digest`` reads as the sha256 of that
  placeholder, a well-formed image digest).
- ``actions/checkout`` fetches PROJECT's HEAD into the workspace the way GitHub does (its
  ``fetch-depth`` and ``ref`` are honoured: depth 0 brings every branch and tag as ``origin/*``).
  ``actions/setup-python`` uses the rehearsal's interpreter: a virtual environment at OUT/venv
  that sees the packages of the Python running this script, so ``pip install`` of what is
  already there needs no network. A version other than the one asked for is reported.
- A job's ``environment`` is recorded in OUT/sent/ as the approval it would wait for; a job's
  ``runs-on`` is evaluated (it may come from an earlier job's outputs, as the runner a plan job
  picks from the model spec does) and recorded in the summary, and the job runs here on this
  machine's CPU whatever runner it names, a GPU runner's included. Its steps run as written, so
  the install line a plan's outputs choose (``make install TORCH_INDEX=...``) is the one that runs.
- Any other ``uses:`` step without the marker, a matrix, service containers or a reusable
  workflow stop the rehearsal before it starts (exit 2): a step that cannot be rehearsed is a
  bug in the workflow.

Expressions (``${{ ... }}``) are evaluated by ``gh_expressions`` against local values:
``github`` describes a run of WORKFLOW for ``--event`` (default: its first trigger among
pull_request, push, workflow_dispatch) on PROJECT's current branch and HEAD commit: run_id,
run_number and run_attempt ``1``, actor ``rehearsal``, repository ``--repository`` (default
``rehearsal/<PROJECT's directory name>``), token ``***``. A pull_request event is pull request
number 1 from a branch of the same repository into PROJECT's current branch, with ``--label``
names as its labels. ``inputs`` are ``--input`` values over the workflow_dispatch defaults;
``secrets`` hold only ``GITHUB_TOKEN`` (``***``); ``vars`` is empty; ``env``, ``steps``,
``needs``, ``job`` and ``runner`` follow the run.

Exit status: 0 every job succeeded or was skipped by its condition, 1 a job failed, 2 the
workflow or the arguments cannot be rehearsed. A summary is written to OUT/rehearsal.json.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gh_expressions import Evaluator, ExpressionError, to_string
from ruamel.yaml import YAML

STANDIN = "REHEARSAL_STANDIN"
#: the project's environment, carried from job to job as a CI dependency cache would
CARRIED_ENV = ".venv"
LOCAL_ACTIONS = ("actions/checkout", "actions/setup-python")
ARTIFACT_ACTIONS = ("actions/upload-artifact", "actions/download-artifact")
TRIGGER_ORDER = ("pull_request", "push", "workflow_dispatch")
UNSUPPORTED_JOB_KEYS = ("strategy", "services", "container", "uses")
SHELLS = {
    None: ["bash", "-e", "{0}"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python", "{0}"],
}
#: ``github`` context values a runner also exports as ``GITHUB_<NAME>``
GITHUB_VARIABLES = (
    "sha", "ref", "ref_name", "ref_type", "base_ref", "head_ref", "repository", "repository_owner", "run_id",
    "run_number", "run_attempt", "workflow", "job", "actor", "triggering_actor", "event_name", "server_url", "api_url",
)  # fmt: skip
#: variables of the calling environment that would make the rehearsal differ from a runner
DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


def seeded_venv(path: Path) -> Path:
    """A venv that sees the calling interpreter's packages, with a ``pip`` that installs into the venv.

    The packages come in through a ``.pth`` file, so ``pip install`` of what is already there
    is satisfied without network; ``pip`` is the calling interpreter's, run by the venv's Python.
    """
    venv.EnvBuilder(with_pip=False, symlinks=True).create(path)
    python = path / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "_rehearsal_base.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    for name in ("pip", "pip3"):
        launcher = path / "bin" / name
        launcher.write_text(
            f"#!{python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n", encoding="utf-8"
        )
        launcher.chmod(0o755)
    return python


class RehearsalError(Exception):
    """The workflow or the arguments cannot be rehearsed (exit 2)."""


def load_workflow(path: Path) -> dict:
    """The workflow as plain data; its trigger key is ``on`` however the YAML reads it."""
    try:
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except Exception as err:  # ruamel raises many error types; all mean the file is not a workflow
        raise RehearsalError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise RehearsalError(f"{path}: not a workflow (no jobs)")
    if True in data:  # YAML 1.1 readers turn `on` into a boolean
        data["on"] = data.pop(True)
    return data


def triggers(workflow: dict) -> dict:
    """The ``on:`` section as ``{event: settings}``."""
    on = workflow.get("on") or {}
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {name: settings or {} for name, settings in on.items()}


def job_order(jobs: dict) -> list[str]:
    """Job ids in file order, each after the jobs it needs."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(job_id: str) -> None:
        if job_id in order:
            return
        if job_id in visiting:
            raise RehearsalError(f"jobs.{job_id}: needs form a cycle")
        visiting.add(job_id)
        for need in needs_of(jobs[job_id]):
            if need not in jobs:
                raise RehearsalError(f"jobs.{job_id}.needs: no job {need!r}")
            visit(need)
        visiting.discard(job_id)
        order.append(job_id)

    for job_id in jobs:
        visit(job_id)
    return order


def needs_of(job: dict) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def action_name(uses: str) -> str:
    """``actions/checkout@<sha>`` -> ``actions/checkout``; ``github/codeql-action/upload-sarif@x`` keeps its path."""
    return uses.split("@", 1)[0].lower()


def check_rehearsable(workflow: dict) -> None:
    """Refuse, before anything runs, what a rehearsal cannot do."""
    problems = []
    for job_id, job in workflow["jobs"].items():
        for key in UNSUPPORTED_JOB_KEYS:
            if key in job:
                problems.append(f"jobs.{job_id}.{key}: not supported by the rehearsal")
        for index, step in enumerate(job.get("steps") or []):
            where = f"jobs.{job_id}.steps[{index}] ({step.get('name') or step.get('id') or step.get('uses')})"
            if ("run" in step) == ("uses" in step):
                problems.append(f"{where}: a step has exactly one of run: or uses:")
                continue
            marked = STANDIN in (step.get("env") or {})
            if "uses" in step:
                name = action_name(step["uses"])
                if name in ARTIFACT_ACTIONS and not marked:
                    problems.append(f"{where}: {name} talks to GitHub; mark it with env {STANDIN}")
                elif name not in LOCAL_ACTIONS + ARTIFACT_ACTIONS and not marked:
                    problems.append(
                        f"{where}: no local equivalent for {name}; mark it with env {STANDIN}: <what it sends>"
                    )
    if problems:
        raise RehearsalError("\n".join(problems))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RehearsalError(f"git {' '.join(args)} in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()


def parse_env_file(path: Path) -> dict[str, str]:
    """Read a ``GITHUB_ENV``/``GITHUB_OUTPUT`` file: ``NAME=value`` lines and ``NAME<<EOF`` blocks."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            while index < len(lines) and lines[index] != delimiter:
                block.append(lines[index])
                index += 1
            if index == len(lines):
                raise RehearsalError(f"{path.name}: {name} has no closing {delimiter!r}")
            index += 1
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise RehearsalError(f"{path.name}: cannot read line {line!r}")
    return values


class StandInOutputs(Mapping):
    """Outputs of a step that did not run: every name reads as a visible placeholder."""

    def __init__(self, step_id: str):
        self.step_id = step_id

    def __getitem__(self, name: str) -> str:
        placeholder = f"<stand-in: steps.{self.step_id}.outputs.{name}>"
        if name == "digest":  # well-formed, so that commands that check a digest run on
            return "sha256:" + hashlib.sha256(placeholder.encode()).hexdigest()
        return placeholder

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass
class StepResult:
    name: str
    kind: str  # run | stand-in | local
    status: str  # success | failure | skipped
    seconds: float = 0.0
    detail: str = ""


@dataclass
class JobRun:
    """A job while it runs: its folders, contexts, environment and status."""

    id: str
    workspace: Path
    home: Path
    temp: Path
    deadline: float = 0.0
    status: str = "success"
    env: dict[str, str] = field(default_factory=dict)  # workflow + job env
    added_env: dict[str, str] = field(default_factory=dict)  # from GITHUB_ENV
    path: list[str] = field(default_factory=list)  # from GITHUB_PATH
    defaults: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)


@dataclass
class JobResult:
    result: str = "skipped"
    runs_on: str = ""  # the runner the job asked for, evaluated
    outputs: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)


class Rehearsal:
    """One rehearsal of one workflow; ``run()`` returns the exit status."""

    def __init__(
        self,
        project: Path,
        workflow_path: Path,
        out: Path,
        *,
        event: str | None = None,
        labels: tuple[str, ...] = (),
        inputs: dict[str, str] | None = None,
        repository: str | None = None,
        reviews: tuple[str, ...] = (),
        echo=print,
    ):
        self.project = project.resolve()
        self.workflow_path = workflow_path
        self.workflow = load_workflow(workflow_path)
        check_rehearsable(self.workflow)
        self.out = out.resolve()
        self.echo = echo
        self.records = 0
        self.labels = labels
        self.reviews = [(r.split("=", 1) + ["APPROVED"])[:2] for r in reviews]
        self.repository = repository or f"rehearsal/{self.project.name}"
        on = triggers(self.workflow)
        self.event = event or next((name for name in TRIGGER_ORDER if name in on), next(iter(on), "push"))
        if self.event not in on:
            raise RehearsalError(f"{workflow_path.name} is not triggered by {self.event} (it has: {', '.join(on)})")
        defaults = {
            name: spec.get("default")
            for name, spec in ((on.get("workflow_dispatch") or {}).get("inputs") or {}).items()
        }
        self.inputs = {**defaults, **(inputs or {})}
        self.jobs: dict[str, JobResult] = {}

    # -- setup --------------------------------------------------------------------------------

    def prepare(self) -> None:
        if not (self.project / ".git").exists():
            raise RehearsalError(
                f"{self.project} is not a git repository: run `git init -b main && git add -A && git commit` there"
            )
        self.sha = git(self.project, "rev-parse", "HEAD")
        self.branch = git(self.project, "rev-parse", "--abbrev-ref", "HEAD")
        if git(self.project, "status", "--porcelain"):
            self.echo(f"note: {self.project} has uncommitted changes; the rehearsal runs HEAD ({self.sha[:8]})")
        if self.out.exists():
            shutil.rmtree(self.out)
        for name in ("jobs", "sent", "artifacts", "logs", "summaries", "cache"):
            (self.out / name).mkdir(parents=True)
        self.python = seeded_venv(self.out / "venv")
        self.workspace = self.out / "workspace"

    def _restore_environment(self, workspace: Path) -> None:
        """Give a new job the ``.venv`` the last successful job left, or a first one that sees our packages."""
        saved = self.out / "cache" / CARRIED_ENV
        if saved.is_dir():
            shutil.copytree(saved, workspace / CARRIED_ENV, symlinks=True)
        else:
            seeded_venv(workspace / CARRIED_ENV)

    def _save_environment(self, workspace: Path) -> None:
        saved = self.out / "cache" / CARRIED_ENV
        if (workspace / CARRIED_ENV).is_dir():
            shutil.rmtree(saved, ignore_errors=True)
            shutil.copytree(workspace / CARRIED_ENV, saved, symlinks=True)

    def github_context(self, job_id: str, workspace: Path) -> dict:
        owner = self.repository.split("/")[0]
        repo = {"full_name": self.repository, "name": self.repository.split("/")[-1], "owner": {"login": owner}}
        repo["default_branch"] = self.branch  # the project's current branch stands for the default one
        ref = f"refs/heads/{self.branch}"
        base_ref = head_ref = ""
        if self.event == "pull_request":
            pr = {
                "number": 1,
                "title": "Rehearsal",
                "draft": False,
                "labels": [{"name": label} for label in self.labels],
                "head": {"ref": "rehearsal", "sha": self.sha, "repo": repo},
                "base": {"ref": self.branch, "sha": self.sha, "repo": repo},
            }
            event = {"action": "synchronize", "number": 1, "pull_request": pr, "repository": repo}
            ref, base_ref, head_ref = "refs/pull/1/merge", self.branch, "rehearsal"
        elif self.event == "workflow_dispatch":
            event = {"inputs": self.inputs, "ref": ref, "repository": repo}
        else:
            event = {"ref": ref, "after": self.sha, "head_commit": {"id": self.sha}, "repository": repo}
        return {
            "event_name": self.event,
            "event": event,
            "sha": self.sha,
            "ref": ref,
            "ref_name": ref.removeprefix("refs/heads/").removeprefix("refs/"),
            "ref_type": "branch",
            "base_ref": base_ref,
            "head_ref": head_ref,
            "repository": self.repository,
            "repository_owner": owner,
            "run_id": "1",
            "run_number": "1",
            "run_attempt": "1",
            "workflow": self.workflow.get("name") or self.workflow_path.name,
            "job": job_id,
            "actor": "rehearsal",
            "triggering_actor": "rehearsal",
            "token": "***",
            "workspace": str(workspace),
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
        }

    # -- running ------------------------------------------------------------------------------

    def run(self) -> int:
        self.prepare()
        self.echo(f"rehearsing {self.workflow_path.name} ({self.event}) into {self.out}")
        for job_id in job_order(self.workflow["jobs"]):
            self.jobs[job_id] = self.run_job(job_id, self.workflow["jobs"][job_id])
        summary = {
            "workflow": self.workflow_path.name,
            "event": self.event,
            "jobs": {
                job_id: {
                    "result": job.result,
                    "runs_on": job.runs_on,
                    "outputs": job.outputs,
                    "steps": [vars(s) for s in job.steps],
                }
                for job_id, job in self.jobs.items()
            },
        }
        (self.out / "rehearsal.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        failed = [job_id for job_id, job in self.jobs.items() if job.result == "failure"]
        self.echo(
            f"rehearsal: {len(self.jobs) - len(failed)} of {len(self.jobs)} jobs passed or skipped"
            + (f"; failed: {', '.join(failed)}" if failed else "")
        )
        return 1 if failed else 0

    def run_job(self, job_id: str, spec: dict) -> JobResult:
        """Run one job in a fresh workspace, its steps in order, as a runner would."""
        result = JobResult()
        needs = {
            need: {"result": self.jobs[need].result, "outputs": self.jobs[need].outputs} for need in needs_of(spec)
        }
        results = {value["result"] for value in needs.values()}
        status = "failure" if "failure" in results else ("success" if results <= {"success"} else "skipped")
        root = self.out / "jobs" / job_id
        job = JobRun(job_id, self.workspace, root / "home", root / "temp")
        for path in (job.workspace, job.home, job.temp):
            path.mkdir(parents=True)
        try:
            return self._run_job_in(job, spec, result, needs, status)
        finally:  # the next job gets a fresh workspace at the same path; this one stays for inspection
            job.workspace.rename(root / "workspace")

    def _run_job_in(self, job: JobRun, spec: dict, result: JobResult, needs: dict, status: str) -> JobResult:
        job_id = job.id
        base = {
            "github": self.github_context(job_id, job.workspace),
            "needs": needs,
            "inputs": self.inputs,
            "vars": {},
            "secrets": {"GITHUB_TOKEN": "***"},
        }
        workflow_env = self._env(self.workflow.get("env"), Evaluator({**base, "env": {}}))
        if not Evaluator({**base, "env": workflow_env}, status=status).condition(spec.get("if")):
            self.echo(f"job {job_id}: skipped (if: {spec.get('if', 'success()')!s})")
            return result
        runner = {"os": "Linux", "arch": "X64", "name": "rehearsal", "temp": str(job.temp), "tool_cache": str(job.temp)}
        job.env = {**workflow_env, **self._env(spec.get("env"), Evaluator({**base, "env": workflow_env}))}
        job.context = {**base, "runner": runner, "steps": {}, "job": {"status": "success"}}
        job.defaults = {
            **((self.workflow.get("defaults") or {}).get("run") or {}),
            **((spec.get("defaults") or {}).get("run") or {}),
        }
        job.deadline = time.monotonic() + 60 * float(spec.get("timeout-minutes", 360))
        if any("run" in step for step in spec.get("steps") or []):
            self._restore_environment(job.workspace)
        runs_on = Evaluator({**base, "env": job.env}).value(spec.get("runs-on"))
        result.runs_on = ", ".join(map(to_string, runs_on)) if isinstance(runs_on, list) else to_string(runs_on)
        if not result.runs_on.strip():  # GitHub cannot place such a job: a plan output it reads is missing
            self.echo(f"job {job_id}: FAILED  runs-on {spec.get('runs-on')!s} is empty")
            result.result = "failure"
            return result
        self.echo(f"job {job_id}: {spec.get('name', job_id)} [runs-on {result.runs_on}: this machine]")
        if spec.get("environment"):
            environment = Evaluator({**base, "env": job.env}).value(spec["environment"])
            name = to_string(environment.get("name") if isinstance(environment, dict) else environment)
            request = {
                "kind": "environment",
                "environment": name,
                "sends": f"waits for the protection rules of environment {name!r} (required reviewers) to approve",
            }
            self._record(job, f"environment {name}", request, [])
        for index, step in enumerate(spec.get("steps") or [], start=1):
            step_result = self.run_step(job, index, step)
            result.steps.append(step_result)
            mark = {"success": "ok", "failure": "FAILED", "skipped": "skipped"}[step_result.status]
            timing = f" ({step_result.seconds:.1f}s)" if step_result.status != "skipped" else ""
            detail = f"  {step_result.detail}" if step_result.detail else ""
            self.echo(f"  {mark:<8} {step_result.kind:<8} {step_result.name}{timing}{detail}")
        failed = job.status == "failure" and spec.get("continue-on-error") is not True
        result.result = "failure" if failed else "success"
        if job.status == "success":
            self._save_environment(job.workspace)
        evaluator = Evaluator({**job.context, "env": {**job.env, **job.added_env}}, status=job.status)
        result.outputs = {
            name: to_string(evaluator.value(value)) for name, value in (spec.get("outputs") or {}).items()
        }
        if (job.temp / "summary.md").exists():
            shutil.copy(job.temp / "summary.md", self.out / "summaries" / f"{job_id}.md")
        return result

    @staticmethod
    def _env(raw: dict | None, evaluator: Evaluator) -> dict[str, str]:
        return {str(name): to_string(evaluator.value(value)) for name, value in (raw or {}).items()}

    def run_step(self, job: JobRun, index: int, step: dict) -> StepResult:
        """Run, stand in for, or skip one step; a failure (unless allowed) fails the job."""
        step_id = str(step.get("id") or f"__step{index}")
        name = step.get("name") or step.get("uses") or str(step.get("run", "")).strip().splitlines()[0]
        kind = "stand-in" if STANDIN in (step.get("env") or {}) else ("run" if "run" in step else "local")
        env_so_far = {**job.env, **job.added_env}
        evaluator = Evaluator({**job.context, "env": env_so_far}, status=job.status, workspace=job.workspace)
        job.context["steps"][step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
        if not evaluator.condition(step.get("if")):
            return StepResult(name, kind, "skipped", detail=f"(if: {step.get('if', 'success()')})")
        started = time.monotonic()
        try:
            step_env = {**env_so_far, **self._env(step.get("env"), evaluator)}
            if kind == "stand-in":
                outputs, ok, detail = self.stand_in(job, step, step_id, evaluator, step_env)
            elif kind == "local":
                outputs, ok, detail = self.local_action(job, step, evaluator)
            else:
                outputs, ok, detail = self.shell(job, index, step, evaluator, step_env)
        except (ExpressionError, RehearsalError) as err:
            outputs, ok, detail = {}, False, str(err)
        outcome = "success" if ok else "failure"
        conclusion = "success" if ok or step.get("continue-on-error") is True else "failure"
        job.context["steps"][step_id] = {"outputs": outputs, "outcome": outcome, "conclusion": conclusion}
        if conclusion == "failure":
            job.status = job.context["job"]["status"] = "failure"
        return StepResult(name, kind, outcome, time.monotonic() - started, detail)

    def runner_environment(self, job: JobRun, github: dict, files: dict[str, Path], summary: Path) -> dict[str, str]:
        """What a runner puts in a step's environment, over this machine's (less what would leak in)."""
        environ = {
            key: value
            for key, value in os.environ.items()
            if key not in DROPPED_ENV and not key.startswith(("GITHUB_", "RUNNER_"))
        }
        event = job.temp / "event.json"
        if not event.exists():
            event.write_text(json.dumps(github["event"], indent=2), encoding="utf-8")
        environ.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "REHEARSAL": "true",
                "HOME": str(job.home),
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                "RUNNER_TEMP": str(job.temp),
                "GITHUB_WORKSPACE": str(job.workspace),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_EVENT_PATH": str(event),
                **{f"GITHUB_{key.upper()}": to_string(github[key]) for key in GITHUB_VARIABLES},
                **{name: str(path) for name, path in files.items()},
            }
        )
        return environ

    def shell(self, job: JobRun, index: int, step: dict, evaluator: Evaluator, step_env: dict):
        """Run a ``run:`` step for real, then read back the files it wrote for the runner."""
        shell = step.get("shell", job.defaults.get("shell"))
        if shell not in SHELLS and (not isinstance(shell, str) or "{0}" not in shell):
            raise RehearsalError(f"shell {shell!r} is not supported by the rehearsal")
        script = job.temp / f"step{index}.sh"
        script.write_text(evaluator.substitute(str(step["run"])), encoding="utf-8")
        command = [part.replace("{0}", str(script)) for part in SHELLS.get(shell) or shell.split()]
        files = {name: job.temp / f"{name.lower()}.{index}" for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH")}
        summary = job.temp / f"summary.{index}.md"
        for path in (*files.values(), summary):
            path.touch()
        environ = {**self.runner_environment(job, evaluator.contexts["github"], files, summary), **step_env}
        environ["PATH"] = os.pathsep.join(
            [*job.path, str(self.python.parent), str(Path(sys.executable).parent), environ.get("PATH", "")]
        )
        directory = step.get("working-directory", job.defaults.get("working-directory", "."))
        cwd = job.workspace / evaluator.substitute(str(directory))
        log = self.out / "logs" / job.id / f"{index:02d}-{slug(str(step.get('name') or 'run'))}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        timeout = job.deadline - time.monotonic()
        if "timeout-minutes" in step:
            timeout = min(timeout, 60 * float(step["timeout-minutes"]))
        with open(log, "w", encoding="utf-8") as handle:
            process = subprocess.Popen(
                command, cwd=cwd, env=environ, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                code = process.wait(timeout=max(timeout, 1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                code = None
        job.added_env.update(parse_env_file(files["GITHUB_ENV"]))
        job.path[:0] = [line for line in files["GITHUB_PATH"].read_text().splitlines()[::-1] if line.strip()]
        with open(job.temp / "summary.md", "a", encoding="utf-8") as handle:
            handle.write(summary.read_text(encoding="utf-8"))
        outputs = parse_env_file(files["GITHUB_OUTPUT"])
        shown = log.relative_to(self.out)
        if code is None:
            return outputs, False, f"timed out; log: {shown}"
        if code != 0:
            tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
            return outputs, False, f"exit {code}; log: {shown}\n{tail}"
        return outputs, True, ""

    # -- actions ------------------------------------------------------------------------------

    def local_action(self, job: JobRun, step: dict, evaluator: Evaluator):
        """actions/checkout and actions/setup-python, done the local way."""
        workspace = job.workspace
        name = action_name(step["uses"])
        inputs = {key: to_string(value) for key, value in evaluator.value(step.get("with") or {}).items()}
        if name == "actions/checkout":
            for unsupported in ("repository", "path"):
                if inputs.get(unsupported):
                    raise RehearsalError(f"actions/checkout: {unsupported} is not supported by the rehearsal")
            self.checkout(workspace, inputs.get("ref") or "", int(inputs.get("fetch-depth") or 1))
            return {"ref": inputs.get("ref") or self.sha, "commit": git(workspace, "rev-parse", "HEAD")}, True, ""
        # actions/setup-python: the rehearsal's interpreter stands for the requested one
        wanted = inputs.get("python-version", "")
        have = subprocess.run(
            [str(self.python), "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        detail = (
            ""
            if not wanted or have == wanted or have.startswith(wanted + ".")
            else (f"(asked for Python {wanted}; rehearsing with {have})")
        )
        return {"python-version": have, "python-path": str(self.python)}, True, detail

    def checkout(self, workspace: Path, ref: str, depth: int) -> None:
        """What actions/checkout does, from PROJECT: a detached checkout; depth 0 brings branches and tags."""
        git(workspace, "init", "-q")
        git(workspace, "remote", "add", "origin", self.project.as_uri())
        if depth == 0:
            git(workspace, "fetch", "-q", "--tags", "origin", ref or "HEAD", "+refs/heads/*:refs/remotes/origin/*")
        else:
            git(workspace, "fetch", "-q", f"--depth={depth}", "origin", ref or "HEAD")
        git(workspace, "checkout", "-q", "--detach", "FETCH_HEAD")

    def stand_in(self, job: JobRun, step: dict, step_id: str, evaluator: Evaluator, step_env: dict):
        """Record what a marked step would send; artifact steps also move files through OUT/artifacts."""
        inputs = {key: to_string(value) for key, value in evaluator.value(step.get("with") or {}).items()}
        own_env = {name: value for name, value in step_env.items() if name != STANDIN}
        request: dict[str, Any] = {"job": job.id, "step": step.get("name") or step_id, "sends": step_env[STANDIN]}
        if "uses" in step:
            request.update({"uses": step["uses"], "with": inputs})
        else:
            request["run"] = evaluator.substitute(str(step["run"]))
        request["env"] = own_env
        named = [*inputs.values(), *(own_env[name] for name in step.get("env") or {} if name != STANDIN)]
        name = action_name(step.get("uses", ""))
        outputs: Mapping[str, str] = StandInOutputs(step_id)
        ok, detail = True, ""
        if name in ARTIFACT_ACTIONS:  # the files are kept in OUT/artifacts/<name>, not copied again
            request["artifact"] = f"artifacts/{inputs.get('name') or 'artifact'}"
            named = []
        if name == "actions/upload-artifact":
            ok, detail = self.upload_artifact(inputs, job.workspace)
        elif name == "actions/download-artifact":
            ok, detail, path = self.download_artifact(inputs, job.workspace)
            outputs = {"download-path": str(path)}
        if "REVIEWS_FILE" in own_env:
            request["answered"] = self.write_reviews(Path(own_env["REVIEWS_FILE"]))
        record = self._record(job, request["step"], request, named)
        return outputs, ok, detail or f"-> {record.relative_to(self.out)}"

    def write_reviews(self, path: Path) -> list[dict]:
        """What ``GET /repos/{owner}/{repo}/pulls/{n}/reviews`` would answer: the ``--review`` reviews at HEAD."""
        answer = [
            {"id": index, "user": {"login": login}, "state": state.upper(), "commit_id": self.sha}
            for index, (login, state) in enumerate(self.reviews, start=1)
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answer, indent=2) + "\n", encoding="utf-8")
        return answer

    def upload_artifact(self, inputs: dict, workspace: Path) -> tuple[bool, str]:
        """Keep the files under OUT/artifacts/<name>, relative to their common folder, as GitHub does."""
        name = inputs.get("name") or "artifact"
        store = self.out / "artifacts" / name
        if store.exists() and inputs.get("overwrite", "false") != "true":
            return False, f"an artifact named {name!r} was already uploaded in this run"
        paths = [line.strip() for line in inputs.get("path", "").splitlines() if line.strip()]
        if any(set(p) & set("*?[!") for p in paths):
            raise RehearsalError("actions/upload-artifact: only plain paths are supported by the rehearsal")
        found = [workspace / p for p in paths if (workspace / p).exists()]
        if not found:
            policy = inputs.get("if-no-files-found", "warn")
            return policy != "error", f"no files at {', '.join(paths)} (if-no-files-found: {policy})"
        root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in found]))
        shutil.rmtree(store, ignore_errors=True)
        for path in found:
            target = store / path.relative_to(root)
            if path.is_dir():
                shutil.copytree(path, target, symlinks=True, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        return True, ""

    def download_artifact(self, inputs: dict, workspace: Path) -> tuple[bool, str, Path]:
        """Copy an artifact uploaded earlier in the run into the workspace."""
        name = inputs.get("name")
        if not name:
            raise RehearsalError("actions/download-artifact: the rehearsal needs a name")
        target = workspace / (inputs.get("path") or ".")
        store = self.out / "artifacts" / name
        if not store.is_dir():
            return False, f"no artifact named {name!r} was uploaded earlier in this run", target
        shutil.copytree(store, target, symlinks=True, dirs_exist_ok=True)
        return True, "", target

    def _record(self, job: JobRun, title: str, request: dict, named: list[str]) -> Path:
        """Write what a stand-in would have sent into OUT/sent/<NN>-<job>-<step>/, with the files ``named``."""
        self.records += 1
        workspace = job.workspace
        folder = self.out / "sent" / f"{self.records:02d}-{slug(job.id)}-{slug(title)}"
        folder.mkdir(parents=True)
        copied = []
        for token in (word for value in named for word in str(value).split()):
            candidate = token if os.path.isabs(token) else str(workspace / token)
            pattern = bool(set(token) & set("*?[")) and "/" in token  # a path pattern, not a masked secret
            for match in sorted(glob.glob(candidate)) if pattern else [candidate]:
                path = Path(match)
                try:
                    relative = path.resolve().relative_to(workspace.resolve())
                except ValueError:
                    continue
                if not path.exists() or str(relative) == ".":
                    continue
                for file in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
                    inside = relative / file.relative_to(path)
                    (folder / "files" / inside).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, folder / "files" / inside)
                    copied.append(str(inside))
        request["files"] = sorted(set(copied))
        (folder / "request.json").write_text(json.dumps(request, indent=2, default=str) + "\n", encoding="utf-8")
        return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="See the module docstring for how each step is rehearsed."
    )
    parser.add_argument("project", type=Path, help="the baked project (a git repository)")
    parser.add_argument("workflow", help="pr, release, rollback, a file name in .github/workflows, or a path")
    parser.add_argument(
        "--out", type=Path, default=None, help="rehearsal folder (default: PROJECT/../rehearsal-WORKFLOW)"
    )
    parser.add_argument("--event", default=None, help="event to rehearse (default: the workflow's first trigger)")
    parser.add_argument("--label", action="append", default=[], help="a label of the rehearsed pull request")
    parser.add_argument("--input", action="append", default=[], metavar="KEY=VALUE", help="a workflow_dispatch input")
    parser.add_argument("--repository", default=None, help="OWNER/NAME for github.repository")
    parser.add_argument(
        "--review",
        action="append",
        default=[],
        metavar="LOGIN[=STATE]",
        help="a review of the rehearsed pull request at its head commit (state APPROVED unless given)",
    )
    args = parser.parse_args(argv)
    path = Path(args.workflow)
    if not path.is_file():
        folder = args.project / ".github" / "workflows"
        path = next(
            (
                folder / f"{args.workflow}{suffix}"
                for suffix in ("", ".yml", ".yaml")
                if (folder / f"{args.workflow}{suffix}").is_file()
            ),
            folder / args.workflow,
        )
    if not path.is_file():
        print(f"no workflow {args.workflow!r} in {args.project / '.github' / 'workflows'}", file=sys.stderr)
        return 2
    bad = [item for item in args.input if "=" not in item]
    if bad:
        print(f"--input takes KEY=VALUE, not {bad[0]!r}", file=sys.stderr)
        return 2
    out = args.out or args.project.resolve().parent / f"rehearsal-{path.stem}"
    try:
        rehearsal = Rehearsal(
            args.project,
            path,
            out,
            event=args.event,
            labels=tuple(args.label),
            inputs=dict(item.split("=", 1) for item in args.input),
            repository=args.repository,
            reviews=tuple(args.review),
        )
        return rehearsal.run()
    except RehearsalError as err:
        print(f"cannot rehearse {path}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
