"""Find what a template update (or a git merge) left unresolved: conflict markers and ``.rej`` files.

``cruft update`` merges template changes into the project with ``git apply --3way``; where the
user changed the same lines, the file gets conflict markers, and where a three-way merge is not
possible it writes the hunks it could not apply into ``<file>.rej``. ``validate`` reports each
one at ``file:line`` until it is resolved, so an update is never merged half-applied.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem
from .project import shown_path

#: folders never scanned: version control, environments, caches, runs and the data (pinned by sha256)
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "artifacts", "build", "dist", "data", "__pycache__"}
MAX_BYTES = 1 << 20  # larger files are not text a person merges
#: the opening marker of a conflict (git writes `<<<<<<< ours`); written as a count so this file has none
MARKER = re.compile(rb"^<{7}(?: |$)", re.MULTILINE)


def _files(root: Path) -> Iterator[Path]:
    """Regular files below ``root``, without following links or entering ``SKIP_DIRS`` and hidden caches."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith("_cache"))
        for name in sorted(names):
            path = Path(folder, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES:
                yield path


def unresolved_updates(root: Path) -> list[Problem]:
    """One problem per ``.rej`` file and per conflict marker in the project's text files."""
    problems = []
    for path in _files(root):
        shown = shown_path(path)
        if path.suffix == ".rej":
            target = path.relative_to(root).as_posix().removesuffix(".rej")
            problems.append(
                Problem(
                    shown,
                    1,
                    1,
                    "",
                    f"a template update could not apply these changes to {target}; apply them by hand "
                    "(or decide to keep yours), then delete this file",
                )
            )
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if b"\x00" in raw:
            continue
        for match in MARKER.finditer(raw):
            line = raw.count(b"\n", 0, match.start()) + 1
            problems.append(
                Problem(
                    shown,
                    line,
                    1,
                    "",
                    "unresolved merge conflict: keep the right lines between the markers, delete the "
                    "<<<<<<< ======= >>>>>>> lines, then validate again",
                )
            )
    return problems
