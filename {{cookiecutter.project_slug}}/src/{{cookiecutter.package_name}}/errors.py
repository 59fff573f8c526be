"""The one error base class of the project, and the located problem it reports.

Every failure caused by input (a spec, a data file, a policy) is a ``ProjectError``. The CLI
turns it into one line per problem on stderr and exit code 2; tracebacks are kept for bugs.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, placed at ``path:line:col`` (1-based)."""

    path: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ProjectError(Exception):
    """Bad input: carries every problem found, and exits with ``exit_code`` at the CLI."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", 0, 0, "", problems)]
        self.problems = sorted(set(problems))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One printable line per problem; a problem without a file is printed bare."""
        return [str(p) if p.path else p.message for p in self.problems]


def one_line(err: BaseException, limit: int = 200) -> str:
    """The innermost cause of ``err`` as one bounded line, for messages about a library's failure."""
    while err.__cause__ is not None or err.__context__ is not None:
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
