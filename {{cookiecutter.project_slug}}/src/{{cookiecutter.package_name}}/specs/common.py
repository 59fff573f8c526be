"""Building blocks shared by every spec kind: the strict base model and constrained types."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

API_VERSION = "gated-ml/v1"

#: (field path, message) pairs produced by a spec's own semantic checks.
Finding = tuple[tuple, str]


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are errors, values are checked on assignment.

    Strict: no silent coercion (``"32"`` or ``20.0`` for an integer, ``"no"`` for a boolean).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, strict=True)

    def findings(self) -> Iterator[Finding]:
        """Yield problems that involve several fields, each with the path it concerns."""
        return iter(())


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unique(values: list) -> list:
    seen: set = set()
    dupes = [v for v in values if v in seen or seen.add(v)]
    if dupes:
        raise ValueError(f"values must be unique; {dupes[0]!r} appears more than once")
    return values


Name = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"),
    Field(description="Lower-case letters, digits and '-', at most 63 characters (a DNS label)."),
]
Sha256 = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    Field(description="Hex sha256 of the file's bytes; re-pin with the `pin-data` command."),
]
GitRevision = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{40}$"),
    Field(description="A full 40-character commit sha. Branch names and tags move; shas do not."),
]
SpdxId = Annotated[
    str,
    StringConstraints(pattern=r"^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)$"),
    Field(description="An SPDX license identifier (e.g. Apache-2.0, CC-BY-4.0) or LicenseRef-*."),
]


def _relative(path: str) -> str:
    if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        raise ValueError(f"{path!r} is absolute; give a path relative to the project root")
    if ".." in path.replace("\\", "/").split("/"):
        raise ValueError(f"{path!r} leaves the project ('..'); keep files inside it")
    return path


RelPath = Annotated[
    str,
    StringConstraints(min_length=1, pattern=r"^[^/\\]"),
    AfterValidator(_relative),
    Field(description="A path relative to the project root, without '..'."),
]
Version = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]+(\.[0-9]+){0,2}([.-]?[A-Za-z0-9.]+)?$"),
    Field(description='A version string. Quote it in YAML ("1.10"), or 1.10 reads as 1.1.'),
]
UniqueStrList = Annotated[list[str], AfterValidator(_unique)]
