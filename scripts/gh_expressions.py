"""GitHub Actions expressions (``${{ ... }}``), evaluated locally for workflow rehearsals.

Follows GitHub's documented semantics for what workflows use: literals (``null``, booleans,
numbers, ``'strings'`` with ``''`` for a quote), context paths (``github.event.pull_request.number``,
``steps['x'].outputs``, ``labels.*.name``), ``!``, comparisons (strings compared
case-insensitively, mixed types coerced to numbers), ``&&``/``||`` returning an operand, and the
functions ``contains``, ``startsWith``, ``endsWith``, ``format``, ``join``, ``toJSON``,
``fromJSON``, ``hashFiles``, ``success``, ``failure``, ``always`` and ``cancelled``.

Unknown functions, unknown contexts and syntax errors raise ``ExpressionError``: a rehearsal
must not guess what GitHub would do.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")
TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?))
      | (?P<string>'(?:[^']|'')*')
      | (?P<op>&&|\|\||==|!=|<=|>=|[!<>()\[\],.*])
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)


def _whole(text: str) -> str | None:
    """The expression of a string that is exactly one ``${{ ... }}``, else None."""
    matches = list(EMBEDDED.finditer(text.strip()))
    if len(matches) == 1 and matches[0].span() == (0, len(text.strip())):
        return matches[0].group(1)
    return None


class ExpressionError(ValueError):
    """An expression the rehearsal cannot evaluate the way GitHub would."""


class Filtered(list):
    """The result of a ``.*`` filter: property access maps over the items."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot parse {text!r} at {text[pos:]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def to_number(value: Any) -> float:
    """GitHub's number coercion: null 0, booleans 0/1, numeric strings, else NaN."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def truthy(value: Any) -> bool:
    """``false``, ``0``, ``''`` and ``null`` are falsy; everything else, arrays and objects included, is truthy."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def to_string(value: Any) -> str:
    """How a value is written into a script, an input or an environment variable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _equal(left: Any, right: Any) -> bool:
    """``==``: strings ignore case, objects and arrays are equal only to themselves, mixed types compare as numbers."""
    kinds = (_kind(left), _kind(right))
    if "object" in kinds:
        return left is right
    if kinds == ("string", "string"):
        return left.casefold() == right.casefold()
    if kinds[0] == kinds[1]:
        return left == right
    return to_number(left) == to_number(right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.casefold(), right.casefold()
    else:
        a, b = to_number(left), to_number(right)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _contains(search: Any, item: Any) -> bool:
    if isinstance(search, list):
        return any(_equal(element, item) for element in search)
    return to_string(item).casefold() in to_string(search).casefold()


def _format(template: Any, *args: Any) -> str:
    text = to_string(template)

    def replace(match: re.Match) -> str:
        if match.group(0) == "{{":
            return "{"
        if match.group(0) == "}}":
            return "}"
        index = int(match.group(1))
        if index >= len(args):
            raise ExpressionError(f"format(): no argument {index} for {text!r}")
        return to_string(args[index])

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", replace, text)


def _join(items: Any, separator: Any = ",") -> str:
    if isinstance(items, list):
        return to_string(separator).join(to_string(item) for item in items)
    return to_string(items)


class Evaluator:
    """Evaluates expressions against ``contexts``; ``status`` answers the status functions."""

    def __init__(self, contexts: Mapping[str, Any], *, status: str = "success", workspace: Path | None = None):
        self.contexts = contexts
        self.status = status  # "success" | "failure" | "cancelled"
        self.workspace = workspace
        self.functions: dict[str, Callable[..., Any]] = {
            "contains": _contains,
            "startswith": lambda a, b: to_string(a).casefold().startswith(to_string(b).casefold()),
            "endswith": lambda a, b: to_string(a).casefold().endswith(to_string(b).casefold()),
            "format": _format,
            "join": _join,
            "tojson": lambda value: json.dumps(value, indent=2),
            "fromjson": lambda text: json.loads(to_string(text)),
            "hashfiles": self._hash_files,
            "success": lambda: self.status == "success",
            "failure": lambda: self.status == "failure",
            "always": lambda: True,
            "cancelled": lambda: self.status == "cancelled",
        }

    # -- public API ---------------------------------------------------------------------------

    def evaluate(self, text: str) -> Any:
        """The value of one expression (without the ``${{ }}``)."""
        self._tokens = _tokens(text)
        self._pos = 0
        value = self._or()
        if self._pos != len(self._tokens):
            raise ExpressionError(f"unexpected {self._tokens[self._pos][1]!r} in {text!r}")
        return value

    def substitute(self, text: str) -> str:
        """``text`` with every embedded ``${{ expression }}`` replaced by its value as a string."""
        return EMBEDDED.sub(lambda match: to_string(self.evaluate(match.group(1))), text)

    def value(self, raw: Any) -> Any:
        """A YAML value: strings get their expressions substituted; a lone ``${{ x }}`` keeps x's type."""
        if isinstance(raw, str):
            whole = _whole(raw)
            return self.evaluate(whole) if whole is not None else self.substitute(raw)
        if isinstance(raw, dict):
            return {key: self.value(item) for key, item in raw.items()}
        if isinstance(raw, list):
            return [self.value(item) for item in raw]
        return raw

    def condition(self, raw: Any) -> bool:
        """An ``if:``: ``success() && (...)`` unless it calls a status function itself."""
        if raw is None:
            return self.status == "success"
        if isinstance(raw, bool):
            return raw and self.status == "success"
        text = str(raw).strip()
        whole = _whole(text)
        if whole is not None:
            text = whole
        elif "${{" in text:
            return truthy(self.substitute(text))
        if not any(re.search(rf"\b{name}\s*\(", text, re.IGNORECASE) for name in STATUS_FUNCTIONS):
            text = f"success() && ({text})"
        return truthy(self.evaluate(text))

    # -- parser -------------------------------------------------------------------------------

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None

    def _take(self, value: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'a value'}, found {token[1] if token else 'the end'}")
        self._pos += 1
        return token

    def _binary(self, operand: Callable[[], Any], operators: tuple[str, ...], combine) -> Any:
        left = operand()
        while (token := self._peek()) and token[0] == "op" and token[1] in operators:
            self._take()
            left = combine(token[1], left, operand())
        return left

    def _or(self) -> Any:
        return self._binary(self._and, ("||",), lambda _op, a, b: a if truthy(a) else b)

    def _and(self) -> Any:
        return self._binary(self._equality, ("&&",), lambda _op, a, b: b if truthy(a) else a)

    def _equality(self) -> Any:
        return self._binary(
            self._comparison, ("==", "!="), lambda op, a, b: _equal(a, b) if op == "==" else not _equal(a, b)
        )

    def _comparison(self) -> Any:
        return self._binary(self._unary, ("<", "<=", ">", ">="), _compare)

    def _unary(self) -> Any:
        token = self._peek()
        if token == ("op", "!"):
            self._take()
            return not truthy(self._unary())
        return self._postfix(self._primary())

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "number":
            return float(int(text, 16)) if text.lower().startswith(("0x", "-0x")) else float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "op" and text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if self._peek() == ("op", "("):
            return self._call(lowered, text)
        if text not in self.contexts:
            raise ExpressionError(f"unknown context {text!r} (known: {', '.join(sorted(self.contexts))})")
        return self.contexts[text]

    def _call(self, lowered: str, text: str) -> Any:
        if lowered not in self.functions:
            raise ExpressionError(f"unknown function {text}()")
        self._take("(")
        args = []
        if self._peek() != ("op", ")"):
            args.append(self._or())
            while self._peek() == ("op", ","):
                self._take()
                args.append(self._or())
        self._take(")")
        return self.functions[lowered](*args)

    def _postfix(self, value: Any) -> Any:
        while (token := self._peek()) and token[0] == "op" and token[1] in (".", "["):
            self._take()
            if token[1] == ".":
                kind, name = self._take()
                if (kind, name) == ("op", "*"):
                    value = self._star(value)
                    continue
                if kind != "name":
                    raise ExpressionError(f"expected a property name after '.', found {name!r}")
                value = self._property(value, name)
            else:
                if self._peek() == ("op", "*"):
                    self._take()
                    self._take("]")
                    value = self._star(value)
                    continue
                key = self._or()
                self._take("]")
                value = self._property(value, key)
        return value

    @staticmethod
    def _star(value: Any) -> Filtered:
        if isinstance(value, dict):
            return Filtered(value.values())
        return Filtered(value) if isinstance(value, list) else Filtered()

    def _property(self, value: Any, key: Any) -> Any:
        if isinstance(value, Filtered):
            return Filtered(self._property(item, key) for item in value if isinstance(item, dict | list))
        if isinstance(value, list):
            index = to_number(key)
            if math.isnan(index) or not index.is_integer() or not 0 <= index < len(value):
                return None
            return value[int(index)]
        if isinstance(value, Mapping):
            name = to_string(key)
            if name in value:
                return value[name]
            folded = {str(k).casefold(): k for k in value}
            return value[folded[name.casefold()]] if name.casefold() in folded else None
        return None

    def _hash_files(self, *patterns: Any) -> str:
        if self.workspace is None:
            raise ExpressionError("hashFiles() needs a workspace")
        digest = hashlib.sha256()
        found = False
        for pattern in patterns:
            for path in sorted(self.workspace.glob(to_string(pattern))):
                if path.is_file():
                    digest.update(hashlib.sha256(path.read_bytes()).digest())
                    found = True
        return digest.hexdigest() if found else ""
