"""Safe YAML loading that keeps the position of every key and value (libyaml events, YAML 1.2 values).

``load_yaml`` reads through ``reader`` (a regular file inside the project, at most ``MAX_BYTES``,
strict UTF-8) and refuses anything that is not a plain YAML 1.2 document: tags other than the core
ones, merge keys, duplicate keys, alias expansion past a bound, deep nesting, binary, empty files.
Each refusal is a ``Problem`` with the file, line and column. A value that cannot be read (an
invalid date) is kept as text and reported with the document, so the file's other problems show too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml as pyyaml

from ..errors import Problem, ProjectError
from ..reader import LineIndex, read_bytes
from ..reader import decode as decode_text
from .yamltree import Mapping, Sequence, build

MAX_BYTES = 1 << 20
MAX_ALIAS_NODES = 100_000  # values added by alias expansion: a "billion laughs" file stops here
MAX_DEPTH = 64


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: ``data`` as plain Python, ``tree`` with the positions of every key and value.

    ``problems`` are values the loader could not read (kept as text), reported with the document.
    """

    path: Path
    shown: str  # the path as printed in messages
    text: str
    data: Any
    tree: Any
    problems: tuple[Problem, ...] = field(default=())

    @cached_property
    def index(self) -> LineIndex:
        """The text's line index, built once for placing every problem."""
        return LineIndex(self.text)


def _problem(shown: str, line: int, col: int, message: str) -> ProjectError:
    return ProjectError([Problem(shown, line, col, "", message)])


def plain(value: Any) -> Any:
    """Convert the positioned containers and scalars into plain Python values."""
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


def decode(path: Path, shown: str, max_bytes: int = MAX_BYTES, *, root: Path | None = None) -> str:
    """Read a text file through ``reader``: a regular file inside ``root``, at most ``max_bytes``, strict UTF-8."""
    return decode_bytes(read_bytes(path, shown, root=root, limit=max_bytes), shown, max_bytes)


def decode_bytes(raw: bytes, shown: str, max_bytes: int = MAX_BYTES) -> str:
    """Decode file content (e.g. from ``git show``), refusing oversized bytes, a BOM, non-UTF-8 and controls."""
    if len(raw) > max_bytes:
        raise _problem(shown, 1, 1, f"file is {len(raw)} bytes, more than the {max_bytes} allowed")
    return decode_text(raw, shown)


def load_yaml(path: Path, shown: str | None = None, *, root: Path | None = None) -> Document:
    """Load one YAML file safely; raises ``ProjectError`` with positions on any bad input.

    ``root`` is the project: a file that resolves outside it (through a link) is refused.
    """
    shown = shown or str(path)
    return parse_yaml(decode(path, shown, root=root), path, shown)


def parse_yaml(text: str, path: Path, shown: str) -> Document:
    """Parse YAML ``text`` (from ``decode`` or ``decode_bytes``) as safely as ``load_yaml``, in one pass
    of libyaml's events (see ``yamltree``)."""
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise _problem(shown, 1, 1, "file is empty; it must hold a YAML mapping")
    try:
        tree, unreadable = build(text, shown, max_depth=MAX_DEPTH, max_alias_nodes=MAX_ALIAS_NODES)
    except pyyaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = (err.problem or err.context or "invalid YAML").strip()
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _problem(shown, line, col, f"invalid YAML: {what}") from None
    except (pyyaml.YAMLError, ValueError, TypeError) as err:
        raise _problem(shown, 1, 1, f"invalid YAML: {err}") from None
    if not isinstance(tree, Mapping):
        kind = "a list" if isinstance(tree, Sequence) else f"a single value ({tree!r})"
        raise _problem(shown, 1, 1, f"the document is {kind}; it must be a mapping of fields")
    return Document(path=path, shown=shown, text=text, data=plain(tree), tree=tree, problems=tuple(unreadable))


def position(tree: Any, loc: tuple, *, at_key: bool = False) -> tuple[int, int]:
    """Return the 1-based (line, col) that ``loc`` points at in a loaded ``tree``.

    Walks as far as the document goes; a missing step (a union tag, an absent field) keeps the
    deepest position found. ``at_key`` points at the last key instead of its value.
    """
    line, col = 1, 1
    node = tree
    for i, step in enumerate(loc):
        try:
            if isinstance(node, Mapping) and step in node:
                kl, kc = node.lc.key(step) if at_key and i == len(loc) - 1 else node.lc.value(step)
                node = node[step]
            elif isinstance(node, Sequence) and isinstance(step, int) and 0 <= step < len(node):
                kl, kc = node.lc.item(step)
                node = node[step]
            else:
                continue  # a step the document lacks (a union tag, a missing field)
        except (AttributeError, KeyError, TypeError):
            break
        line, col = kl + 1, kc + 1
    return line, col


def roundtrip(doc: Document) -> Document:
    """``doc`` with ``tree`` as ruamel.yaml's round-trip nodes (comments, flow style, positions), for the
    commands that rewrite a file in place. Only for text that ``parse_yaml`` already accepted."""
    from ruamel.yaml import YAML

    return dataclasses.replace(doc, tree=YAML(typ="rt").load(doc.text))
