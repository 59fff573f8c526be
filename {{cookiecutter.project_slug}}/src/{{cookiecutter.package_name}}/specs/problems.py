"""Turn pydantic validation errors into located, actionable ``Problem``s."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem
from .common import did_you_mean
from .yamlio import Document, position


def field_path(loc: tuple) -> str:
    """Render a location as ``a.b[2].c``."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def members(tp: Any) -> list:
    """Flatten Annotated, Optional and unions into their member types."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(tp) for m in members(arg)]
    return [tp]


def _step(tp: Any, step: Any) -> Any:
    """The type found one step into ``tp``; ``None`` when unknown."""
    models = [m for m in members(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
    for model in models:
        for name, info in model.model_fields.items():
            if step in (name, info.alias):
                return info.annotation
    for model in models:  # a discriminated union's tag
        tag = model.model_fields.get("type")
        if tag is not None and step in typing.get_args(tag.annotation):
            return model
    for member in members(tp):
        args = typing.get_args(member)
        if typing.get_origin(member) is list and args and isinstance(step, int):
            return args[0]
        if typing.get_origin(member) is dict and len(args) == 2:
            return args[1]
    return None


def allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names (as written in YAML) allowed at ``loc`` of ``model``."""
    tp: Any = model
    for step in loc:
        tp = _step(tp, step)
        if tp is None:
            return []
    names: list[str] = []
    for member in members(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            names += [info.alias or name for name, info in member.model_fields.items()]
    return names


#: unknown keys per document that get a "did you mean" suggestion (the search costs; thousands add nothing)
MAX_SUGGESTIONS = 100


def _message(
    err: dict, model: type[BaseModel], source: str = "", allowed: list[str] | None = None, suggest: bool = True
) -> str:
    kind, loc, value = err["type"], err["loc"], err.get("input")
    if kind == "missing":
        return f"required field {loc[-1]!r} is missing; add it"
    if kind == "extra_forbidden":
        allowed = allowed_fields(model, loc[:-1]) if allowed is None else allowed
        hint = (did_you_mean(loc[-1], allowed) if suggest else "") or (
            f"; allowed here: {', '.join(allowed)}" if allowed else ""
        )
        return f"unknown field {loc[-1]!r}{hint}"
    msg = err["msg"]
    expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
    if kind == "union_tag_not_found":
        ctx = err["ctx"]
        return f"missing {ctx['discriminator']}: set it to one of {ctx.get('expected_tags', 'the known types')}"
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", err["ctx"].get("expected_tags", ""))
        return (
            f"unknown type {err['ctx']['tag']!r}; use one of {', '.join(tags)}{did_you_mean(err['ctx']['tag'], tags)}"
        )
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'{msg}; YAML read a number here: quote the value ("{source or value}") to keep it as text'
    if kind in _STRICT:
        return f"{msg} (got {_shown(value)}); {_STRICT[kind](value, source)}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not have the expected form ({msg.split(': ', 1)[-1]})"
    shown = f" (got {value!r})" if isinstance(value, (str, int, float, bool)) or value is None else ""
    return f"{msg}{shown}{did_you_mean(value, expected)}"


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
    return text if len(text) <= 80 else text[:79] + "…"


def _number_hint(value: Any, source: str, whole: bool) -> str:
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9_.eE]+\s*", value):
        return f"write the number without quotes ({value.strip()})"
    if whole and isinstance(value, float) and value.is_integer():
        return f"write a whole number without a decimal point ({int(value)})"
    if isinstance(value, bool):
        return "write a number; true and false are booleans"
    return "write a whole number" if whole else "write a number"


def _bool_hint(value: Any, source: str) -> str:
    if isinstance(value, str) and value.lower() in _YAML11_BOOLS:
        word = "true" if _YAML11_BOOLS[value.lower()] else "false"
        return f"YAML 1.2 reads {value!r} as text, not a boolean: write {word}"
    return "write true or false"


def _date_hint(value: Any, source: str) -> str:
    return "write the date as YYYY-MM-DD without quotes"


_YAML11_BOOLS = {w: True for w in ("yes", "y", "on", "true")} | {w: False for w in ("no", "n", "off", "false")}
#: strict type errors -> what to write instead
_STRICT = {
    "int_type": lambda v, s: _number_hint(v, s, True),
    "int_from_float": lambda v, s: _number_hint(v, s, True),
    "float_type": lambda v, s: _number_hint(v, s, False),
    "bool_type": _bool_hint,
    "date_type": _date_hint,
    "datetime_type": _date_hint,
}


def validation_problems(doc: Document, err: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """One ``Problem`` per pydantic error, placed where the user has to edit.

    Linear in the number of errors: positions come from the tree and the line index, the fields
    allowed at a place are looked up once, and only the first ``MAX_SUGGESTIONS`` unknown keys get
    a "did you mean".
    """
    problems = []
    allowed: dict[tuple, list[str]] = {}
    unknown = 0
    for item in err.errors(include_url=False):
        loc = tuple(item["loc"])
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc += (item["ctx"]["discriminator"].strip("'"),)
        if item["type"] == "missing":
            line, col = position(doc.tree, loc[:-1], at_key=True)
        elif item["type"] == "extra_forbidden":
            line, col = position(doc.tree, loc, at_key=True)
        else:
            line, col = position(doc.tree, loc)
        source = _token(doc, line, col) if item["type"] == "string_type" else ""
        names = None
        if item["type"] == "extra_forbidden":
            unknown += 1
            if loc[:-1] not in allowed:
                allowed[loc[:-1]] = allowed_fields(model, loc[:-1])
            names = allowed[loc[:-1]]
        message = _message(item, model, source, names, suggest=unknown <= MAX_SUGGESTIONS)
        problems.append(Problem(doc.shown, line, col, field_path(_doc_loc(doc.data, loc)), message))
    return problems


def _token(doc: Document, line: int, col: int) -> str:
    """The plain scalar written at ``line:col`` of the source (e.g. ``1.10`` before YAML read 1.1)."""
    match = re.match(r"[^\s#,\]}]+", doc.index.line(line)[col - 1 :])
    return match.group(0) if match else ""


def _doc_loc(data: Any, loc: tuple) -> tuple:
    """Drop the steps pydantic adds that are not in the file (union tags such as 'scratch')."""
    out, node = [], data
    for i, step in enumerate(loc):
        in_map = isinstance(node, dict) and step in node
        if in_map or (isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)):
            node = node[step]
        elif i < len(loc) - 1:
            continue
        out.append(step)
    return tuple(out)


def located(doc: Document, loc: tuple, message: str) -> Problem:
    """A problem about the field at ``loc`` of a loaded document."""
    line, col = position(doc.tree, loc)
    return Problem(doc.shown, line, col, field_path(loc), message)
