"""Safe YAML loading that keeps the position of every key and value.

``load_yaml`` refuses anything that is not a plain YAML 1.2 document: tags other than the core
ones, duplicate keys, alias expansion past a bound, deep nesting, non-UTF-8, binary, empty and
oversized files. Each refusal is a ``Problem`` with the file, line and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from ..errors import Problem, ProjectError

MAX_BYTES = 1 << 20
MAX_NODES = 100_000  # after alias expansion: a "billion laughs" file stops here
MAX_DEPTH = 64
CORE_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: ``data`` as plain Python, ``tree`` with ruamel's positions."""

    path: Path
    shown: str  # the path as printed in messages
    text: str
    data: Any
    tree: Any


def _problem(shown: str, line: int, col: int, message: str) -> ProjectError:
    return ProjectError([Problem(shown, line, col, "", message)])


def _check_nodes(shown: str, root: Node) -> None:
    """Refuse non-core tags, nesting deeper than MAX_DEPTH and expansion past MAX_NODES."""
    sizes: dict[int, int] = {}

    def size(node: Node, depth: int) -> int:
        mark = node.start_mark
        if depth > MAX_DEPTH:
            raise _problem(
                shown,
                mark.line + 1,
                mark.column + 1,
                f"nesting is deeper than {MAX_DEPTH} levels; flatten the document",
            )
        tag = str(node.tag)
        if tag not in CORE_TAGS:
            raise _problem(
                shown, mark.line + 1, mark.column + 1, f"tag {tag!r} is not allowed; specs hold plain YAML values only"
            )
        if id(node) in sizes:
            return sizes[id(node)]
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if total > MAX_NODES:
            raise _problem(
                shown,
                mark.line + 1,
                mark.column + 1,
                f"the document expands to more than {MAX_NODES} values through "
                "aliases; remove the anchors and aliases (&name / *name)",
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


def plain(value: Any) -> Any:
    """Convert ruamel's round-trip containers and scalars into plain Python values."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value


def decode(path: Path, shown: str, max_bytes: int = MAX_BYTES) -> str:
    """Read a text file, refusing missing, oversized, empty, binary and non-UTF-8 content."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _problem(shown, 1, 1, f"file is {size} bytes, more than the {max_bytes} allowed")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _problem(shown, 1, 1, "file not found") from None
    except IsADirectoryError:
        raise _problem(shown, 1, 1, "is a directory, not a file") from None
    except OSError as err:
        raise _problem(shown, 1, 1, f"cannot read file: {err.strerror}") from None
    return decode_bytes(raw, shown, max_bytes)


def decode_bytes(raw: bytes, shown: str, max_bytes: int = MAX_BYTES) -> str:
    """Decode file content (e.g. from ``git show``), refusing oversized, binary and non-UTF-8 bytes."""
    if len(raw) > max_bytes:
        raise _problem(shown, 1, 1, f"file is {len(raw)} bytes, more than the {max_bytes} allowed")
    if b"\x00" in raw:
        at = raw.index(b"\x00")
        line = raw.count(b"\n", 0, at) + 1
        raise _problem(
            shown, line, at - raw.rfind(b"\n", 0, at), "file looks binary (contains NUL bytes); specs are UTF-8 text"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        col = err.start - raw.rfind(b"\n", 0, err.start)
        raise _problem(
            shown, line, col, f"not valid UTF-8 (byte 0x{raw[err.start]:02x}); save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def load_yaml(path: Path, shown: str | None = None) -> Document:
    """Load one YAML file safely; raises ``ProjectError`` with positions on any bad input."""
    shown = shown or str(path)
    return parse_yaml(decode(path, shown), path, shown)


def parse_yaml(text: str, path: Path, shown: str) -> Document:
    """Parse YAML ``text`` (from ``decode`` or ``decode_bytes``) as safely as ``load_yaml``."""
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise _problem(shown, 1, 1, "file is empty; it must hold a YAML mapping")
    yaml = YAML(typ="rt", pure=True)
    try:
        _check_nodes(shown, yaml.compose(text))
        tree = yaml.load(text)
    except ProjectError:
        raise
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = (err.problem or err.context or "invalid YAML").strip()
        if "duplicate key" in what:
            what += "; each key may appear once in a mapping"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _problem(shown, line, col, f"invalid YAML: {what}") from None
    except RecursionError:
        raise _problem(shown, 1, 1, f"nesting is deeper than {MAX_DEPTH} levels") from None
    except (YAMLError, ValueError, TypeError) as err:
        raise _problem(shown, 1, 1, f"invalid YAML: {err}") from None
    if not isinstance(tree, CommentedMap):
        kind = "a list" if isinstance(tree, CommentedSeq) else f"a single value ({tree!r})"
        raise _problem(shown, 1, 1, f"the document is {kind}; it must be a mapping of fields")
    return Document(path=path, shown=shown, text=text, data=plain(tree), tree=tree)


def position(tree: Any, loc: tuple, *, at_key: bool = False) -> tuple[int, int]:
    """Return the 1-based (line, col) that ``loc`` points at in a loaded ``tree``.

    Walks as far as the document goes; a missing step (a union tag, an absent field) keeps the
    deepest position found. ``at_key`` points at the last key instead of its value.
    """
    line, col = 1, 1
    node = tree
    for i, step in enumerate(loc):
        try:
            if isinstance(node, CommentedMap) and step in node:
                kl, kc = node.lc.key(step) if at_key and i == len(loc) - 1 else node.lc.value(step)
                node = node[step]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                kl, kc = node.lc.item(step)
                node = node[step]
            else:
                continue  # a step the document lacks (a union tag, a missing field)
        except (AttributeError, KeyError, TypeError):
            break
        line, col = kl + 1, kc + 1
    return line, col
