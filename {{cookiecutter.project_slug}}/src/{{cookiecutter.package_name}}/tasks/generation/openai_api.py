"""The OpenAI wire format the service speaks: requests, responses, stream chunks and errors.

Requests are validated by pydantic models that accept the fields of OpenAI's chat completions
and (legacy) completions APIs that this service honours; any other field is refused with 400,
so a client never believes a setting took effect when it did not (``tools``, ``logprobs``,
``n`` > 1, ...). Responses, chunks and errors are plain dicts of OpenAI's shapes: ``id``,
``object``, ``created``, ``model``, ``system_fingerprint`` (the run id), ``choices`` (one, with
``finish_reason`` ``stop`` or ``length``) and ``usage``. A stream is server-sent events: one
``data: {chunk}`` event per piece of text, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: the request fields shared by both endpoints, with OpenAI's ranges
Temperature = Annotated[float, Field(ge=0, le=2, description="0 is greedy; omitted: the model's generation config.")]
TopP = Annotated[float, Field(gt=0, le=1, description="Nucleus sampling mass; omitted: the model's config.")]


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_usage: bool = False


class _Request(BaseModel):
    # hide_input_in_errors: a refused prompt must not be copied into an error or the server log
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    model: str = Field(min_length=1, max_length=256, description="The served model's name (GET /v1/models).")
    max_tokens: int | None = Field(default=None, ge=1, description="Most tokens to generate.")
    temperature: Temperature | None = None
    top_p: TopP | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="Seed of sampled decoding.")
    n: Literal[1] = Field(default=1, description="Choices per request: this service answers one.")
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(default=None, max_length=256, description="End-user id (accepted, not logged).")


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = Field(default=None, max_length=64)

    def text(self) -> str:
        """The content as one string (text parts joined)."""
        return self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)


class ChatRequest(_Request):
    """``POST /v1/chat/completions``."""

    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1, description="OpenAI's newer name of max_tokens.")

    def requested_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


class CompletionRequest(_Request):
    """``POST /v1/completions``: the prompt is given to the model as it is, without the chat template."""

    prompt: str = Field(min_length=1)

    def requested_tokens(self) -> int | None:
        return self.max_tokens


class ApiError(Exception):
    """A request the service answers with an OpenAI error body and ``status``."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, param=self.param, code=self.code)


def error_type(status: int) -> str:
    """OpenAI's error ``type`` for an HTTP status."""
    if status == 404:
        return "not_found_error"
    if status == 503:
        return "service_unavailable_error"
    return "invalid_request_error" if status < 500 else "server_error"


def error_body(status: int, message: str, *, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}`` as OpenAI answers a failed request."""
    return {"error": {"message": message, "type": error_type(status), "param": param, "code": code}}


def parse(model: type[_Request], raw: bytes | Any) -> Any:
    """The validated request (from JSON bytes, or an object), or an ``ApiError`` 400 naming the first
    wrong field (never its value)."""
    try:
        body = json.loads(raw) if isinstance(raw, bytes) else raw
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiError(400, f"the body is not valid JSON: {err}", code="invalid_json") from None
    try:
        return model.model_validate(body)
    except ValidationError as err:
        problems = err.errors(include_input=False, include_url=False)
        first = problems[0]
        where = ".".join(map(str, first["loc"]))
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        message = f"{where or 'body'}: {first['msg']}{more}"
        code = "unsupported_parameter" if first["type"] == "extra_forbidden" else "invalid_value"
        raise ApiError(400, message, param=where or None, code=code) from None


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def response(
    kind: str, ident: str, created: int, model: str, fingerprint: str, text: str, finish: str, counts: dict[str, int]
) -> dict[str, Any]:
    """The whole answer of a request that did not stream."""
    if kind == "chat":
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None}
        obj = "chat.completion"
    else:
        choice, obj = {"index": 0, "text": text, "logprobs": None}, "text_completion"
    return {
        "id": ident,
        "object": obj,
        "created": created,
        "model": model,
        "system_fingerprint": fingerprint,
        "choices": [{**choice, "finish_reason": finish}],
        "usage": counts,
    }


def chunk(
    kind: str,
    ident: str,
    created: int,
    model: str,
    fingerprint: str,
    *,
    text: str | None = None,
    role: bool = False,
    finish: str | None = None,
    counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    """One stream event: a piece of text, the opening role, the finish reason, or (``counts``) the usage."""
    if counts is not None:
        choices: list[dict[str, Any]] = []
    elif kind == "chat":
        delta: dict[str, str] = {"role": "assistant", "content": ""} if role else {}
        if text is not None:
            delta["content"] = text
        choices = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    else:
        choices = [{"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}]
    out: dict[str, Any] = {
        "id": ident,
        "object": "chat.completion.chunk" if kind == "chat" else "text_completion",
        "created": created,
        "model": model,
        "system_fingerprint": fingerprint,
        "choices": choices,
    }
    if kind == "chat" or counts is not None:
        out["usage"] = counts
    return out


def event(data: dict[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <json>`` (or ``data: [DONE]``) and a blank line."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"data: {payload}\n\n".encode()


DONE = event("[DONE]")
