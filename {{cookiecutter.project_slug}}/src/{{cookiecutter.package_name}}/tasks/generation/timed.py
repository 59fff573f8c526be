"""Generate one chat reply in-process and time it: latency, time to first token, tokens per second.

The time to first token is taken by a streamer that ``generate`` calls once with the prompt and
then with each new token, so it is the moment the first generated token exists, the same moment a
streaming service could send it. Tokens per second is output tokens over the whole latency.
Each call seeds torch first (``seed``), so sampled decoding is repeatable and greedy decoding does
not depend on what ran before.
"""

from __future__ import annotations

import time
from typing import NamedTuple


class Decoding(NamedTuple):
    """How to pick tokens: greedy unless ``sample``; ``temperature`` and ``top_p`` only apply when sampling."""

    max_new_tokens: int
    sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int = 0


class Reply(NamedTuple):
    """A generated reply and its timings (milliseconds)."""

    text: str
    output_tokens: int
    finish_reason: str  # "stop" (end of sequence) or "length" (max_new_tokens reached)
    latency_ms: float
    ttft_ms: float | None  # None when no token was generated
    tokens_per_s: float


def _clock():
    from transformers.generation.streamers import BaseStreamer

    class Clock(BaseStreamer):
        """Records when ``generate`` pushes its first generated token (its first push is the prompt)."""

        def __init__(self) -> None:
            self.pushes = 0
            self.first_token: float | None = None

        def put(self, value) -> None:
            self.pushes += 1
            if self.pushes == 2:
                self.first_token = time.perf_counter()

        def end(self) -> None:
            """Nothing to flush: only the time of the first token is kept."""

    return Clock()


def chat_inputs(tokenizer, messages: list[dict], device) -> dict:
    """The tokenized chat ``messages`` with the assistant's turn opened, as tensors on ``device``."""
    encoded = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    return {k: v.to(device) for k, v in encoded.items() if k in ("input_ids", "attention_mask")}


def generate(model, tokenizer, messages: list[dict], decoding: Decoding, seed_offset: int = 0) -> Reply:
    """One reply to ``messages`` (chat turns: role and content), seeded with ``decoding.seed + seed_offset``."""
    import torch

    inputs = chat_inputs(tokenizer, messages, model.device)
    options = {"do_sample": decoding.sample, "max_new_tokens": decoding.max_new_tokens}
    if decoding.sample:
        options.update(temperature=decoding.temperature, top_p=decoding.top_p)
    else:  # greedy: clear any sampling defaults the model's generation config carries
        options.update(temperature=None, top_p=None, top_k=None)
    torch.manual_seed(decoding.seed + seed_offset)
    clock = _clock()
    start = time.perf_counter()
    with torch.no_grad():
        out = model.generate(
            **inputs, **options, streamer=clock, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id
        )
    if model.device.type == "cuda":
        torch.cuda.synchronize(model.device)
    end = time.perf_counter()
    new = out[0, inputs["input_ids"].shape[1] :].tolist()
    eos = {tokenizer.eos_token_id} | set(_as_list(getattr(model.generation_config, "eos_token_id", None)))
    stopped = bool(new) and new[-1] in eos
    latency = (end - start) * 1000
    return Reply(
        text=tokenizer.decode(new, skip_special_tokens=True).strip(),
        output_tokens=len(new),
        finish_reason="stop" if stopped or len(new) < decoding.max_new_tokens else "length",
        latency_ms=round(latency, 3),
        ttft_ms=None if clock.first_token is None else round((clock.first_token - start) * 1000, 3),
        tokens_per_s=round(len(new) / (end - start), 3) if end > start else 0.0,
    )


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
