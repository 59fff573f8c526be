"""What ``build`` and ``serve`` need of a text-generation run: its service configuration, and what its bento carries.

The configuration comes from the deployment spec (engine, token limits, resources, traffic),
the prompts spec (the system prompt and its version, logged with every response) and the data
spec (the regions whose phone numbers the watcher reads; whether raw text may be logged) and the
evaluation spec (the refusal markers the watcher looks for, as the evaluation does).
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from ...errors import ProjectError
from ...serving.config import Image, service_resources
from .engines import VLLM_REQUIREMENT
from .safety import default_refusal_markers
from .serviceconfig import GenerationConfig

if TYPE_CHECKING:
    from ...specs.project import Project

#: run.json fields the service reads
RUN_FIELDS = ("prompts",)
#: the package files the bento carries beyond the shared serving modules
FILES = (
    "tasks/__init__.py",
    "tasks/generation/__init__.py",
    *(f"tasks/generation/{name}.py" for name in ("service", "serviceconfig", "openai_api", "engines", "watcher")),
    "tasks/generation/safety.py",
    "governance/__init__.py",
    "governance/pii.py",
)
#: what the watcher's checks import (personal data and secrets, profanity)
WATCHER_PACKAGES = ("presidio-analyzer", "phonenumbers", "detect-secrets", "alt-profanity-check", "scikit-learn")
USAGE = (
    'POST /v1/chat/completions /v1/completions (OpenAI API; "stream": true for server-sent events)\n'
    "  GET /v1/models /readyz /livez /metrics"
)


def image_packages(project: Project) -> tuple[str, ...]:
    """The packages the service imports: the engine's (vLLM brings its own torch and transformers) and the watcher's.

    Names are pinned to the versions installed here; a ``name==version`` entry is taken as it is.
    """
    engine = ("torch", "transformers") if project.deployment.service.engine == "transformers" else (VLLM_REQUIREMENT,)
    return (*engine, *WATCHER_PACKAGES)


def check_local(config: GenerationConfig) -> None:
    """Refuse to serve here (exit 2) what cannot run here: ``engine: vllm`` without vLLM installed."""
    if config.engine == "vllm" and importlib.util.find_spec("vllm") is None:
        raise ProjectError(
            "specs/deployment.yaml: service.engine is vllm, but vLLM is not installed here; serve on a machine with "
            f"a supported GPU and `pip install '{VLLM_REQUIREMENT}'`, or set `engine: transformers` to try it out here"
        )


def service_config(
    project: Project, run: dict[str, Any], model_tag: str, *, image: Image | None = None, **overrides: Any
) -> GenerationConfig:
    """The configuration of the service that serves ``run`` (a ``run.json`` document)."""
    service = project.deployment.service
    traffic, prompts, pii = service.traffic, project.specs["prompts"], project.data.pii
    safety = project.evaluation.safety
    values: dict[str, Any] = {
        "name": service.name,
        "model": model_tag,
        "served_model": project.model.name,
        "run_id": run["run_id"],
        "engine": service.engine,
        "resources": service_resources(project),
        "traffic": {
            "timeout": traffic.timeout_s,
            "concurrency": traffic.concurrency,
            "max_concurrency": traffic.max_concurrency,
        },
        "limits": service.generation.model_dump(),
        "system_prompt": prompts.system,
        "prompt_version": prompts.version,
        "pii_regions": tuple(pii.regions),
        "refusal_markers": tuple(safety.refusal_markers if safety else default_refusal_markers()),
        "log_predictions": service.log_predictions,
        # raw text only when the data spec allows it and says the texts hold no personal data
        "log_raw_text": pii.log_raw_text and not pii.may_contain,
        "monitoring_dir": service.prediction_log.url,
        "log_flush_s": service.prediction_log.flush_s,
        "image": image,
    }
    values.update(overrides)
    return GenerationConfig.model_validate(values)
