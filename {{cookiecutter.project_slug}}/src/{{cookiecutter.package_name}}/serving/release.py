"""What a release is made of: a run that passed the release gate, and the record of its build.

``build`` refuses a run whose ``gate.json`` is not a passed ``release`` gate of that same run;
``render`` refuses a run that ``build`` has not recorded in ``build.json``. Both refuse a run
whose specs changed since it was trained or built, so that what ships is what the gate saw.
Both first check the run's chain (see ``chain``): the files are those train and evaluate wrote,
and gate.json (and build.json) are sealed and match them; a broken link exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import EXIT_BLOCKED, ProjectError
from ..files import read_json, sha256_file
from ..training import chain
from ..training.runs import ARTIFACTS

RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
GATE_FILE = "gate.json"
BUILD_FILE = "build.json"


class NotReleasable(ProjectError):
    """The run has not passed what a release needs (exit 1, like a blocked gate)."""

    exit_code = EXIT_BLOCKED


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_run(run_dir: Path, root: Path, needs: tuple[str, ...] = ()) -> dict[str, Any]:
    """``run.json`` of a run, checked for the fields serving uses (and the task's service ``needs``)."""
    run = read_json(run_dir / RUN_FILE, required=True)
    missing = [key for key in ("run_id", "git", "specs", *needs) if key not in run]
    if missing:
        raise ProjectError(f"{_shown(run_dir / RUN_FILE, root)} lacks {', '.join(missing)}; train the run again")
    if not (run_dir / run.get("model_dir", "model") / "config.json").is_file():
        raise ProjectError(f"{_shown(run_dir, root)} has no saved model; train the run again")
    return run


def require_release_gate(run_dir: Path, run: dict[str, Any], root: Path) -> dict[str, Any]:
    """The run's ``gate.json`` (with its own ``sha256``), if it is a passed ``release`` gate of this run.

    ``NotReleasable`` (exit 1) when it is not; exit 2 when the chain is broken: a hand-written or
    edited gate.json, or a run file changed since train, evaluate or the gate wrote or judged it.
    """
    path = run_dir / GATE_FILE
    run_id = run["run_id"]
    fix = f"run `gate --stage release --run {run_id}` and fix what it reports"
    if not path.is_file():
        raise NotReleasable(f"run {run_id} has no gate result ({_shown(path, root)}); {fix}")
    gate = chain.read_gate(run_dir, root, fix)
    if gate.get("run_id") != run_id:
        raise NotReleasable(f"{_shown(path, root)} is the gate of run {gate.get('run_id')!r}, not {run_id!r}; {fix}")
    gate_sha256 = chain.verify_judged(run_dir, root, gate, fix)
    if gate.get("stage") != "release":
        raise NotReleasable(
            f"run {run_id} passed only the {gate.get('stage')!r} gate; a release needs the release gate: {fix}"
        )
    if gate.get("passed") is not True:
        results = [r for r in gate.get("results") or [] if isinstance(r, dict)]
        failed = [str(r.get("id", "?")) for r in results if r.get("blocking", r.get("status") in ("fail", "error"))]
        detail = f" (blocking: {', '.join(failed)})" if failed else ""
        raise NotReleasable(f"the release gate blocked run {run_id}{detail}; {fix}")
    return {**gate, "sha256": gate_sha256}


def require_same_specs(recorded: dict[str, str], root: Path, what: str) -> None:
    """Every spec recorded by sha256 in ``recorded`` still has that hash; else ``NotReleasable``."""
    changed = [
        f"specs/{stem}.yaml"
        for stem, digest in sorted(recorded.items())
        if not (root / "specs" / f"{stem}.yaml").is_file() or sha256_file(root / "specs" / f"{stem}.yaml") != digest
    ]
    if changed:
        raise NotReleasable(f"{', '.join(changed)} changed since {what}; train, gate and build again")


def latest_build(root: Path) -> Path:
    """The run directory of the most recent ``build`` (by ``built_at``, then run id)."""
    builds = []
    for path in sorted((root / ARTIFACTS).glob(f"*/{BUILD_FILE}")):
        if path.parent.name.startswith(".") or path.parent.is_symlink():
            continue
        builds.append((str(read_json(path, required=True).get("built_at", "")), path.parent.name, path.parent))
    if not builds:
        raise NotReleasable(f"no run in {ARTIFACTS}/ has been built; run `build` first (or pass --run)")
    return max(builds)[2]


def read_build(run_dir: Path, run: dict[str, Any], root: Path) -> dict[str, Any]:
    """The run's ``build.json``; ``NotReleasable`` when the run was never built."""
    path = run_dir / BUILD_FILE
    if not path.is_file():
        run_id = run["run_id"]
        raise NotReleasable(f"run {run_id} was never built ({_shown(path, root)} is missing): `build --run {run_id}`")
    build = read_json(path, required=True)
    chain.check_seal(build, _shown(path, root), "`build`", f"`build --run {run['run_id']}` again")
    if build.get("run_id") != run["run_id"]:
        raise NotReleasable(f"{_shown(path, root)} records run {build.get('run_id')!r}, not {run['run_id']!r}")
    return build


def require_built_gate(build: dict[str, Any], gate: dict[str, Any]) -> None:
    """Exit 2 unless ``gate`` (from ``require_release_gate``) is the gate.json that ``build`` was made from."""
    if (build.get("gate") or {}).get("sha256") != gate["sha256"]:
        raise ProjectError(
            f"the gate of run {build['run_id']} changed since it was built (gate.json is not the one build.json "
            f"records); `build --run {build['run_id']}` again"
        )
