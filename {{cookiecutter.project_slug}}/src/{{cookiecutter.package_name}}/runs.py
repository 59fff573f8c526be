"""Run directories: ``artifacts/<run-id>/`` holds everything one run produced.

A run directory becomes visible to later steps only when complete: ``train`` builds it under a
temporary name and renames it into place, then points ``artifacts/latest`` (a symlink) at it.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from .errors import ProjectError

ARTIFACTS = "artifacts"
LATEST = "latest"


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
