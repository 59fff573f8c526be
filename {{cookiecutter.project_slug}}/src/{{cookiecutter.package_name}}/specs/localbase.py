"""Local base weights (``base: {type: local}``): inside the project, and pinned by sha256 like data.

The pin of a directory is the sha256 of its listing in ``sha256sum`` format: one line
``<hex sha256>  <path>`` per file, paths relative to the directory with ``/``, sorted by path.
The same value in a shell::

    (cd models/my-model && find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum

Every entry must be a regular file or a folder: a symbolic link could lead outside the project.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..files import sha256_file


class UnsafeBase(ValueError):
    """The base directory is outside the project, or holds something other than files and folders."""


def resolve(root: Path, relative: str) -> Path:
    """``root/relative`` with every link followed; ``UnsafeBase`` when that leaves ``root``."""
    real_root = root.resolve()
    path = (root / relative).resolve()
    if path != real_root and real_root not in path.parents:
        raise UnsafeBase(f"{relative} leads outside the project (to {path}); keep the base weights inside it")
    return path


def directory_hash(path: Path, shown: str) -> str:
    """The pin of the directory ``path`` (``shown`` in messages); ``UnsafeBase`` for a link or special file."""
    lines = []
    for folder, dirs, names in os.walk(path):
        for name in sorted(dirs + names):
            entry = Path(folder) / name
            mode = os.lstat(entry).st_mode
            rel = entry.relative_to(path).as_posix()
            if stat.S_ISLNK(mode):
                raise UnsafeBase(f"{shown}/{rel} is a symbolic link; copy the file into the base directory instead")
            if stat.S_ISREG(mode):
                lines.append(f"{sha256_file(entry)}  {rel}\n")
            elif not stat.S_ISDIR(mode):
                raise UnsafeBase(f"{shown}/{rel} is not a regular file or folder")
    return hashlib.sha256("".join(sorted(lines, key=lambda line: line[66:])).encode("utf-8")).hexdigest()
