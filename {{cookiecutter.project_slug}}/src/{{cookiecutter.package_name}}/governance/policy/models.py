"""Typed models of the files in ``policies/``: rule sets, waivers and the governance settings.

They are loaded like specs (safe YAML with positions, ``extra="forbid"``), so a bad policy file
gets the same ``path:line:col: field: message`` errors as a bad spec.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import AfterValidator, Field, StringConstraints, field_validator

from ...specs.common import API_VERSION, Finding, SpdxId, SpecModel

Stage = Literal["pr", "release", "monitor"]
STAGES: tuple[Stage, ...] = ("pr", "release", "monitor")
#: the pseudo-rule under which a bad waiver is reported
WAIVER_RULE_ID = "WAIVER-001"

RuleId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}-[0-9]{3}$"),
    Field(description="Upper-case prefix, '-', three digits, e.g. QUAL-001. Never reuse an id for another rule."),
]
DottedPath = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][\w-]*(\.[\w-]+)*$"),
    Field(description="A dotted path into the policy input document, e.g. metrics.test.macro_f1 (list items: .0)."),
]
Handle = Annotated[
    str,
    StringConstraints(pattern=r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(/[A-Za-z0-9._-]+)?$"),
    Field(description="A GitHub user (@name) or team (@org/team)."),
]


def _json_schema(schema: dict[str, Any] | bool) -> dict[str, Any] | bool:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        where = ".".join(str(p) for p in err.absolute_path)
        raise ValueError(f"not a valid JSON Schema{f' at {where}' if where else ''}: {err.message}") from None
    return schema


JsonSchema = Annotated[dict[str, Any] | bool, AfterValidator(_json_schema)]


class SpecPointer(SpecModel):
    """The spec field a rule is about: reports (SARIF, the PR diff) point at its line."""

    file: str = Field(pattern=r"^specs/[a-z_]+\.yaml$", description="Spec file, e.g. specs/evaluation.yaml.")
    field: DottedPath = Field(description="Dotted path of the field in that file, e.g. pii.legal_basis.")


class Rule(SpecModel):
    """One check: the value at `where` in the policy input document must match the JSON Schema `must`."""

    id: RuleId
    title: str = Field(min_length=3, max_length=120, description="What must hold, as a sentence.")
    severity: Literal["error", "warning"] = Field(description="error blocks the gate; warning is reported only.")
    stages: list[Stage] = Field(
        min_length=1, description="Gate stages the rule runs at: pr, release, monitor (drift of the served model)."
    )
    where: DottedPath
    must: JsonSchema = Field(
        description="JSON Schema (Draft 2020-12) the value must match, e.g. {minimum: 0.85}; false: it must be absent."
    )
    missing: Literal["fail", "pass", "skip"] = Field(
        default="fail",
        description="When `where` is absent: fail (default: fail closed), pass, or skip (reported as skipped).",
    )
    message: str | None = Field(
        default=None,
        description="Failure message; {value} is the value at `where`, {must.minimum} a value of `must`, "
        "{a.b} any value of the input document.",
    )
    evidence: DottedPath | None = Field(
        default=None, description="Path of a list shown with a failure (first items), e.g. data.pii.findings."
    )
    help: str = Field(min_length=10, description="Why the rule exists and how to fix a failure.")
    url: str | None = Field(default=None, pattern=r"^https://\S+$", description="A page that explains the rule.")
    spec: SpecPointer | None = Field(default=None, description="The spec field this rule is about.")

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, stages: list[str]) -> list[str]:
        if len(set(stages)) != len(stages):
            raise ValueError("each stage may appear once")
        return stages


class PolicySet(SpecModel):
    """A file of rules. Every `*.yaml` in `policies/` of kind PolicySet is applied by the gate."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Policy format version.")
    kind: Literal["PolicySet"] = Field(description="Which policy file this is: a file of rules.")
    name: str = Field(min_length=1, description="Name of the pack, shown in reports.")
    description: str = Field(default="", description="What the pack is for.")
    rules: list[Rule] = Field(description="The rules; ids are unique across every policy file.")

    def findings(self) -> Iterator[Finding]:
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                yield ("rules", i, "id"), f"rule id {rule.id!r} is already used by rules[{seen[rule.id]}]"
            seen.setdefault(rule.id, i)


class Waiver(SpecModel):
    """A recorded, time-limited exception to one rule, approved by someone on the approver list."""

    rule: RuleId = Field(description="Id of the rule whose failure is accepted.")
    target: DottedPath | None = Field(
        default=None,
        description="Only failures at or below this path are waived (e.g. metrics.test.per_class.returns); "
        "omit to waive the whole rule.",
    )
    reason: str = Field(min_length=10, description="Why the failure is acceptable for now, and what fixes it.")
    approver: Handle = Field(
        description="Who signed it off; must be in `approvers` of policies/governance.yaml. In a pull request "
        "the waiver applies only once an approver of the base branch approves the pull request."
    )
    expires: dt.date = Field(description="Last day the waiver applies (YYYY-MM-DD); at most `max_days` ahead.")


class Waivers(SpecModel):
    """The project's waivers (``policies/waivers.yaml``)."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Policy format version.")
    kind: Literal["Waivers"] = Field(description="Which policy file this is: the waivers file.")
    waivers: list[Waiver] = Field(default_factory=list, description="Each accepted failure; empty when none.")


class WaiverLimits(SpecModel):
    """How long a waiver may last."""

    max_days: int = Field(default=90, ge=1, le=365, description="Longest a waiver may run, counted from today.")


class Licenses(SpecModel):
    """Licenses accepted for base models and datasets."""

    allowed: list[SpdxId] = Field(min_length=1, description="SPDX ids (or LicenseRef-*) on the allow-list.")


class GpuBudget(SpecModel):
    """The most GPUs the deployment may hold at once."""

    max_gpus: int = Field(ge=0, le=100_000, description="GPUs per replica x max replicas, summed over environments.")


class Governance(SpecModel):
    """Who may approve exceptions, and the limits every change is held to (``policies/governance.yaml``)."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Policy format version.")
    kind: Literal["Governance"] = Field(description="Which policy file this is: the governance file.")
    approvers: list[Handle] = Field(
        min_length=1,
        description="Who may approve waivers and policy changes, by an approving review of the pull request: "
        "GitHub users (@login). A team is accepted but approves nothing (reviews do not show team membership).",
    )
    waivers: WaiverLimits = Field(default_factory=WaiverLimits)
    licenses: Licenses
    gpu_budget: GpuBudget

    def findings(self) -> Iterator[Finding]:
        for field, values in (("approvers", [a.lower() for a in self.approvers]), ("licenses", self.licenses.allowed)):
            seen: set[str] = set()
            for i, value in enumerate(values):
                if value in seen:
                    loc = ("approvers", i) if field == "approvers" else ("licenses", "allowed", i)
                    yield loc, f"{value!r} is listed twice"
                seen.add(value)


#: kind -> model of every file in policies/
POLICY_KINDS: dict[str, type[SpecModel]] = {"PolicySet": PolicySet, "Waivers": Waivers, "Governance": Governance}
