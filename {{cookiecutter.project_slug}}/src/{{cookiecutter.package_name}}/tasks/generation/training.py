"""What ``train`` hands the Trainer for a generator: supervised fine-tuning of the LoRA adapter on
chat-formatted pairs, the loss counted on the reply tokens only (see ``tasks.TrainingParts``).

The run keeps the adapter (``adapter/``, peft format) and the base merged with it (``model/``,
safetensors, with the tokenizer and its chat template), which ``AutoModelForCausalLM`` loads as is.
"""

from __future__ import annotations

from pathlib import Path

from .data import load_splits
from .modeling import load_model
from .modeling import load_tokenizer as _load_tokenizer
from .prompting import prompt_record, prompt_text, reply_text

__all__ = ["load_model", "load_splits"]

#: validation metrics recorded for the chosen checkpoint
VALIDATION_METRICS = ("loss",)
#: the label of a token the loss ignores (prompt and padding)
IGNORED = -100


def load_tokenizer(project, train_split, max_length: int):
    """The base's tokenizer with the chat template; a ``scratch`` base trains one on the train split's
    rendered prompts and replies."""
    return _load_tokenizer(project, train_split.texts, max_length)


def encode(tokenizer, messages: list[dict], reply: str, max_length: int) -> dict:
    """Token ids of the prompt then the reply, cut at ``max_length``; labels are the reply's ids, the
    prompt's are ``IGNORED``."""
    prompt = tokenizer(prompt_text(tokenizer, messages), add_special_tokens=False)["input_ids"]
    answer = tokenizer(reply_text(tokenizer, messages, reply), add_special_tokens=False)["input_ids"]
    ids = (prompt + answer)[:max_length]
    labels = ([IGNORED] * len(prompt) + answer)[:max_length]
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


def dataset(split, tokenizer, max_length: int):
    """A ``datasets.Dataset`` of token ids, attention masks and reply-only labels (padding happens per batch)."""
    import datasets

    datasets.disable_progress_bars()
    rows = [encode(tokenizer, m, r, max_length) for m, r in zip(split.messages, split.replies, strict=True)]
    return datasets.Dataset.from_list(rows)


def collator(tokenizer):
    """Pads each batch: ids with the pad token, labels with ``IGNORED``."""
    from transformers import DataCollatorForSeq2Seq

    return DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORED)


#: the Trainer reports the validation loss (on reply tokens) only
compute_metrics = None


def save(trainer, tokenizer, work: Path) -> dict:
    """The adapter in ``work/adapter`` and the base merged with it in ``work/model``, each with the tokenizer."""
    if not trainer.is_world_process_zero():
        return {}
    model = trainer.model
    model.save_pretrained(work / "adapter")
    tokenizer.save_pretrained(work / "adapter")
    merged = model.merge_and_unload()
    merged.generation_config.eos_token_id = tokenizer.eos_token_id
    merged.generation_config.pad_token_id = tokenizer.pad_token_id
    merged.save_pretrained(work / "model", safe_serialization=True)
    tokenizer.save_pretrained(work / "model")
    fields = {"model_dir": "model", "adapter_dir": "adapter"}
    return fields | ({"base_dir": "base"} if (work / "base").is_dir() else {})


def run_fields(project) -> dict:
    """The prompts the run was trained with: version and sha256 of ``specs/prompts.yaml``, and the template."""
    prompts = project.specs["prompts"]
    return {"prompts": prompt_record(project.root, prompts) | {"template": prompts.default}}
