"""What generates the text: transformers on CPU (or one GPU), or vLLM on GPUs.

The deployment spec's ``engine`` chooses. Both take the prompt as token ids (the service
tokenizes it with the run's tokenizer and chat template, and enforces the limits) and give an
async stream of ``Piece``: pieces of text as they are decoded, then one last piece with the
finish reason (``stop`` at the end-of-sequence token, ``length`` at ``max_tokens``) and the
number of tokens generated.

- ``TransformersEngine``: ``model.generate`` in one worker thread with transformers'
  ``AsyncTextIteratorStreamer``; requests generate one at a time, in turn (a CPU has no spare
  cores to share), and a request whose client went away stops at its next token.
- ``VllmEngine``: vLLM's ``AsyncLLMEngine`` (continuous batching, paged attention), with tensor
  parallelism over the replica's GPUs. vLLM is imported only when this engine is chosen; a
  replica without it fails to start with a message saying how to install it.

Sampling left unset by the request follows the model's ``generation_config.json``, as vLLM's
own server does: greedy unless the model says to sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

#: vLLM release the bento installs for ``engine: vllm`` (it brings its own torch and transformers)
VLLM_REQUIREMENT = "vllm==0.34.0"


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here (vLLM is not installed)."""


@dataclass(frozen=True)
class Sampling:
    """How to decode one request; ``temperature`` 0 is greedy."""

    max_tokens: int
    temperature: float
    top_p: float
    seed: int | None = None


@dataclass(frozen=True)
class Piece:
    """Generated text; the last piece of a stream carries the finish reason and the token count."""

    text: str
    finish_reason: str | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class Defaults:
    """The model's own sampling defaults (``generation_config.json``)."""

    temperature: float
    top_p: float


def model_defaults(generation_config: Any) -> Defaults:
    """Greedy unless the model's generation config samples; then its temperature and top_p."""
    if not getattr(generation_config, "do_sample", False):
        return Defaults(temperature=0.0, top_p=1.0)
    return Defaults(
        temperature=float(generation_config.temperature or 1.0), top_p=float(generation_config.top_p or 1.0)
    )


class TransformersEngine:
    """``AutoModelForCausalLM.generate`` on this machine's GPU if it has one, else its CPU."""

    def __init__(self, path: str, tokenizer: Any) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = "auto" if self.device == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(self.device).eval()
        self.tokenizer = tokenizer
        self.defaults = model_defaults(self.model.generation_config)
        self.context = int(getattr(self.model.config, "max_position_embeddings", 0) or 0) or None
        eos = self.model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")  # one at a time, in turn

    async def stream(self, prompt_ids: list[int], sampling: Sampling) -> AsyncIterator[Piece]:
        from transformers import AsyncTextIteratorStreamer

        streamer = AsyncTextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()
        loop = asyncio.get_running_loop()
        done = loop.run_in_executor(self._worker, self._generate, prompt_ids, sampling, streamer, stop)
        try:
            async for text in streamer:
                if text:
                    yield Piece(text)
        finally:
            stop.set()  # the client went away (the stream is closed early): stop at the next token
            generated: list[int] = await done  # raises what generate raised
        finish = "stop" if generated and generated[-1] in self.eos_ids else "length"
        yield Piece("", finish_reason=finish, completion_tokens=len(generated))

    def _generate(self, prompt_ids: list[int], sampling: Sampling, streamer: Any, stop: threading.Event) -> list[int]:
        """The generated token ids; the streamer ends whatever happens, so the stream never waits forever."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        class Stopped(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

        sampled = sampling.temperature > 0
        options: dict[str, Any] = {"do_sample": sampled}
        if sampled:
            options.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        try:
            with torch.inference_mode():
                if sampling.seed is not None:
                    torch.manual_seed(sampling.seed)
                ids = torch.tensor([prompt_ids], device=self.device)
                out = self.model.generate(
                    input_ids=ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=sampling.max_tokens,
                    streamer=streamer,
                    stopping_criteria=StoppingCriteriaList([Stopped()]),
                    pad_token_id=self.tokenizer.pad_token_id
                    if self.tokenizer.pad_token_id is not None
                    else next(iter(self.eos_ids), 0),
                    **options,
                )
            return out[0, len(prompt_ids) :].tolist()
        except BaseException:
            with contextlib.suppress(Exception):
                streamer.end()
            raise


class VllmEngine:
    """vLLM's ``AsyncLLMEngine`` over the replica's GPUs (tensor parallel when there are several)."""

    def __init__(self, path: str, gpus: int, max_model_len: int) -> None:
        try:
            from vllm import AsyncEngineArgs, AsyncLLMEngine
        except ImportError:
            raise EngineUnavailable(
                "specs/deployment.yaml chooses `engine: vllm`, but vLLM is not installed in this environment: "
                f"install it on a machine with a supported GPU (pip install '{VLLM_REQUIREMENT}'; the bento's image "
                "installs it), or serve with `engine: transformers`"
            ) from None
        from transformers import GenerationConfig

        args = AsyncEngineArgs(
            model=path, tokenizer=path, tensor_parallel_size=max(gpus, 1), max_model_len=max_model_len, seed=0
        )
        self.engine = AsyncLLMEngine.from_engine_args(args)
        self.defaults = model_defaults(GenerationConfig.from_pretrained(path))
        self.context = max_model_len

    async def stream(self, prompt_ids: list[int], sampling: Sampling) -> AsyncIterator[Piece]:
        from vllm import SamplingParams

        params = SamplingParams(
            max_tokens=sampling.max_tokens, temperature=sampling.temperature, top_p=sampling.top_p, seed=sampling.seed
        )
        sent = 0
        # closing this generator early (a client that went away) makes vLLM abort the request
        async for output in self.engine.generate({"prompt_token_ids": prompt_ids}, params, uuid.uuid4().hex):
            done = output.outputs[0]
            if len(done.text) > sent:
                yield Piece(done.text[sent:])
                sent = len(done.text)
            if output.finished:
                yield Piece("", finish_reason=done.finish_reason or "stop", completion_tokens=len(done.token_ids))
