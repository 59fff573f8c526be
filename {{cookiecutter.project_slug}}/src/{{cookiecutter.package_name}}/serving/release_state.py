"""The release an environment runs, and the one it should run next (stable, plus a canary).

A ``Release`` names one build: its run, bento, model, container image and lineage. ``plan``
decides what the desired state holds: with a ``canary_weight`` the new release runs beside the
current stable one, which keeps serving the rest of the traffic, until ``--promote`` (or a
release whose canary is already stable) makes it the only one. Rendering the same release again
gives the same plan, so the output is stable.
"""

from __future__ import annotations

from dataclasses import dataclass

#: annotation (kubernetes) / label (bentocloud) keys that carry a release's identity
KEYS = {
    "run_id": "run-id",
    "bento": "bento",
    "model": "model",
    "git_commit": "git-commit",
    "gate_policy": "gate-policy-sha256",
}
PREFIX = "gated-ml/"


@dataclass(frozen=True)
class Release:
    """One build of one run; ``run_id`` is its identity."""

    run_id: str
    bento: str
    image: str = ""
    model: str = ""
    git_commit: str = ""
    gate_policy: str = ""
    engine: str = "transformers"  # what generates in the service: transformers, or vllm (text generation)

    def annotations(self) -> dict[str, str]:
        return {**{PREFIX + key: getattr(self, field) for field, key in KEYS.items()}, PREFIX + "engine": self.engine}

    @classmethod
    def from_annotations(cls, annotations: object, image: str = "") -> Release | None:
        """The release recorded on a rendered object; ``None`` when it records none."""
        if not isinstance(annotations, dict):
            return None
        values = {field: annotations.get(PREFIX + key) for field, key in KEYS.items()}
        if not all(isinstance(v, str) and v for v in values.values()):
            return None
        engine = annotations.get(PREFIX + "engine")  # absent from releases rendered before engines were recorded
        return cls(image=image, engine=engine if isinstance(engine, str) and engine else "transformers", **values)


@dataclass(frozen=True)
class Plan:
    stable: Release
    canary: Release | None = None
    weight: int = 0  # percent of traffic for the canary


def plan(new: Release, current: Plan | None, canary_weight: int | None, promote: bool) -> Plan:
    """Stable and canary releases of the next desired state."""
    if canary_weight and not promote and current is not None and current.stable.run_id != new.run_id:
        return Plan(stable=current.stable, canary=new, weight=canary_weight)
    return Plan(stable=new)
