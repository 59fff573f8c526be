"""Lineage of a run: which code, specs, data and libraries made it, where, and how fast.

``train`` writes these facts into ``run.json``; the policy gate and the model card read them.
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ..files import sha256_file
from ..tasks import task_of_root

#: distributions whose versions are recorded with every run
PACKAGES = ("torch", "transformers", "datasets", "tokenizers", "accelerate", "scikit-learn", "numpy")


def git_state(root: Path) -> dict:
    """``{"commit", "dirty"}`` of the git work tree holding ``root``; both null outside git.

    ``dirty`` is true when tracked files changed or untracked files that git does not ignore exist,
    since either may have shaped the run.
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def spec_hashes(root: Path) -> dict[str, str]:
    """``{stem: sha256}`` of every spec file of the project's task."""
    return {stem: sha256_file(root / "specs" / f"{stem}.yaml") for stem in task_of_root(root).spec_kinds}


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Installed versions of ``PACKAGES`` (and ``extra``), plus Python's; absent ones are left out."""
    versions = {"python": platform.python_version()}
    for name in (*PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def describe_device(device: object) -> str:
    """A torch device in words, e.g. ``cpu (2 threads)`` or ``cuda:0 (NVIDIA L4) x4``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        count = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
        return f"{device} ({name})" + (f" x{count}" if count > 1 else "")
    return f"{device} ({torch.get_num_threads()} threads)"


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
