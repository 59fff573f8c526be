"""Small file helpers: content hashes, atomic writes, and reading JSON objects."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

from .errors import Problem, ProjectError
from .reader import decode, open_regular, read_bytes

#: the largest run file (run.json, metrics.json, gate.json) read
MAX_JSON_BYTES = 64 << 20


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file's bytes; a FIFO, device or directory is a ``ProjectError``."""
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path, str(path)), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    A replaced file keeps its permissions; a new one is readable by all (0644), like a plain write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` atomically (see ``atomic_write_bytes``)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path, *, required: bool = False, root: Path | None = None) -> dict | None:
    """A JSON object from ``path``; ``None`` when the file is absent, unless ``required``.

    Read through ``reader`` (a regular file, inside ``root`` when given, at most ``MAX_JSON_BYTES``,
    strict UTF-8). A missing required file, a special file, invalid JSON (placed at its line and
    column) or a value that is not an object is a ``ProjectError``.
    """
    shown = os.path.relpath(path) if path.is_absolute() else str(path)
    if not os.path.lexists(path):
        if required:
            raise ProjectError(f"{shown} does not exist")
        return None
    text = decode(read_bytes(path, shown, root=root, limit=MAX_JSON_BYTES), shown, controls=False)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProjectError([Problem(shown, err.lineno, err.colno, "", f"not valid JSON: {err.msg}")]) from None
    except RecursionError:
        raise ProjectError([Problem(shown, 1, 1, "", "not valid JSON: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise ProjectError(f"{shown} must hold a JSON object")
    return data
