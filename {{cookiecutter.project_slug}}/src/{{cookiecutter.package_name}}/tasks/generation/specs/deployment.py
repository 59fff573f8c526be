"""The deployment spec of a generation project: the shared one, with the engine and generation limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ....specs.common import Finding, SpecModel
from ....specs.deployment import DeploymentSpec, Service


class GenerationLimits(SpecModel):
    """Token limits of one request; a request beyond them is answered 4xx with a message."""

    max_prompt_tokens: int = Field(
        ge=1, le=1_048_576, description="Longest accepted prompt, in tokens (chat template applied)."
    )
    max_tokens: int = Field(ge=1, le=1_048_576, description="Largest `max_tokens` a request may ask for.")
    default_max_tokens: int = Field(
        ge=1, le=1_048_576, description="Tokens generated when a request sets no `max_tokens`."
    )


class GenerationService(Service):
    """The BentoML service with an OpenAI-compatible API."""

    engine: Literal["transformers", "vllm"] = Field(
        default="transformers", description="transformers (CPU or GPU) or vllm (GPU only)."
    )
    generation: GenerationLimits


class GenerationDeploymentSpec(DeploymentSpec):
    """How the generator is served, and the environments it is deployed to."""

    service: GenerationService

    def findings(self) -> Iterator[Finding]:
        yield from super().findings()
        service = self.service
        if service.engine == "vllm" and service.resources.gpu == 0:
            yield ("service", "engine"), "vllm needs a GPU: set resources.gpu, or use the transformers engine"
        limits = service.generation
        if limits.default_max_tokens > limits.max_tokens:
            yield ("service", "generation", "default_max_tokens"), "must not exceed max_tokens"
