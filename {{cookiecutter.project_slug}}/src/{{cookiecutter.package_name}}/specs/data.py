"""The data spec (``specs/data.yaml``): where the data lives and what its columns mean."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from .common import API_VERSION, Finding, GitRevision, Name, RelPath, Sha256, SpdxId, SpecModel, UniqueStrList


class LocalSource(SpecModel):
    """Files committed to (or placed inside) the project."""

    type: Literal["local"] = Field(description="Split files are paths inside the project.")


class HuggingFaceSource(SpecModel):
    """A dataset repository on the Hugging Face Hub, pinned to one commit."""

    type: Literal["huggingface"] = Field(description="Split files are paths inside a Hub dataset repo.")
    id: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$", description="Hub dataset id, owner/name.")
    revision: GitRevision


class ObjectStoreSource(SpecModel):
    """A prefix in an object store (S3, GCS, Azure Blob); credentials come from the environment."""

    type: Literal["object_store"] = Field(description="Split files are keys under `uri`.")
    uri: str = Field(pattern=r"^(s3|gs|az|abfs)://[^/\s]+(/\S*)?$", description="e.g. s3://bucket/prefix")


Source = Annotated[LocalSource | HuggingFaceSource | ObjectStoreSource, Field(discriminator="type")]


class SplitFile(SpecModel):
    """One split: a file and the sha256 it must have."""

    path: RelPath = Field(description="Path of the split file, relative to the source root.")
    sha256: Sha256


class Splits(SpecModel):
    """The files of each split. `golden` holds hand-checked rows the model must get right."""

    train: SplitFile
    validation: SplitFile
    test: SplitFile
    golden: SplitFile | None = Field(default=None, description="Rows every release must predict exactly.")


class Columns(SpecModel):
    """Which columns hold the text, the label, row ids and the slices to report by."""

    id: str | None = Field(default=None, description="Column with a stable row id, used in reports.")
    text: str = Field(description="Column with the input text.")
    label: str = Field(description="Column with the label, one of `labels`.")
    slices: UniqueStrList = Field(
        default_factory=list, description="Columns whose values define slices (fairness, quality by segment)."
    )


class Pii(SpecModel):
    """Whether texts may hold personal data, and on what legal basis it is processed."""

    may_contain: bool = Field(description="True when texts may hold personal data (names, e-mails, phone numbers).")
    legal_basis: Literal["consent", "contract", "legal_obligation", "legitimate_interests"] | None = Field(
        default=None, description="GDPR Art. 6 basis for processing personal data; required when `may_contain` is true."
    )
    log_raw_text: bool = Field(default=False, description="Whether the service may log raw input texts.")
    regions: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=lambda: ["US"],
        description=(
            "Regions (ISO 3166 alpha-2, e.g. US, GB, DE) whose national phone formats the data scan "
            "reads, such as 020 7946 0958 for GB; numbers written with +<country code> are found "
            "whatever the regions."
        ),
    )


class DataSpec(SpecModel):
    """A labelled text dataset with train, validation, test and golden splits."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["DataSpec"] = Field(description="Which spec this file is.")
    name: Name
    description: str = Field(description="What the data is and where it comes from.")
    owner: str = Field(min_length=1, description="Team or person accountable for the data (e.g. @org/team).")
    license: SpdxId
    source: Source = Field(description="Where the split files are; `type` picks the kind.")
    format: Literal["jsonl", "csv", "parquet"] = Field(description="File format of every split.")
    splits: Splits
    columns: Columns
    labels: UniqueStrList = Field(min_length=2, description="Every label value, in the order the model numbers them.")
    pii: Pii

    def _unknown_regions(self) -> Iterator[Finding]:
        """Regions phonenumbers has no formats for; checked where the gate's extra is installed
        (the gate loads the specs too), skipped by a bare `validate`."""
        try:
            import phonenumbers
        except ImportError:
            return
        for i, region in enumerate(self.pii.regions):
            if region not in phonenumbers.SUPPORTED_REGIONS:
                yield ("pii", "regions", i), f"{region!r} is not a region phonenumbers knows (e.g. US, GB, DE)"

    def text_columns(self) -> list[str]:
        """Columns that must hold non-empty text."""
        return [self.columns.text]

    def value_columns(self) -> list[str]:
        """Columns that must hold a plain value: the id and the slices."""
        return [c for c in (self.columns.id, *self.columns.slices) if c]

    def label_column(self) -> str:
        """The column whose values must be in `labels`."""
        return self.columns.label

    def findings(self) -> Iterator[Finding]:
        if self.pii.may_contain and self.pii.legal_basis is None:
            yield ("pii", "legal_basis"), "texts may contain personal data: declare `legal_basis`"
        yield from self._unknown_regions()
        if self.columns.text == self.columns.label:
            yield ("columns", "label"), "the label column must differ from the text column"
        for i, column in enumerate(self.columns.slices):
            if column in (self.columns.text, self.columns.label):
                yield ("columns", "slices", i), f"slice column {column!r} is the text or label column"
