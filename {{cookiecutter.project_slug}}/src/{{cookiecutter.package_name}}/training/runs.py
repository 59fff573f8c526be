"""Run directories: ``artifacts/<run-id>/`` holds everything one run produced.

A run directory becomes visible to later steps only when complete: ``train`` builds it under a
temporary name and renames it into place, then points ``artifacts/latest`` (a symlink) at it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
from pathlib import Path

from ..errors import ProjectError

ARTIFACTS = "artifacts"
LATEST = "latest"
#: prefix of the directory a run is built in until it is complete
INCOMPLETE = ".incomplete-"


def artifacts_dir(root: Path) -> Path:
    return root / ARTIFACTS


def new_run_id(now: dt.datetime | None = None) -> str:
    """A sortable, unique id such as ``20261123-091500-3f2a``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def resolve_run(root: Path, run_id: str | None = None) -> Path:
    """The directory of ``run_id``, or of the latest complete run; exits 2 when there is none."""
    base = artifacts_dir(root)
    if run_id:
        path = base / run_id
        if not (path / "run.json").is_file():
            known = sorted(p.name for p in base.glob("*/run.json")) if base.is_dir() else []
            raise ProjectError(f"no complete run {run_id!r} in {base} (known: {', '.join(known) or 'none'})")
        return path
    latest = base / LATEST
    if not latest.exists():
        raise ProjectError(f"no run in {base} yet; run `train` first (or pass --run)")
    return latest.resolve()


def publish_run(tmp_dir: Path, run_dir: Path) -> None:
    """Move a finished run into place and point ``latest`` at it, each step atomic."""
    os.replace(tmp_dir, run_dir)
    link = run_dir.parent / LATEST
    tmp_link = run_dir.parent / f".{LATEST}.{secrets.token_hex(4)}"
    os.symlink(run_dir.name, tmp_link)
    os.replace(tmp_link, link)


def reserve_run(artifacts: Path, run_id: str) -> Path:
    """Create ``artifacts/.incomplete-<run_id>/`` for a new run and return it; exits 2 when the id is taken.

    The reservation is one ``mkdir``, which the file system performs atomically: of two ``train``
    processes started with the same ``--run-id``, exactly one gets the directory.
    """
    artifacts.mkdir(parents=True, exist_ok=True)
    work = artifacts / f"{INCOMPLETE}{run_id}"
    published = artifacts / run_id
    if published.exists():
        raise ProjectError(f"run {run_id!r} is already published in {published}; choose another --run-id")
    try:
        work.mkdir()
    except FileExistsError:
        raise ProjectError(
            f"run {run_id!r} is already being trained or was interrupted ({work} exists); choose another "
            f"--run-id, or continue the interrupted run with `train --resume --run-id {run_id}`"
        ) from None
    if published.exists():  # published between the two checks (a run that just finished)
        work.rmdir()
        raise ProjectError(f"run {run_id!r} is already published in {published}; choose another --run-id")
    return work


def release_reservation(work: Path) -> None:
    """Remove a reserved run directory that holds nothing to resume (its run never wrote ``state.json``)."""
    if work.is_dir() and not (work / "state.json").exists():
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):  # artifacts/ itself, when this run was its first
            work.parent.rmdir()
