"""The prompts spec (``specs/prompts.yaml``): the versioned system prompt and templates.

A template is text with ``{column}`` variables, each a data column of ``columns.inputs``; ``{{``
and ``}}`` write literal braces. A prompt change is a spec change: ``diff`` shows it field by
field, ``run.json`` records ``version`` and the sha256 of the file, and the service logs the version.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ....specs.common import API_VERSION, Finding, SpecModel, Version

TemplateName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$"),
    Field(description="Lower-case letters, digits, '_' and '-'."),
]


def variables(template: str) -> list[str]:
    """The ``{name}`` variables of ``template`` in order of first use; raises ``ValueError`` on a
    malformed template (unbalanced braces, positional ``{}``, ``{a.b}``, ``{a[0]}``, ``{a!r}``, ``{a:>9}``)."""
    found: list[str] = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a variable: use {{column}} with a data column's name")
        if spec or conversion:
            raise ValueError(f"{{{name}}} may not carry a format or conversion; write {{{name}}} alone")
        if name not in found:
            found.append(name)
    return found


class PromptsSpec(SpecModel):
    """The system prompt and the templates that turn a data row into the user's message."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["PromptsSpec"] = Field(description="Which spec this file is.")
    version: Version = Field(
        description='Version of the prompts, recorded in run.json and every logged prediction; quote it ("1.10").'
    )
    system: str | None = Field(
        default=None, min_length=1, description="System message sent before every user message; omit for none."
    )
    templates: dict[TemplateName, str] = Field(
        min_length=1, description="Name -> user message with {column} variables taken from the data row."
    )
    default: TemplateName = Field(description="The template used for training, evaluation and serving.")

    def findings(self) -> Iterator[Finding]:
        if self.default not in self.templates:
            yield ("default",), f"{self.default!r} is not a template (known: {', '.join(self.templates)})"
        for name, text in self.templates.items():
            try:
                variables(text)
            except ValueError as err:
                yield ("templates", name), f"malformed template: {err}"
