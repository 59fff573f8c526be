"""The BentoML service of a text-generation run: an OpenAI-compatible API.

``POST /v1/chat/completions`` and ``POST /v1/completions`` take OpenAI's requests and answer
OpenAI's responses, whole or (``"stream": true``) as server-sent events, so the official
``openai`` client and tools built on it work unchanged (``base_url=http://HOST:PORT/v1``);
``GET /v1/models`` lists the one served model. The API is a Starlette app mounted on the BentoML
service with ``@bentoml.asgi_app``, as BentoML's own vLLM examples mount theirs, so BentoML's
health (``/livez``, ``/readyz``), ``/metrics``, access log, concurrency limit and timeouts apply.

A chat is rendered with the run's chat template, after the prompts spec's system prompt when the
chat has no system message of its own; a completion's prompt goes to the model as it is. The
limits of ``specs/deployment.yaml`` are answered 400 with an OpenAI error (``prompt tokens`` over
``max_prompt_tokens``: code ``context_length_exceeded``; ``max_tokens`` over the limit:
``integer_above_max_value``); an unknown model is 404, a bad body 400, a body larger than the
limits can need 413 and a non-JSON POST 415 (``guard``), a request before the model loaded 503
with ``Retry-After``.

Every response is checked by the watcher (``watcher``: in its own thread, in batches, once the
response is complete, so the checks never delay an answer) and logged as one prediction record
with the prompt version (``predlog``); raw text only when the data spec allows it. ``settle()``
waits until every finished response is checked and logged. ``engine`` chooses what
generates (``engines``): transformers, or vLLM on GPUs.

BentoML imports ``<package>.tasks.generation.service:Generator``, built on first access from the
bento arguments; tests and benchmarks build their own with ``create(config)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import bentoml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ...serving.config import bento_image, configured_service
from ...serving.guard import RequestGuard, quiet_client_errors
from ...serving.predlog import PredictionLog, now
from .engines import Piece, Sampling, TransformersEngine, VllmEngine
from .openai_api import DONE, ApiError, ChatRequest, CompletionRequest, chunk, error_body, event, parse, response, usage
from .serviceconfig import GenerationConfig, body_limit
from .watcher import Watcher

logger = logging.getLogger(__name__)

TASK = "text-generation"
GENERATED_TOKENS = bentoml.metrics.Counter(
    name="generated_tokens", documentation="Tokens generated, by finish reason", labelnames=["finish_reason"]
)
#: the request kinds: (request model, id prefix)
KINDS = {"chat": (ChatRequest, "chatcmpl-"), "completion": (CompletionRequest, "cmpl-")}


@dataclass
class Job:
    """One accepted request: what the model gets, how it decodes, and what is measured for the log."""

    kind: str
    request: ChatRequest | CompletionRequest
    prompt_ids: list[int]
    sampling: Sampling
    input_text: str
    ident: str
    created: int = field(default_factory=lambda: int(time.time()))
    started: float = field(default_factory=time.monotonic)


@dataclass
class Outcome:
    """What a job produced, filled in as it streams."""

    text: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    completion_tokens: int = 0
    first_token_s: float | None = None
    latency_s: float = 0.0
    error: str | None = None


def create(config: GenerationConfig) -> Any:
    """A BentoML service class configured by ``config``."""
    api = Starlette(routes=[
        Route("/chat/completions", _endpoint("chat"), methods=["POST"]),
        Route("/completions", _endpoint("completion"), methods=["POST"]),
        Route("/models", _models, methods=["GET"]),
    ])  # fmt: skip

    @bentoml.asgi_app(api, path="/v1")
    @bentoml.service(
        name=config.name,
        resources=config.resources,
        traffic=config.traffic,
        image=bento_image(config.image),
        labels={"run-id": config.run_id, "model": config.model, "task": TASK, "engine": config.engine},
    )
    class Generator:
        # declared, so that the bento records the model and `containerize` / `push` carry it
        stored_model = bentoml.models.BentoModel(config.model)

        def __init__(self) -> None:
            self.config = config
            self.model_path = self.stored_model.path  # fails fast when the model is not in the store
            self.engine: Any = None
            self.tokenizer: Any = None
            self.watcher = Watcher(config.pii_regions, config.refusal_markers, report=self._record)
            logged = config.log_predictions
            self.log = PredictionLog(config.monitoring_dir, flush_s=config.log_flush_s) if logged else None
            self.load_error: BaseException | None = None
            self._loaded = threading.Event()
            threading.Thread(target=self._load, name="load-model", daemon=True).start()

        def _load(self) -> None:
            try:
                from transformers import AutoTokenizer

                self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
                if not self.tokenizer.chat_template:
                    raise ValueError(f"the tokenizer of {config.model} has no chat template: train the run again")
                if config.engine == "vllm":
                    gpus = int(config.resources.get("gpu", 0))
                    context = config.limits.max_prompt_tokens + config.limits.max_tokens
                    self.engine = VllmEngine(self.model_path, gpus, context)
                else:
                    self.engine = TransformersEngine(self.model_path, self.tokenizer)
                self.watcher.warm()
                self._loaded.set()
                logger.info("model %s loaded (engine %s)", config.model, config.engine)
            except BaseException as err:  # reported through /livez; the orchestrator restarts the replica
                self.load_error = err
                logger.exception("model %s failed to load", config.model)

        def __is_ready__(self) -> bool:
            return self._loaded.is_set()

        def __is_alive__(self) -> bool:
            return self.load_error is None

        def prepare(self, kind: str, body: Any) -> Job:
            """Validate a request (raw bytes or a dict) and render its prompt; ``ApiError`` when refused."""
            if not self._loaded.is_set():
                raise ApiError(503, "the model is still loading; retry when /readyz is 200", code="model_loading")
            model, prefix = KINDS[kind]
            request = parse(model, body)
            if request.model not in (config.served_model, config.model):
                raise ApiError(
                    404, f"the model {request.model!r} is not served here; use {config.served_model!r}",
                    param="model", code="model_not_found",
                )  # fmt: skip
            prompt, shown = self._prompt(request)
            prompt_ids = self.tokenizer(prompt, add_special_tokens=kind == "completion")["input_ids"]
            job = Job(kind, request, prompt_ids, self._sampling(request), shown, ident=prefix + uuid.uuid4().hex)
            self._check_limits(job)
            return job

        def _prompt(self, request: ChatRequest | CompletionRequest) -> tuple[str, str]:
            """(the text the model gets, the client's own text for the log)."""
            if isinstance(request, CompletionRequest):
                return request.prompt, request.prompt
            messages = [{"role": m.role, "content": m.text()} for m in request.messages]
            if config.system_prompt and not any(m["role"] in ("system", "developer") for m in messages):
                messages.insert(0, {"role": "system", "content": config.system_prompt})
            rendered = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            return rendered, "\n".join(m.text() for m in request.messages)

        def _sampling(self, request: ChatRequest | CompletionRequest) -> Sampling:
            defaults = self.engine.defaults
            return Sampling(
                max_tokens=request.requested_tokens() or config.limits.default_max_tokens,
                temperature=defaults.temperature if request.temperature is None else request.temperature,
                top_p=defaults.top_p if request.top_p is None else request.top_p,
                seed=request.seed,
            )

        def _check_limits(self, job: Job) -> None:
            limits, tokens = config.limits, len(job.prompt_ids)
            where = "messages" if job.kind == "chat" else "prompt"
            problem = None
            if tokens > limits.max_prompt_tokens:
                problem = ApiError(
                    400, f"the prompt has {tokens} tokens, more than this service's limit of "
                    f"{limits.max_prompt_tokens} (max_prompt_tokens); shorten it", param=where,
                    code="context_length_exceeded",
                )  # fmt: skip
            elif job.sampling.max_tokens > limits.max_tokens:
                param = "max_completion_tokens" if getattr(job.request, "max_completion_tokens", None) else "max_tokens"
                problem = ApiError(
                    400, f"{param} is {job.sampling.max_tokens}, more than this service's limit of "
                    f"{limits.max_tokens}; ask for at most {limits.max_tokens}", param=param,
                    code="integer_above_max_value",
                )  # fmt: skip
            elif self.engine.context and tokens + job.sampling.max_tokens > self.engine.context:
                problem = ApiError(
                    400, f"the prompt's {tokens} tokens and max_tokens {job.sampling.max_tokens} exceed the "
                    f"model's context of {self.engine.context} tokens; ask for fewer tokens", param="max_tokens",
                    code="context_length_exceeded",
                )  # fmt: skip
            if problem is not None:
                latency = time.monotonic() - job.started
                self.watcher.watch(None, (job, Outcome(latency_s=latency, error=problem.code)))
                raise problem

        async def complete(self, job: Job) -> dict[str, Any]:
            """The whole response to ``job``."""
            outcome = Outcome()
            async for _ in self._run(job, outcome):
                pass
            counts = usage(len(job.prompt_ids), outcome.completion_tokens)
            text = "".join(outcome.text)
            fields = (job.kind, job.ident, job.created, config.served_model, config.run_id)
            return response(*fields, text, outcome.finish_reason, counts)

        async def stream(self, job: Job) -> AsyncIterator[dict[str, Any]]:
            """The stream chunks of ``job``: the opening role (chat), text pieces, the finish, the usage if asked."""
            fields = (job.kind, job.ident, job.created, config.served_model, config.run_id)
            if job.kind == "chat":
                yield chunk(*fields, role=True)
            outcome = Outcome()
            async for piece in self._run(job, outcome):
                if piece.text:
                    yield chunk(*fields, text=piece.text)
            yield chunk(*fields, finish=outcome.finish_reason, text=None if job.kind == "chat" else "")
            options = job.request.stream_options
            if options is not None and options.include_usage:
                yield chunk(*fields, counts=usage(len(job.prompt_ids), outcome.completion_tokens))

        async def _run(self, job: Job, outcome: Outcome) -> AsyncIterator[Piece]:
            """Generate, filling ``outcome``; the watcher and the log see every response, finished or not."""
            try:
                async for piece in self.engine.stream(job.prompt_ids, job.sampling):
                    if piece.text:
                        if outcome.first_token_s is None:
                            outcome.first_token_s = time.monotonic() - job.started
                        outcome.text.append(piece.text)
                    if piece.finish_reason is not None:
                        outcome.finish_reason, outcome.completion_tokens = piece.finish_reason, piece.completion_tokens
                    yield piece
            except BaseException as err:
                gone = isinstance(err, (GeneratorExit, asyncio.CancelledError))
                outcome.error = "client_disconnected" if gone else type(err).__name__
                raise
            finally:
                outcome.latency_s = time.monotonic() - job.started
                self.watcher.watch("".join(outcome.text) or None, (job, outcome))

        def settle(self) -> None:
            """Wait until every finished response has been checked and queued for the log."""
            self.watcher.settle()

        def _record(self, item: tuple[Job, Outcome], watched: dict[str, bool] | None) -> None:
            """Count and log one response with the watcher's flags (contract: one prediction record per response)."""
            job, outcome = item
            text = "".join(outcome.text)
            if outcome.finish_reason:
                GENERATED_TOKENS.labels(finish_reason=outcome.finish_reason).inc(outcome.completion_tokens)
            if self.log is None:
                return
            shown = (
                {"text": job.input_text, "output": text}
                if config.log_raw_text
                else {"input_sha256": hashlib.sha256(job.input_text.encode("utf-8")).hexdigest()[:16]}
            )
            first = outcome.first_token_s
            self.log.write([{
                "ts": now(), "task": TASK, "prompt_version": config.prompt_version, **shown,
                "input_chars": len(job.input_text), "input_tokens": len(job.prompt_ids),
                "output_tokens": outcome.completion_tokens, "output_chars": len(text),
                "latency_ms": round(outcome.latency_s * 1000, 3),
                "ttft_ms": None if first is None else round(first * 1000, 3),
                "finish_reason": outcome.finish_reason, "watcher": watched, "error": outcome.error,
            }])  # fmt: skip

    Generator.add_asgi_middleware(RequestGuard, max_body_bytes=body_limit(config.limits), error_body=error_body)
    quiet_client_errors()
    return Generator


def _endpoint(kind: str):
    """The HTTP handler of one request kind: whole JSON, or server-sent events when ``stream`` is true."""

    async def handle(request: Request) -> Response:
        service = bentoml.get_current_service()
        try:
            job = service.prepare(kind, await request.body())
        except ApiError as err:
            return JSONResponse(err.body(), status_code=err.status)
        if not job.request.stream:
            try:
                return JSONResponse(await service.complete(job))
            except Exception:
                logger.exception("%s %s failed", request.method, request.url.path)
                return JSONResponse(error_body(500, "generation failed; see the server log"), status_code=500)
        return StreamingResponse(
            _events(service.stream(job)),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    return handle


async def _events(chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Server-sent events of ``chunks``, then ``[DONE]``; a failure mid-stream ends it with an error event."""
    try:
        async for item in chunks:
            yield event(item)
    except Exception:
        logger.exception("a stream failed")
        yield event(error_body(500, "generation failed; see the server log"))
        return
    yield DONE


async def _models(_: Request) -> Response:
    config: GenerationConfig = bentoml.get_current_service().config
    card = {"id": config.served_model, "object": "model", "created": 0, "owned_by": config.name}
    return JSONResponse({"object": "list", "data": [card]})


_services: dict[str, Any] = {}


def from_arguments() -> Any:
    """The service configured by the BentoML arguments of this process (built once per configuration)."""
    return configured_service(GenerationConfig, create, _services)


def __getattr__(name: str) -> Any:
    if name == "Generator":
        return from_arguments()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
