"""Stream prediction-log records out of an fsspec URL, counting and locating every unreadable line.

The log is a tree of JSON-lines parts (``serving/predlog.py``): ``<url>/<YYYY-MM-DD>/*.jsonl``.
Parts are read one line at a time, never whole, and a line is read at most ``max_line_bytes``
long: a longer one is counted ``oversized`` and skipped to its end without being held. Every
line that cannot be used is counted by kind and the first ``MAX_LOCATED`` are located (file and
line); none is skipped silently:

- ``empty``: nothing but whitespace;
- ``truncated``: an object that stops before its closing brace (a part cut off mid-write);
- ``malformed``: not UTF-8, not JSON, not an object, or a field of the wrong type;
- ``oversized``: longer than ``max_line_bytes``.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ProjectError, one_line

KINDS = ("empty", "truncated", "malformed", "oversized")
MAX_LOCATED = 20
SUFFIX = ".jsonl"


@dataclass
class LineProblems:
    """Unreadable lines: a count per kind and the first few located."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    located: list[dict[str, Any]] = field(default_factory=list)

    def add(self, file: str, line: int, kind: str, detail: str) -> None:
        self.counts[kind] += 1
        if len(self.located) < MAX_LOCATED:
            self.located.append({"file": file, "line": line, "kind": kind, "detail": detail})

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def log_files(url: str, since: dt.datetime | None = None) -> tuple[Any, str, list[str]]:
    """``(filesystem, root, parts)``: every regular ``*.jsonl`` file under ``url`` in name order, leaving out
    day folders before ``since`` and dot files (parts being written). Exits 2 when ``url`` cannot be
    listed."""
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url)
        if not fs.isdir(root):
            raise ProjectError(f"{url}: no prediction log there (the service writes it; see specs/deployment.yaml)")
        found = fs.find(root, detail=True)
    except ProjectError:
        raise
    except Exception as err:  # an unknown protocol, a missing fsspec package, a store that refuses
        raise ProjectError(f"{url}: cannot list the prediction log: {one_line(err)}") from None
    first_day = since.date().isoformat() if since else ""
    parts = []
    for path, info in sorted(found.items()):
        name, day = posixpath.basename(path), posixpath.basename(posixpath.dirname(path))
        if not name.endswith(SUFFIX) or name.startswith(".") or info.get("type") != "file":  # a FIFO would block
            continue
        if first_day and _is_day(day) and day < first_day:
            continue
        parts.append(path)
    return fs, root.rstrip("/"), parts


def _is_day(name: str) -> bool:
    return len(name) == 10 and name[4] == "-" and name[7] == "-" and name.replace("-", "").isdigit()


#: bytes read from a part at a time
BLOCK = 1 << 20


def lines_of(handle: Any, max_line_bytes: int) -> Iterator[bytes | None]:
    """The lines of a binary file, read in blocks; ``None`` stands for a line longer than ``max_line_bytes``
    (its bytes are dropped as they arrive, so memory stays bounded by the block and the limit)."""
    rest = b""
    oversized = False
    while block := handle.read(BLOCK):
        pieces = (rest + block).split(b"\n")
        rest = pieces.pop()
        for piece in pieces:
            if oversized:
                oversized = False
                yield None
            elif len(piece) > max_line_bytes:
                yield None
            else:
                yield piece
        if len(rest) > max_line_bytes:
            oversized, rest = True, b""
    if oversized or len(rest) > max_line_bytes:
        yield None
    elif rest:
        yield rest


def read_records(
    fs: Any, parts: list[str], problems: LineProblems, *, max_line_bytes: int, shown: str = ""
) -> Iterator[tuple[str, int, dict]]:
    """``(part, line number, record)`` for every line that holds a JSON object; the others go to ``problems``."""
    decode = json.loads
    for part in parts:
        name = posixpath.relpath(part, shown) if shown else part
        with fs.open(part, "rb") as handle:
            for number, raw in enumerate(lines_of(handle, max_line_bytes), 1):
                if raw is None:
                    problems.add(name, number, "oversized", f"longer than {max_line_bytes} bytes")
                    continue
                try:
                    record = decode(raw)
                except UnicodeDecodeError:
                    problems.add(name, number, "malformed", "not UTF-8")
                    continue
                except json.JSONDecodeError as err:
                    text = raw.strip()
                    if not text:
                        problems.add(name, number, "empty", "blank line")
                        continue
                    cut = text.startswith(b"{") and not text.endswith(b"}")  # an object that stops early
                    kind = "truncated" if cut else "malformed"
                    problems.add(name, number, kind, f"not valid JSON: {err.msg} at column {err.colno}")
                    continue
                except RecursionError:
                    problems.add(name, number, "malformed", "JSON nested too deeply")
                    continue
                if type(record) is not dict:
                    problems.add(name, number, "malformed", f"a JSON {type(record).__name__}, not an object")
                    continue
                yield name, number, record
