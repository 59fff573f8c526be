"""What the text-generation service needs at run time, taken from the specs and one run.

``GenerationConfig`` travels as BentoML *arguments*, like the classifier's ``ServiceConfig``:
``build`` records it in the bento and ``serve`` passes it with ``--arg-file``. This module
imports only pydantic (and the shared ``serving.config``), because the bento ships it next to the
service.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...serving.config import Image

#: the most characters one prompt token can stand for, in the body-size bound (a BPE token of a long word)
CHARS_PER_TOKEN = 64
#: the most bytes a JSON encoder spends on one character (a non-BMP character as a surrogate-pair escape)
JSON_BYTES_PER_CHAR = 12
#: the JSON around one chat message (``{"role": "user", "content": ""}`` with spacing)
JSON_BYTES_PER_MESSAGE = 64
#: the request's other fields (model, sampling, stream options) with room for whitespace
JSON_ENVELOPE_BYTES = 4096


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenerationLimits(_Frozen):
    """Input limits: a request beyond them is answered 400 with an OpenAI-style error."""

    max_prompt_tokens: int = Field(ge=1, description="Most tokens of the prompt after the chat template.")
    max_tokens: int = Field(ge=1, description="Most tokens one request may ask for (max_tokens).")
    default_max_tokens: int = Field(ge=1, description="Tokens generated when a request sets no max_tokens.")


class GenerationConfig(_Frozen):
    """Everything the generation service reads; one value per field of the specs it honours."""

    name: str = Field(description="Service and bento name.")
    model: str = Field(description="Model tag in the BentoML model store, name:run-id.")
    served_model: str = Field(description="The model name clients send and responses carry (the model spec's name).")
    run_id: str
    engine: Literal["transformers", "vllm"] = Field(description="What generates: transformers (CPU/GPU) or vLLM.")
    resources: dict[str, str | int] = Field(description="@bentoml.service resources (no gpu key on CPU).")
    traffic: dict[str, float | int] = Field(description="@bentoml.service traffic: timeout and concurrency.")
    limits: GenerationLimits
    system_prompt: str | None = Field(description="Prepended to a chat that has no system message.")
    prompt_version: str = Field(description="specs/prompts.yaml version, logged with every response.")
    pii_regions: tuple[str, ...] = Field(description="Regions whose national phone numbers the watcher reads.")
    refusal_markers: tuple[str, ...] = Field(description="Phrases that mark a reply as a refusal (the watcher).")
    log_predictions: bool
    log_raw_text: bool = Field(description="Log raw prompts and outputs; false writes a hash and lengths instead.")
    monitoring_dir: str = Field(
        default="monitoring/predictions", description="fsspec URL or directory the prediction log parts go to."
    )
    log_flush_s: float = Field(default=10.0, gt=0, description="Most seconds a logged response waits to be written.")
    image: Image | None = Field(default=None, description="Set by `build`; serving from source needs none.")

    def arguments(self) -> dict[str, Any]:
        """The plain JSON form BentoML stores as bento arguments."""
        return self.model_dump(mode="json")


def body_limit(limits: GenerationLimits) -> int:
    """The largest request body a valid request can need, in bytes.

    ``max_prompt_tokens x (64 x 12 + 64) + 4096``: every prompt token at most 64 characters, each
    in its longest JSON form, and as many messages as tokens (the chat template gives every
    message at least one), plus the other fields. 512 prompt tokens give 430,080 bytes.
    """
    per_token = CHARS_PER_TOKEN * JSON_BYTES_PER_CHAR + JSON_BYTES_PER_MESSAGE
    return limits.max_prompt_tokens * per_token + JSON_ENVELOPE_BYTES
