"""What the service needs at run time, taken from the specs and one run.

``ServiceConfig`` (the classifier's) travels as BentoML *arguments*: ``build`` records it in the bento
(``bento.yaml``, key ``args``) and ``serve`` passes it with ``--arg-file``. This module imports
only pydantic (BentoML inside ``bento_image``), because the bento ships it next to the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from ..specs.project import Project

#: where the prediction log goes by default, relative to the service's working directory
MONITORING_DIR = "monitoring"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Batching(_Frozen):
    enabled: bool
    max_batch_size: int = Field(ge=1)
    max_latency_ms: int = Field(ge=1)


class Limits(_Frozen):
    max_text_chars: int = Field(ge=1)
    max_items: int = Field(ge=1)


class Image(_Frozen):
    """The container image of the bento: the Python version and the pinned packages."""

    python_version: str
    packages: tuple[str, ...]


def bento_image(image: Image | None) -> Any:
    """The ``bentoml.images.Image`` of a bento: Python from ``.python-version``, the packages pinned at build time.

    The base is BentoML's slim Python image; the CUDA runtime comes with PyPI's Linux torch
    wheels, so the image runs on GPU nodes that have the NVIDIA container toolkit. The pins are
    not re-locked at build time (that would resolve against PyPI): the image gets the versions
    that were tested here, their own dependencies resolved when the image is built. ``None``
    (serving from source) needs no image.
    """
    if image is None:
        return None
    import bentoml

    base = bentoml.images.Image(python_version=image.python_version, lock_python_packages=False)
    return base.python_packages(*image.packages)


def configured_service(config_type: type[BaseModel], create: Callable[[Any], Any], built: dict[str, Any]) -> Any:
    """The service ``create`` makes from this process's BentoML arguments, read as ``config_type``.

    One service per configuration: ``built`` (the service module's own dict) keeps those made.
    Arguments that do not validate are BentoML's ``InvalidArgument``, saying how to pass them.
    """
    import json

    import bentoml
    from pydantic import ValidationError

    try:
        config = config_type.model_validate(vars(bentoml.use_arguments()))
    except ValidationError as err:
        raise bentoml.exceptions.InvalidArgument(
            f"the service needs its configuration as BentoML arguments (the `serve` and `build` commands "
            f"pass it; by hand: bentoml serve --arg-file FILE): {err}"
        ) from None
    key = json.dumps(config.arguments(), sort_keys=True)
    if key not in built:
        built[key] = create(config)
    return built[key]


class ServiceConfig(_Frozen):
    """Everything the service reads; one value per field of ``specs/deployment.yaml`` it honours."""

    name: str = Field(description="Service and bento name.")
    model: str = Field(description="Model tag in the BentoML model store, name:run-id.")
    run_id: str
    labels: tuple[str, ...] = Field(min_length=2, description="Label names in the order the model numbers them.")
    max_length: int = Field(ge=1, description="Texts are truncated to this many tokens, as in training.")
    resources: dict[str, str | int] = Field(description="@bentoml.service resources (no gpu key on CPU).")
    traffic: dict[str, float | int] = Field(description="@bentoml.service traffic: timeout and concurrency.")
    batching: Batching
    limits: Limits
    log_predictions: bool
    log_raw_text: bool = Field(description="Log raw texts; false writes a hash and a length instead.")
    monitoring_dir: str = Field(
        default=f"{MONITORING_DIR}/predictions", description="fsspec URL or directory the prediction log parts go to."
    )
    log_flush_s: float = Field(default=10.0, gt=0, description="Most seconds a logged prediction waits to be written.")
    image: Image | None = Field(default=None, description="Set by `build`; serving from source needs none.")

    def arguments(self) -> dict[str, Any]:
        """The plain JSON form BentoML stores as bento arguments."""
        return self.model_dump(mode="json")


def service_resources(project: Project) -> dict[str, str | int]:
    """``resources`` for ``@bentoml.service``: cpu and memory, plus gpu and gpu_type when gpu > 0."""
    res = project.deployment.service.resources
    out: dict[str, str | int] = {"cpu": res.cpu, "memory": res.memory}
    if res.gpu > 0:
        out["gpu"] = res.gpu
        if res.gpu_type:
            out["gpu_type"] = res.gpu_type
    return out


def service_config(
    project: Project, run: dict[str, Any], model_tag: str, *, image: Image | None = None, **overrides: Any
) -> ServiceConfig:
    """The configuration of the service that serves ``run`` (a ``run.json`` document)."""
    service = project.deployment.service
    traffic = service.traffic
    pii = project.data.pii
    values: dict[str, Any] = {
        "name": service.name,
        "model": model_tag,
        "run_id": run["run_id"],
        "labels": tuple(run["labels"]),
        "max_length": project.model.training.max_length,
        "resources": service_resources(project),
        "traffic": {
            "timeout": traffic.timeout_s,
            "concurrency": traffic.concurrency,
            "max_concurrency": traffic.max_concurrency,
        },
        "batching": service.batching.model_dump(),
        "limits": service.limits.model_dump(),
        "log_predictions": service.log_predictions,
        "monitoring_dir": service.prediction_log.url,
        "log_flush_s": service.prediction_log.flush_s,
        # raw texts only when the data spec allows it and says they hold no personal data
        "log_raw_text": pii.log_raw_text and not pii.may_contain,
        "image": image,
    }
    values.update(overrides)
    return ServiceConfig.model_validate(values)
