"""Build the tokenizer and the causal language model that ``train`` fine-tunes, as ``specs/model.yaml`` declares,
and load a trained run's merged model for generation.

- ``scratch``: a byte-level BPE tokenizer trained on the train split with ``tokenizers`` and a
  Llama-style decoder built from the spec's architecture (no download), saved with
  ``save_pretrained`` into the run's ``base/`` before the adapter wraps it;
- ``huggingface``: a Hub model at a pinned commit (needs network the first time);
- ``local``: a ``save_pretrained`` directory of the project.

The adapter (peft LoRA) wraps the base; only its updates and ``modules_to_save`` train. A base that
cannot be loaded, or an adapter whose modules the base lacks, is a ``ProjectError`` placed at the
spec field to change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ...errors import ProjectError, one_line
from ...specs.model import HuggingFaceBase, LocalBase
from ...specs.problems import located
from ...specs.project import Project
from .specs.model import CausalScratchBase

PAD, END = "<|pad|>", "<|end|>"
ROLES = ("system", "user", "assistant")
SPECIAL_TOKENS = (PAD, END, *(f"<|{role}|>" for role in ROLES))
#: the chat template of a scratch base: each message as <|role|>text<|end|>, then <|assistant|> to answer
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
BASE_DIR = "base"


def train_bpe(texts: Sequence[str], vocab_size: int, max_length: int, chat_template: str):
    """A byte-level BPE tokenizer trained on ``texts``, as a transformers fast tokenizer with ``chat_template``.

    Every text encodes (bytes are the alphabet), the chat markers are single special tokens, and the
    same texts give the same vocabulary.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(texts), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=END, model_max_length=max_length)
    tokenizer.chat_template = chat_template
    return tokenizer


def load_tokenizer(project: Project, train_texts: Sequence[str], max_length: int):
    """The tokenizer of the base with the spec's chat template: trained here for ``scratch``, loaded otherwise."""
    spec = project.model
    base = spec.base
    if isinstance(base, CausalScratchBase):
        return train_bpe(train_texts, base.tokenizer.vocab_size, max_length, spec.chat_template or CHAT_TEMPLATE)
    from transformers import AutoTokenizer

    source, kwargs, where = pretrained_source(project)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    except Exception as err:  # offline, unknown id, not a model directory
        raise _load_error(project, where, source, "tokenizer", err) from None
    if spec.chat_template:
        tokenizer.chat_template = spec.chat_template
    if not tokenizer.chat_template:
        raise ProjectError(
            [
                located(
                    project.docs["model"],
                    ("base",),
                    f"the tokenizer of {source} has no chat template; set `chat_template`",
                )
            ]
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.model_max_length = max_length
    return tokenizer


def pretrained_source(project: Project) -> tuple[str, dict, tuple]:
    """``(name or path, from_pretrained kwargs, spec field)`` of a pretrained base."""
    base = project.model.base
    if isinstance(base, HuggingFaceBase):
        return base.id, {"revision": base.revision}, ("base", "id")
    if isinstance(base, LocalBase):
        path = project.root / base.path
        if not path.is_dir():
            raise ProjectError(
                [located(project.docs["model"], ("base", "path"), f"model directory {path} does not exist")]
            )
        return str(path), {}, ("base", "path")
    raise TypeError(f"not a pretrained base: {base!r}")


def load_base(project: Project, tokenizer, work: Path):
    """The causal LM the adapter wraps. A scratch base is built once per run and kept in ``work/base``
    (a resumed run reloads it, so it starts from the same weights)."""
    from transformers import AutoModelForCausalLM

    base = project.model.base
    saved = work / BASE_DIR
    if isinstance(base, CausalScratchBase):
        if (saved / "config.json").is_file():
            return AutoModelForCausalLM.from_pretrained(saved)
        from transformers import LlamaConfig, LlamaForCausalLM

        arch = base.architecture
        config = LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=arch.hidden_size,
            intermediate_size=arch.intermediate_size,
            num_hidden_layers=arch.num_layers,
            num_attention_heads=arch.num_heads,
            num_key_value_heads=arch.num_kv_heads or arch.num_heads,
            max_position_embeddings=arch.context_length,
            rope_theta=arch.rope_theta,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            bos_token_id=None,
            tie_word_embeddings=False,
        )
        model = LlamaForCausalLM(config)
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        if os.environ.get("RANK", "0") == "0":  # other ranks build the same weights from the same seed
            model.save_pretrained(saved)  # the base the adapter applies to, before peft wraps it
        return model
    source, kwargs, where = pretrained_source(project)
    try:
        return AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except Exception as err:
        raise _load_error(project, where, source, "model", err) from None


def load_model(project: Project, tokenizer, max_length: int, work: Path):
    """The base wrapped with the spec's LoRA adapter (peft); a module the base lacks is a ``ProjectError``."""
    from peft import LoraConfig, get_peft_model

    model = load_base(project, tokenizer, work)
    adapter = project.model.adapter
    config = LoraConfig(
        r=adapter.r,
        lora_alpha=adapter.alpha,
        lora_dropout=adapter.dropout,
        target_modules=list(adapter.target_modules),
        modules_to_save=list(adapter.modules_to_save) or None,
        task_type="CAUSAL_LM",
    )
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    for field in ("target_modules", "modules_to_save"):
        for i, name in enumerate(getattr(adapter, field)):
            if name not in names:
                raise ProjectError(
                    [located(project.docs["model"], ("adapter", field, i), f"the base model has no module {name!r}")]
                )
    return get_peft_model(model, config)


def load_generator(model_dir: Path, device=None):
    """``(model, tokenizer)`` of a run's merged ``model/`` directory, in eval mode on ``device``
    (default: the first GPU, else the CPU). Greedy ``generate`` stops at the tokenizer's end marker."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    from ...evaluation.inference import pick_device

    logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir)
    except Exception as err:
        raise ProjectError(f"{model_dir}: cannot load the trained model: {one_line(err)}") from None
    model.to(device or pick_device()).eval()
    return model, tokenizer


def _load_error(project: Project, where: tuple, source: str, what: str, err: Exception) -> ProjectError:
    hint = " (a Hub model needs network access the first time)" if where == ("base", "id") else ""
    return ProjectError(
        [located(project.docs["model"], where, f"cannot load the {what} from {source}: {one_line(err)}{hint}")]
    )
