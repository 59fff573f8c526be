"""The policy input document (``facts.json``): everything a rule may read, in one JSON object.

``gate`` builds it, checks it against ``PolicyInput`` and saves it with the gate's reports, so a
decision can be replayed from the file alone. Its JSON Schema is ``schemas/facts.schema.json``.
A value that could not be known is ``null`` or absent, and ``unavailable`` says why (rules fail
closed on it unless they say otherwise).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...specs.common import API_VERSION


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunFacts(Section):
    """The run being judged (from its ``run.json``)."""

    id: str = Field(description="Run id (the folder name under artifacts/).")
    created: str | None = Field(default=None, description="When training finished (ISO 8601, UTC).")
    profile: str | None = Field(default=None, description="Training profile used, e.g. smoke; null for the full run.")
    commit: str | None = Field(default=None, description="Git commit the run was trained from.")
    dirty: bool | None = Field(default=None, description="Whether that tree had uncommitted changes.")


class Baseline(Section):
    """The production model's metrics the run is compared with."""

    source: str = Field(description="Where they were read: a file path, or `<ref>:<path>` for a git revision.")
    run_id: str | None = Field(default=None, description="Run id of the production model.")
    metrics: dict[str, Any] = Field(description="Its metrics.json.")


class Delta(Section):
    """One metric of the run against production."""

    current: float = Field(description="The run's value.")
    baseline: float = Field(description="Production's value.")
    delta: float = Field(description="current - baseline.")
    regression: float = Field(
        description="How much worse the run is (positive: worse), whatever the metric's direction."
    )


class Deltas(Section):
    """The run's metrics minus production's."""

    primary_metric: str = Field(description="The evaluation spec's primary metric.")
    primary: Delta | None = Field(description="The primary metric's delta.")
    metrics: dict[str, Delta] = Field(description="Every test metric both have, plus golden pass rate and worst gaps.")


class Listed(Section):
    """A count, and the first rows it concerns."""

    count: int = Field(description="How many rows.")
    rows: list[str] = Field(description="Row references, `split:id`.")


class PiiFinding(Section):
    row: str = Field(description="Row reference, `split:id`.")
    kind: Literal["email", "phone", "card_number", "iban", "ip_address", "ssn", "secret"] = Field(
        description="What was found (`email` includes obfuscated addresses such as `jane dot doe at example dot com`)."
    )
    redacted: str = Field(description="A redacted excerpt, never the value itself.")


class Pii(Section):
    """Personal data and secrets found in the texts, and what the data spec declares."""

    may_contain: bool = Field(description="specs/data.yaml pii.may_contain.")
    legal_basis: str | None = Field(description="specs/data.yaml pii.legal_basis.")
    regions: list[str] = Field(default_factory=list, description="specs/data.yaml pii.regions (phone formats read).")
    total: int = Field(description="Findings in all splits.")
    counts: dict[str, int] = Field(description="Findings by kind.")
    rows: int = Field(description="Rows with at least one finding.")
    findings: list[PiiFinding] = Field(description="The first findings.")


class DuplicateGroups(Section):
    count: int = Field(description="Groups of rows whose folded texts are equal.")
    groups: list[list[str]] = Field(description="The first groups, as row references.")


class NearPair(Section):
    rows: list[str] = Field(min_length=2, max_length=2, description="A train row and an evaluation row.")
    similarity: float = Field(description="Word-shingle Jaccard similarity.")


class NearDuplicates(Section):
    threshold: float = Field(description="Similarity from which two texts count as near duplicates.")
    shingle_words: int = Field(description="Words per shingle.")
    count: int = Field(description="Pairs found.")
    pairs: list[NearPair] = Field(description="The first pairs, most similar first.")


class Duplicates(Section):
    """Exact (normalised text) duplicates within a split and across splits; near duplicates across splits."""

    exact_within: DuplicateGroups
    exact_across: DuplicateGroups = Field(
        description=(
            "The same text in two splits, compared folded (NFKC, invisible characters removed, look-alike "
            "letters mapped to Latin, case, punctuation and spacing ignored), or a train text and an evaluation "
            "text that differ by one word added at the start or end: a leak between them."
        )
    )
    near_across: NearDuplicates


class Balance(Section):
    min_share: float = Field(description="Share of the rarest label.")
    max_share: float = Field(description="Share of the commonest label.")
    ratio: float | None = Field(description="Largest over smallest label share; null when a label is absent.")


class Labels(Section):
    counts: dict[str, dict[str, int]] = Field(description="Rows per label, per split.")
    balance: dict[str, Balance] = Field(description="Label shares per split.")
    unknown: Listed = Field(description="Rows whose label is not in the label set.")


class TooLong(Listed):
    limit: int = Field(description="The service's max_text_chars (specs/deployment.yaml).")


