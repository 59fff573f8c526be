"""The deployment spec (``specs/deployment.yaml``): the service and where each environment runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from .common import API_VERSION, Finding, Name, SpecModel, did_you_mean
from .gpus import GPU_TYPES_BY_TARGET

Quantity = str  # a Kubernetes quantity such as "2", "500m", "8Gi"
QUANTITY_PATTERN = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"


class Resources(SpecModel):
    """What one replica of the service asks for."""

    gpu: int = Field(ge=0, le=16, description="GPUs per replica; 0 serves on CPU.")
    gpu_type: str | None = Field(default=None, description="GPU model; must be one the target knows.")
    cpu: str = Field(pattern=QUANTITY_PATTERN, description='CPU request, e.g. "2" or "500m".')
    memory: str = Field(pattern=QUANTITY_PATTERN, description='Memory request, e.g. "8Gi".')


class Batching(SpecModel):
    """Adaptive batching: requests arriving together run as one forward pass."""

    enabled: bool = Field(default=True, description="Turn adaptive batching on or off.")
    max_batch_size: int = Field(ge=1, le=4096, description="Most texts in one forward pass.")
    max_latency_ms: int = Field(
        ge=100,
        le=600_000,
        description="Longest a request may wait in the batch queue; too small a value answers 503 on a slow CPU.",
    )


class Traffic(SpecModel):
    """Timeouts and concurrency of one replica."""

    timeout_s: float = Field(gt=0, le=3600, description="Request timeout in seconds.")
    concurrency: int = Field(
        ge=1, le=10_000, description="Requests one replica is expected to handle at once (the autoscaling signal)."
    )
    max_concurrency: int = Field(ge=1, le=100_000, description="Requests beyond this are refused with 503.")


class Limits(SpecModel):
    """Input limits; a request beyond them is answered 4xx with a message."""

    max_text_chars: int = Field(ge=1, le=1_000_000, description="Longest accepted text, in characters.")
    max_items: int = Field(ge=1, le=10_000, description="Most texts in one request.")


class PredictionLog(SpecModel):
    """Where the service ships its prediction log, which `drift` reads (specs/monitoring.yaml)."""

    url: str = Field(
        default="monitoring/predictions",
        min_length=1,
        description="fsspec URL of the log parts: an object-store prefix in production (s3://bucket/predictions, "
        "gs://..., az://...; install the matching fsspec package into the image), or a directory relative to the "
        "service's working directory.",
    )
    flush_s: float = Field(default=10.0, gt=0, le=3600, description="Most seconds a prediction waits to be written.")


class Service(SpecModel):
    """The BentoML service that serves the model."""

    name: Name
    model: Name = Field(description="Name of the model spec whose runs this service serves.")
    image: str = Field(
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$", description="Container repository, without tag or digest."
    )
    resources: Resources
    batching: Batching
    traffic: Traffic
    limits: Limits
    log_predictions: bool = Field(
        default=True, description="Write predictions to the monitoring log (raw text only when the data spec allows)."
    )
    prediction_log: PredictionLog = Field(default_factory=PredictionLog)


class Scaling(SpecModel):
    """Replica bounds for autoscaling."""

    min_replicas: int = Field(
        ge=0, le=1000, description="Replicas kept running; 0 scales to zero where the target can."
    )
    max_replicas: int = Field(ge=1, le=1000, description="Most replicas; also bounds the GPU budget.")


class Environment(SpecModel):
    """One place the service runs, e.g. staging or production."""

    name: Name
    scaling: Scaling
    canary_weight: int | None = Field(
        default=None, ge=1, le=99, description="Percent of traffic the new release gets first; omit for a full rollout."
    )
    namespace: Name | None = Field(
        default=None, description="Kubernetes namespace (kubernetes target); defaults to the environment name."
    )


class DeploymentSpec(SpecModel):
    """How the model is served, and the environments it is deployed to."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["DeploymentSpec"] = Field(description="Which spec this file is.")
    target: Literal["kubernetes", "bentocloud"] = Field(description="Where the desired state is applied.")
    service: Service
    environments: list[Environment] = Field(min_length=1, description="Each environment, in promotion order.")

    def findings(self) -> Iterator[Finding]:
        res = self.service.resources
        known = GPU_TYPES_BY_TARGET[self.target]
        if res.gpu_type is not None and res.gpu_type not in known:
            yield (
                ("service", "resources", "gpu_type"),
                (
                    f"{self.target} does not know GPU type {res.gpu_type!r}{did_you_mean(res.gpu_type, known)} "
                    f"(known: {', '.join(known)})"
                ),
            )
        if res.gpu > 0 and res.gpu_type is None:
            yield ("service", "resources", "gpu_type"), "gpu > 0 needs a gpu_type"
        if self.service.traffic.max_concurrency < self.service.traffic.concurrency:
            yield ("service", "traffic", "max_concurrency"), "must be at least `concurrency`"
        seen: dict[str, int] = {}
        for i, env in enumerate(self.environments):
            if env.name in seen:
                yield (
                    ("environments", i, "name"),
                    f"environment {env.name!r} is defined twice (first as item {seen[env.name]})",
                )
            seen.setdefault(env.name, i)
            if env.scaling.min_replicas > env.scaling.max_replicas:
                yield ("environments", i, "scaling", "min_replicas"), "must not exceed max_replicas"
