"""Render a data row into chat messages with ``specs/prompts.yaml``: training, evaluation and serving
all build prompts here, so a prompt change reaches all three at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...files import sha256_file
from .specs.prompts import PromptsSpec, variables


def render_messages(prompts: PromptsSpec, row: Mapping[str, object], template: str | None = None) -> list[dict]:
    """The chat messages of ``row``: the system prompt (when there is one), then the user message that
    ``template`` (default: ``prompts.default``) makes of the row's columns. The reply is not included.

    Raises ``KeyError`` naming a variable the row lacks (the cross-spec checks make every variable an
    input column, so rows of the data never lack one).
    """
    text = prompts.templates[template or prompts.default]
    values = {name: str(row[name]) for name in variables(text)}
    user = text.format_map(values)
    return ([{"role": "system", "content": prompts.system}] if prompts.system else []) + [
        {"role": "user", "content": user}
    ]


def prompt_record(root: Path, prompts: PromptsSpec) -> dict:
    """What ``run.json`` and every logged prediction record about the prompts: their version and the
    sha256 of ``specs/prompts.yaml``."""
    return {"version": prompts.version, "sha256": sha256_file(root / "specs" / "prompts.yaml")}


def prompt_text(tokenizer, messages: list[dict]) -> str:
    """The model's text for ``messages`` up to where the assistant's reply starts (the chat template)."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def reply_text(tokenizer, messages: list[dict], reply: str) -> str:
    """The text the chat template puts after ``prompt_text`` for the assistant's ``reply``, end marker included."""
    prompt = prompt_text(tokenizer, messages)
    full = tokenizer.apply_chat_template([*messages, {"role": "assistant", "content": reply}], tokenize=False)
    if full.startswith(prompt):
        return full[len(prompt) :]
    return reply + (tokenizer.eos_token or "")  # a template that rewrites earlier turns: reply and end marker
