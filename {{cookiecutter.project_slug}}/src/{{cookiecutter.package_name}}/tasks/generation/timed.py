"""Generate chat replies in-process: one at a time and timed (latency, time to first token, tokens per
second), or in batches when only the text counts.

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
    options = _options(decoding)
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


def generate_batch(model, tokenizer, conversations: list[list[dict]], decoding: Decoding, batch_size: int) -> list[str]:
    """The reply to each conversation, ``batch_size`` at a time (prompts padded on the left), untimed.

    Seeded once with ``decoding.seed``; the same conversations and batch size give the same replies.
    """
    import torch

    texts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in conversations]
    options = _options(decoding)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    torch.manual_seed(decoding.seed)
    replies = []
    try:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            encoded = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False)
            batch = {k: v.to(model.device) for k, v in encoded.items() if k in ("input_ids", "attention_mask")}
            with torch.no_grad():
                out = model.generate(**batch, **options, pad_token_id=pad)
            new = out[:, batch["input_ids"].shape[1] :]
            replies += [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]
    finally:
        tokenizer.padding_side = side
    return replies


def _options(decoding: Decoding) -> dict:
    """``generate``'s keyword arguments for ``decoding``."""
    options = {"do_sample": decoding.sample, "max_new_tokens": decoding.max_new_tokens}
    if decoding.sample:
        return {**options, "temperature": decoding.temperature, "top_p": decoding.top_p}
    # greedy: clear any sampling defaults the model's generation config carries
    return {**options, "temperature": None, "top_p": None, "top_k": None}


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
