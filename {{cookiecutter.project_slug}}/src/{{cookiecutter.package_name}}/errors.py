"""The one error base class of the project, and the located problem it reports.

Every failure caused by input (a spec, a data file, a policy) is a ``ProjectError``. The CLI
turns it into one line per problem on stderr and exit code 2; tracebacks are kept for bugs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import attrgetter, itemgetter

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2

#: characters never printed raw: C0 controls (ESC, CR, LF...), DEL, C1 controls, bidirectional overrides
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``, ``\\u202e``).

    Everything printed that echoes input goes through here, so no input can move the cursor,
    set a terminal title (ESC/OSC sequences) or start a new line of output.
    """
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m.group()) or m.group().encode("unicode_escape").decode(), text)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, placed at ``path:line:col`` (1-based)."""

    path: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        """``path:line:col: field: message``, with control characters escaped (see ``printable``)."""
        where = f"{self.path}:{self.line}:{self.col}"
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return printable(text)

    def annotation(self) -> str:
        """A GitHub workflow ``::error`` command, escaped as GitHub documents so no input can start a
        command of its own: data ``%``, CR, LF; properties also ``:`` and ``,``."""
        title = self.field or "input"
        props = f"file={_property(self.path)},line={self.line},col={self.col},title={_property(title)}"
        return f"::error {props}::{_data(self.message)}"


def _data(text: str) -> str:
    """Annotation data as GitHub escapes it (``%``, CR, LF), other control characters as ``printable``."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


_ORDER = attrgetter("path", "line", "col", "field", "message")


class ProjectError(Exception):
    """Bad input: carries every problem found, and exits with ``exit_code`` at the CLI."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", 0, 0, "", problems)]
        # keys built in C: sorting and deduplicating 40,000 problems costs little
        keyed = sorted(zip(map(_ORDER, problems), problems, strict=True), key=itemgetter(0))
        self.problems = [p for i, (key, p) in enumerate(keyed) if i == 0 or keyed[i - 1][0] != key]
        super().__init__(self.problems[0].message if self.problems else "")

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """One printable line per problem; a problem without a file is printed bare."""
        return [str(p) if p.path else printable(p.message) for p in self.problems]


def one_line(err: BaseException, limit: int = 200) -> str:
    """The innermost cause of ``err`` as one bounded line, for messages about a library's failure."""
    while err.__cause__ is not None or err.__context__ is not None:
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