class Texts(Section):
    empty: Listed
    too_long: TooLong
    chars: dict[str, dict[str, float]] = Field(description="min, mean, max text length per split.")


class DataFacts(Section):
    """What a scan of every split found; `scanned` is false for remote sources."""

    scanned: bool = Field(description="Whether the splits were read (local sources only).")
    source: str = Field(description="The data spec's source type.")
    rows: dict[str, int] | None = Field(default=None, description="Rows per split.")
    pii: Pii | None = Field(default=None, description="Personal data and secrets found.")
    duplicates: Duplicates | None = Field(default=None, description="Duplicates within and across splits.")
    labels: Labels | None = Field(default=None, description="Label counts, balance and unknown labels.")
    texts: Texts | None = Field(default=None, description="Empty and over-long texts, lengths.")


class CardFacts(Section):
    """Whether the model card can be written in full."""

    complete: bool = Field(description="True when nothing is missing.")
    missing: list[str] = Field(description="What is missing, each naming the file to edit.")
    sections: dict[str, bool] = Field(description="Each section of the card, and whether it can be written.")


class HashCheck(Section):
    trained: str | None = Field(description="sha256 recorded in run.json when the model was trained.")
    current: str | None = Field(description="sha256 now.")
    match: bool = Field(description="Whether the two hashes are equal.")


class Lineage(Section):
    """Whether the run was trained from the specs and data as they are now."""

    run_id: str = Field(description="The run judged.")
    metrics_run_id: str | None = Field(description="run_id inside metrics.json; must equal run_id.")
    specs: dict[str, HashCheck] = Field(description="Per spec file stem.")
    data: dict[str, HashCheck] = Field(description="Per data split.")
    mismatches: list[str] = Field(description="Each difference, as a sentence; empty when the lineage holds.")


class GitFacts(Section):
    repository: bool = Field(description="Whether the project is inside a git repository.")
    commit: str | None = Field(default=None, description="The checked-out commit.")
    branch: str | None = Field(default=None, description="The checked-out branch; null when detached.")
    dirty: bool | None = Field(default=None, description="Whether the project has uncommitted changes.")
    changed: list[str] = Field(default_factory=list, description="Changed or untracked files (first 50).")


class LicenseCheck(Section):
    id: str | None = Field(description="SPDX id, or null when undeclared.")
    allowed: bool = Field(description="Whether it is on the allow-list of policies/governance.yaml.")
    declared_in: str = Field(description="Where the license is declared.")


class Licenses(Section):
    allowed: list[str] = Field(description="The allow-list.")
    dataset: LicenseCheck
    base_model: LicenseCheck | None = Field(description="Null for a model trained from scratch here.")


class GpuBudget(Section):
    per_replica: int = Field(description="GPUs per replica (specs/deployment.yaml).")
    max_replicas: dict[str, int] = Field(description="Per environment.")
    requested: int = Field(description="GPUs per replica x max replicas, summed over environments.")
    limit: int = Field(description="policies/governance.yaml gpu_budget.max_gpus.")
    headroom: int = Field(description="limit - requested; negative is over budget.")


class Budget(Section):
    gpus: GpuBudget


class PolicyInput(Section):
    """The policy input document: the specs, metrics, production baseline, data, card, lineage and git facts."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Document format version.")
    kind: Literal["PolicyInput"] = Field(description="Which document this is.")
    stage: Literal["pr", "release", "monitor"] = Field(description="The gate stage being evaluated.")
    now: str = Field(description="The time of the evaluation (ISO 8601, UTC); waivers expire against it.")
    run: RunFacts
    specs: dict[str, dict[str, Any]] = Field(description="Every spec, as validated (defaults filled in).")
    metrics: dict[str, Any] | None = Field(description="The run's metrics.json; null before `evaluate`.")
    baseline: Baseline | None = Field(description="Production's metrics; null when there is no production model yet.")
    deltas: Deltas | None = Field(description="Run minus production; null without a baseline.")
    data: DataFacts | None = Field(default=None, description="Null at the monitor stage.")
    card: CardFacts | None = Field(default=None, description="Null at the monitor stage.")
    lineage: Lineage | None = Field(default=None, description="Null at the monitor stage.")
    git: GitFacts
    licenses: Licenses | None = Field(default=None, description="Null at the monitor stage.")
    budget: Budget | None = Field(default=None, description="Null at the monitor stage.")
    governance: dict[str, Any] = Field(description="policies/governance.yaml, as validated.")
    drift: dict[str, Any] | None = Field(
        default=None, description="Monitor stage: drift.json of the judged window (schemas/drift.schema.json)."
    )
    unavailable: dict[str, str] = Field(description="Dotted path -> why that part of the document is missing.")
