"""Read-only git queries: the commit, whether the tree is dirty, and files at another revision.

Every function answers for the project directory, which may sit below the repository's top
(a monorepo). Outside a repository, or without git installed, they answer ``None``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import ProjectError


def _git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _out(root: Path, *args: str) -> str | None:
    result = _git(root, *args)
    return result.stdout.decode().strip() if result is not None and result.returncode == 0 else None


def is_repo(root: Path) -> bool:
    return _out(root, "rev-parse", "--is-inside-work-tree") == "true"


def prefix(root: Path) -> str:
    """The project's path inside the repository (``""`` at the top, else ending in ``/``)."""
    return _out(root, "rev-parse", "--show-prefix") or ""


def head(root: Path) -> str | None:
    """The checked-out commit sha, or ``None`` (no repository, or no commit yet)."""
    return _out(root, "rev-parse", "--verify", "--quiet", "HEAD")


def branch(root: Path) -> str | None:
    name = _out(root, "rev-parse", "--abbrev-ref", "HEAD")
    return None if name in (None, "HEAD") else name


def dirty_files(root: Path) -> list[str] | None:
    """Changed or untracked (not ignored) files below the project, or ``None`` outside a repository."""
    result = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    if result is None or result.returncode != 0:
        return None
    return [line[3:] for line in result.stdout.decode().splitlines() if line.strip()]


def resolve(root: Path, ref: str) -> str:
    """The commit sha of ``ref``; exits 2 outside a repository or for an unknown ref."""
    if not is_repo(root):
        raise ProjectError(f"{root} is not inside a git repository; `{ref}` cannot be read")
    if ref.startswith("-"):
        raise ProjectError(f"{ref!r} is not a git revision")
    sha = _out(root, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    if not sha:
        raise ProjectError(f"unknown git revision {ref!r}; fetch it first (e.g. `git fetch origin {ref}`)")
    return sha


def show(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of project-relative ``path`` at ``commit``, or ``None`` when it is not there."""
    result = _git(root, "show", f"{commit}:./{path}")
    return result.stdout if result is not None and result.returncode == 0 else None


def list_dir(root: Path, commit: str, path: str) -> list[str]:
    """Project-relative paths of the files directly in ``path`` at ``commit``."""
    listing = _out(root, "ls-tree", "--name-only", commit, f"./{path.rstrip('/')}/")
    return listing.splitlines() if listing else []


def changed_since(root: Path, commit: str, path: str) -> list[str]:
    """Project-relative files below ``path`` that differ between ``commit`` and the working tree.

    Committed, staged and unstaged edits, deletions and untracked (not ignored) files all count.
    """
    where = f"./{path.rstrip('/')}/"
    changed = _out(root, "diff", "--no-renames", "--name-only", "--relative", commit, "--", where) or ""
    untracked = _out(root, "ls-files", "--others", "--exclude-standard", "--", where) or ""
    files = {line for line in (changed + "\n" + untracked).splitlines() if line.strip()}
    return sorted(files)
