"""Build a positioned YAML 1.2 tree from libyaml's parser events, in one pass and without recursion.

libyaml (through PyYAML's C binding, or its pure-Python parser where the binding is missing)
only parses; values are resolved here by the YAML 1.2 core schema (``no`` stays text), so no
YAML 1.1 rule and no constructor of PyYAML runs. The tree is made of ``Mapping`` and ``Sequence``
containers whose ``lc`` answers ``key(k)``, ``value(k)`` and ``item(i)`` with 0-based
``(line, column)`` pairs. Refused on the way, each at its own line and column: tags other than
the core ones, merge keys (``<<``), duplicate keys, keys that are not plain values, nesting
deeper than ``max_depth``, recursive aliases, alias expansion past ``max_alias_nodes`` (only what
aliases add is counted, so a large file of plain keys is not mistaken for an alias bomb), and a
second document. An invalid date is kept as text and returned as a problem, so the file's other
problems are still found.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml as pyyaml

from ..errors import Problem, ProjectError

_TAG = "tag:yaml.org,2002:"
_Parser = getattr(pyyaml, "CSafeLoader", pyyaml.SafeLoader)

_SCALAR_TAGS = tuple(_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp"))
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"([-+]?)\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?.*")


class _Lines:
    """0-based positions of a container's keys, values and items (ruamel's ``lc`` interface)."""

    __slots__ = ("keys", "values", "items")

    def __init__(self) -> None:
        self.keys: dict = {}
        self.values: dict = {}
        self.items: list = []

    def key(self, k: Any) -> tuple[int, int]:
        return self.keys[k]

    def value(self, k: Any) -> tuple[int, int]:
        return self.values[k]

    def item(self, i: int) -> tuple[int, int]:
        return self.items[i]


class Mapping(dict):
    """A YAML mapping with the positions of its keys and values in ``lc``."""

    def __init__(self) -> None:
        super().__init__()
        self.lc = _Lines()


class Sequence(list):
    """A YAML sequence with the positions of its items in ``lc``."""

    def __init__(self) -> None:
        super().__init__()
        self.lc = _Lines()


def resolve(value: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema (and dates, as ruamel reads them); raises ValueError
    for a date that does not exist."""
    if _NULL.fullmatch(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    special = _SPECIAL_FLOAT.fullmatch(value)
    if special:
        return float("nan") if special.group(3) else float(f"{special.group(1)}inf")
    if _DATE.fullmatch(value):
        year, month, day = (int(part) for part in value.split("-"))
        return dt.date(year, month, day)
    if _DATETIME.fullmatch(value):
        text = re.sub(r"[ \t]+", "T", value.strip(), count=1).replace("t", "T").replace("z", "Z").replace(" ", "")
        return dt.datetime.fromisoformat(text)
    return value


class _Frame:
    __slots__ = ("container", "anchor", "size", "key", "key_mark", "start")

    def __init__(self, container: Any, anchor: str | None, start: Any) -> None:
        self.container, self.anchor, self.start = container, anchor, start
        self.size, self.key, self.key_mark = 1, _NO_KEY, None


_NO_KEY = object()


def build(text: str, shown: str, *, max_depth: int, max_alias_nodes: int) -> tuple[Any, list[Problem]]:
    """The tree of the single document in ``text`` and the values it could not read (kept as text)."""
    parser = _Parser(text)
    unreadable: list[Problem] = []
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: set[str] = set()
    stack: list[_Frame] = []
    added = 0  # values alias expansion adds
    documents = 0
    root: Any = None

    def fail(mark: Any, message: str) -> ProjectError:
        return ProjectError([Problem(shown, mark.line + 1, mark.column + 1, "", message)])

    def place(value: Any, size: int, mark: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        frame.size += size
        where = (mark.line, mark.column)
        container = frame.container
        if isinstance(container, Sequence):
            container.lc.items.append(where)
            container.append(value)
        elif frame.key is _NO_KEY:
            if isinstance(value, (Mapping, Sequence)):
                raise fail(mark, "a key must be a plain value, not a mapping or list")
            if value in container or value in container.lc.keys:
                raise fail(mark, f"invalid YAML: found duplicate key {value!r}; each key may appear once in a mapping")
            frame.key, frame.key_mark = value, where
        else:
            container[frame.key] = value
            container.lc.keys[frame.key] = frame.key_mark
            container.lc.values[frame.key] = where
            frame.key = _NO_KEY

    def check_tag(tag: str | None, mark: Any, allowed: tuple[str, ...]) -> None:
        if tag not in (None, "!") and tag not in allowed:
            raise fail(mark, f"tag {tag!r} is not allowed; specs hold plain YAML values only")

    try:
        while (event := parser.get_event()) is not None:
            kind = type(event)
            mark = event.start_mark
            if kind is pyyaml.ScalarEvent:
                check_tag(event.tag, mark, _SCALAR_TAGS)
                value: Any = event.value
                text = event.tag in (_TAG + "str", "!") or (event.tag is None and not event.implicit[0])
                if not text:
                    at_key = bool(stack) and isinstance(stack[-1].container, Mapping) and stack[-1].key is _NO_KEY
                    if value == "<<" and at_key:
                        raise fail(mark, "merge keys (<<) are not allowed; write the keys out in this mapping")
                    try:
                        value = resolve(value)
                    except ValueError as err:
                        message = f"{value!r} is not a valid date ({err}); write YYYY-MM-DD"
                        unreadable.append(Problem(shown, mark.line + 1, mark.column + 1, "", message))
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
                place(value, 1, mark)
            elif kind is pyyaml.MappingStartEvent or kind is pyyaml.SequenceStartEvent:
                check_tag(event.tag, mark, (_TAG + "map", _TAG + "seq"))
                if len(stack) >= max_depth:
                    raise fail(mark, f"nesting is deeper than {max_depth} levels; flatten the document")
                container = Mapping() if kind is pyyaml.MappingStartEvent else Sequence()
                if event.anchor:
                    open_anchors.add(event.anchor)
                stack.append(_Frame(container, event.anchor, mark))
            elif kind is pyyaml.MappingEndEvent or kind is pyyaml.SequenceEndEvent:
                frame = stack.pop()
                if frame.anchor:
                    open_anchors.discard(frame.anchor)
                    anchors[frame.anchor] = (frame.container, frame.size)
                place(frame.container, frame.size, frame.start)
            elif kind is pyyaml.AliasEvent:
                if event.anchor in open_anchors:
                    raise fail(mark, f"alias *{event.anchor} refers to the mapping or list that contains it")
                if event.anchor not in anchors:
                    raise fail(mark, f"alias *{event.anchor} has no anchor &{event.anchor} before it")
                value, size = anchors[event.anchor]
                added += size
                if added > max_alias_nodes:
                    raise fail(
                        mark,
                        f"the document expands to more than {max_alias_nodes} values through "
                        "aliases; remove the anchors and aliases (&name / *name)",
                    )
                place(value, size, mark)
            elif kind is pyyaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise fail(mark, "invalid YAML: found another document; a spec file holds one document")
    finally:
        parser.dispose()
    return root, unreadable
