"""The one reader of every file the project consumes: specs, policies, waivers, data and run files.

Before opening, a file must resolve inside the project root (a link to a file outside is refused)
and be a regular file (a FIFO, device, directory or socket is named and refused, never opened). It
is opened without following links and without blocking, checked again after opening, and read up
to a limit without trusting its reported size. Text is decoded strictly: UTF-8 without a byte
order mark, no NUL or other forbidden control characters. Every refusal is a ``ProjectError``
placed at ``path:line:col``; ``LineIndex`` turns an offset into a line and column in one lookup.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from pathlib import Path

from .errors import Problem, ProjectError

#: what a file that is not a regular file is, in words
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
#: C0 controls other than tab, LF and CR; DEL; C1 controls; surrogates and non-characters YAML forbids
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 16


def _refuse(shown: str, message: str, line: int = 1, col: int = 1) -> ProjectError:
    return ProjectError([Problem(shown, line, col, "", message)])


def file_kind(mode: int) -> str:
    """``mode`` in words (``"a FIFO (named pipe)"``); ``"a regular file"`` for one."""
    return next((name for test, name in _KINDS if test(mode)), "a regular file" if stat.S_ISREG(mode) else "special")


def resolve_inside(path: Path, shown: str, root: Path | None) -> str:
    """The real path of ``path``; refused when it resolves outside ``root`` (through a link)."""
    real = os.path.realpath(path)
    if root is not None:
        base = os.path.realpath(root)
        if os.path.commonpath([real, base]) != base:
            raise _refuse(
                shown, f"links to {real}, outside the project; copy the file into the project instead of linking it"
            )
    return real


def open_regular(path: Path, shown: str, root: Path | None = None) -> int:
    """A read-only descriptor of ``path``, which must be a regular file inside ``root``.

    Never blocks: special files are refused before opening, and the file is opened with
    ``O_NONBLOCK | O_NOFOLLOW`` and checked again with ``fstat`` (a file swapped meanwhile is refused).
    """
    real = resolve_inside(Path(path), shown, root)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        broken = os.path.islink(path)
        raise _refuse(shown, "is a link to a missing file" if broken else "does not exist") from None
    except OSError as err:
        raise _refuse(shown, f"cannot be read: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        raise _refuse(shown, f"is {file_kind(mode)}, not a regular file; replace it with a file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as err:
        raise _refuse(shown, f"cannot be read: {err.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _refuse(shown, f"is {file_kind(mode)}, not a regular file; replace it with a file")
    return fd


def read_bytes(path: Path, shown: str, *, root: Path | None = None, limit: int) -> bytes:
    """The bytes of a regular file inside ``root``; refused past ``limit`` bytes (reads at most limit + 1)."""
    fd = open_regular(path, shown, root)
    chunks, size = [], 0
    try:
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise _refuse(shown, f"cannot be read: {err.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise _refuse(shown, f"file is more than the {limit} bytes allowed; keep it smaller")
    return b"".join(chunks)


def iter_lines(path: Path, shown: str, *, root: Path | None = None, limit: int, line_limit: int):
    """Yield ``(line_number, byte_offset, line_bytes)`` of a regular file, each line with its ``\\n``.

    Holds at most one line in memory: a line longer than ``line_limit`` bytes or a file longer
    than ``limit`` is refused when reached, before it is read whole.
    """
    fd = open_regular(path, shown, root)
    try:
        pending, offset, number, total = b"", 0, 1, 0
        while True:
            chunk = os.read(fd, _CHUNK)
            total += len(chunk)
            if total > limit:
                raise _refuse(shown, f"file is more than the {limit} bytes allowed; keep it smaller")
            if not chunk:
                break
            pending += chunk
            start = 0
            while (end := pending.find(b"\n", start)) >= 0:
                yield number, offset, pending[start : end + 1]
                offset += end + 1 - start
                number += 1
                start = end + 1
            pending = pending[start:]
            if len(pending) > line_limit:
                raise _refuse(shown, f"line is longer than {line_limit} bytes; split it or shorten the text", number)
        if pending:
            yield number, offset, pending
    except OSError as err:
        raise _refuse(shown, f"cannot be read: {err.strerror}") from None
    finally:
        os.close(fd)


def decode(
    raw: bytes, shown: str, *, first_line: int = 1, base: int = 0, what: str = "file", controls: bool = True
) -> str:
    """Decode UTF-8 strictly; a BOM, invalid bytes and (with ``controls``) forbidden control characters
    are placed problems.

    ``first_line`` and ``base`` (the byte offset of ``raw`` in its file) place problems of one line
    of a larger file.
    """
    if raw.startswith(_BOM):
        raise _refuse(
            shown,
            f"a UTF-8 byte order mark (byte offset {base}) is not allowed; save the {what} as UTF-8 without BOM",
            first_line,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, col = _byte_position(raw, err.start)
        raise _refuse(
            shown,
            f"not valid UTF-8 (byte 0x{raw[err.start]:02x}) at byte offset {base + err.start}; save the {what} as "
            "UTF-8 (latin-1 or cp1252 bytes are not UTF-8)",
            first_line + line - 1,
            col,
        ) from None
    bad = FORBIDDEN.search(text) if controls else None
    if bad:
        line, col = LineIndex(text).position(bad.start())
        char = bad.group()
        name = "a NUL byte (the file looks binary)" if char == "\x00" else f"control character U+{ord(char):04X}"
        raise _refuse(shown, f"{name} is not allowed; remove it or write it as an escape", first_line + line - 1, col)
    return text


def _byte_position(raw: bytes, at: int) -> tuple[int, int]:
    """1-based (line, column in characters) of byte offset ``at`` of UTF-8 ``raw``."""
    start = raw.rfind(b"\n", 0, at) + 1
    return raw.count(b"\n", 0, at) + 1, len(raw[start:at].decode("utf-8", errors="replace")) + 1


class LineIndex:
    """Line starts of a text, built once, so each offset is placed by a binary search."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` without its line break; ``""`` past the end."""
        if not 0 < number <= len(self.starts):
            return ""
        end = self.starts[number] - 1 if number < len(self.starts) else len(self.text)
        return self.text[self.starts[number - 1] : end].rstrip("\r")


def read_text(path: Path, shown: str, *, root: Path | None = None, limit: int, what: str = "file") -> str:
    """A regular file inside ``root`` read (at most ``limit`` bytes) and strictly decoded."""
    return decode(read_bytes(path, shown, root=root, limit=limit), shown, what=what)
