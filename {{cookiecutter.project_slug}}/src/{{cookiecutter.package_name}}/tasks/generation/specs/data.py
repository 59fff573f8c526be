"""The data spec of a generation project: instruction/response rows in train, validation, test and golden splits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ....specs.common import API_VERSION, Finding, Name, SpdxId, SpecModel, UniqueStrList
from ....specs.data import DataSpec, Pii, Source, Splits


class GenerationColumns(SpecModel):
    """Which columns hold the prompt's inputs, the reference reply, row ids and slices."""

    id: str | None = Field(default=None, description="Column with a stable row id; golden cases name rows by it.")
    inputs: UniqueStrList = Field(
        min_length=1,
        description="Text columns a prompt template inserts ({column}); scanned for personal data and leakage.",
    )
    response: str = Field(description="Column with the reference reply: what the model learns and is compared with.")
    slices: UniqueStrList = Field(
        default_factory=list, description="Columns whose values define slices (quality by segment)."
    )


class GenerationDataSpec(SpecModel):
    """Instruction/response pairs with train, validation, test and golden splits."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["DataSpec"] = Field(description="Which spec this file is.")
    name: Name
    description: str = Field(description="What the data is and where it comes from.")
    owner: str = Field(min_length=1, description="Team or person accountable for the data (e.g. @org/team).")
    license: SpdxId
    source: Source = Field(description="Where the split files are; `type` picks the kind.")
    format: Literal["jsonl", "csv", "parquet"] = Field(description="File format of every split.")
    splits: Splits
    columns: GenerationColumns
    pii: Pii

    def text_columns(self) -> list[str]:
        """Columns that must hold non-empty text: the inputs and the reply."""
        return [*self.columns.inputs, self.columns.response]

    def value_columns(self) -> list[str]:
        """Columns that must hold a plain value: the id and the slices."""
        return [c for c in (self.columns.id, *self.columns.slices) if c]

    def label_column(self) -> None:
        """No label: the reply is free text."""
        return None

    _unknown_regions = DataSpec._unknown_regions

    def findings(self) -> Iterator[Finding]:
        if self.pii.may_contain and self.pii.legal_basis is None:
            yield ("pii", "legal_basis"), "texts may contain personal data: declare `legal_basis`"
        yield from self._unknown_regions()
        if self.columns.response in self.columns.inputs:
            yield ("columns", "response"), "the reply column must not also be an input column"
        for i, column in enumerate(self.columns.slices):
            if column == self.columns.response:
                yield ("columns", "slices", i), f"slice column {column!r} is the reply column"
