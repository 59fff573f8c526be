"""The model spec of a generation project: a causal-LM base, its chat template and a LoRA adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from ....specs.common import API_VERSION, Finding, Name, SpdxId, SpecModel, UniqueStrList, Version
from ....specs.model import (
    Card,
    HuggingFaceBase,
    LocalBase,
    Profile,
    Resources,
    Training,
    overrides_of,
    training_findings,
)

#: module names of a Llama-style decoder that LoRA may target (per layer) or train in full
LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
LLAMA_WHOLE = ("lm_head", "embed_tokens", "norm")
#: model families (config.json ``model_type``) and the module names LoRA may target in them
TARGETS_BY_FAMILY = {
    "llama": LLAMA_TARGETS,
    "mistral": LLAMA_TARGETS,
    "qwen2": LLAMA_TARGETS,
    "qwen3": LLAMA_TARGETS,
    "gemma": LLAMA_TARGETS,
    "gemma2": LLAMA_TARGETS,
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "gpt2": ("c_attn", "c_proj", "c_fc"),
    "gpt_neox": ("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"),
}
#: whole modules that ``modules_to_save`` may name, per family
WHOLE_BY_FAMILY = {
    **dict.fromkeys(("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"), LLAMA_WHOLE),
    "gpt2": ("lm_head", "wte", "wpe", "ln_f"),
    "gpt_neox": ("embed_out", "embed_in", "final_layer_norm"),
}


class LlamaArchitecture(SpecModel):
    """A small Llama-style decoder built from scratch (no download)."""

    family: Literal["llama"] = Field(default="llama", description="Model family of the config.")
    hidden_size: int = Field(ge=16, le=8192, description="Width of every layer.")
    num_layers: int = Field(ge=1, le=64, description="Number of decoder layers.")
    num_heads: int = Field(ge=1, le=128, description="Attention heads; must divide hidden_size.")
    num_kv_heads: int | None = Field(
        default=None, ge=1, le=128, description="Key/value heads (grouped-query attention); must divide num_heads."
    )
    intermediate_size: int = Field(ge=16, le=32768, description="Width of the feed-forward block.")
    context_length: int = Field(
        ge=16, le=131_072, description="Longest sequence (prompt and reply, in tokens) the model reads."
    )
    rope_theta: float = Field(default=10_000.0, gt=0, description="Base of the rotary position embeddings.")


class BpeTokenizer(SpecModel):
    """A byte-level BPE tokenizer trained on the train split with `tokenizers` (any text encodes)."""

    vocab_size: int = Field(ge=300, le=200_000, description="Target vocabulary size, special tokens included.")


class CausalScratchBase(SpecModel):
    """Train a new causal language model and tokenizer from an architecture config."""

    type: Literal["scratch"] = Field(description="Build a new model from `architecture`.")
    architecture: LlamaArchitecture
    tokenizer: BpeTokenizer


Base = Annotated[CausalScratchBase | HuggingFaceBase | LocalBase, Field(discriminator="type")]


class LoraAdapter(SpecModel):
    """A LoRA adapter (peft): low-rank updates of `target_modules`, `modules_to_save` trained in full."""

    type: Literal["lora"] = Field(description="The adapter kind.")
    r: int = Field(ge=1, le=1024, description="Rank of the low-rank update matrices.")
    alpha: float = Field(
        gt=0, le=4096, description="Scale of the update (lora_alpha); the update is scaled by alpha/r."
    )
    dropout: float = Field(default=0.0, ge=0, le=0.5, description="Dropout on the adapter's input.")
    target_modules: UniqueStrList = Field(
        min_length=1, description="Module names that get a LoRA update, e.g. q_proj, v_proj (they must exist)."
    )
    modules_to_save: UniqueStrList = Field(
        default_factory=list, description="Modules trained in full next to the adapter, e.g. lm_head."
    )


class EarlyStopping(SpecModel):
    """Stop when the validation loss has not improved for `patience` evaluations."""

    metric: Literal["loss"] = Field(description="Validation metric to watch: the loss on the reply tokens.")
    patience: int = Field(ge=1, le=100, description="Evaluations without improvement before stopping.")
    min_delta: float = Field(default=0.0, ge=0, description="Smallest change that counts as improvement.")


class GenerationTraining(Training):
    """Hyper-parameters of one fine-tuning run; the loss counts the reply tokens only."""

    max_length: int = Field(
        ge=8, le=131_072, description="Prompt and reply are truncated to this many tokens together."
    )
    early_stopping: EarlyStopping | None = Field(default=None, description="Stop early on the validation loss.")


GenerationTrainingOverrides = overrides_of(GenerationTraining, "GenerationTrainingOverrides")


class GenerationProfile(Profile):
    """Named overrides for a kind of run, e.g. `smoke` for fast CI checks."""

    training: GenerationTrainingOverrides = Field(default_factory=GenerationTrainingOverrides)  # type: ignore[valid-type]


class GenerationModelSpec(SpecModel):
    """A text generator: a causal language model, its chat template and adapter, how it is trained and where."""

    api_version: Literal[API_VERSION] = Field(alias="apiVersion", description="Spec format version.")
    kind: Literal["ModelSpec"] = Field(description="Which spec this file is.")
    name: Name
    display_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\n\r]*$",
        description="The model's name for people (the model card's title); `name` when absent.",
    )
    description: str = Field(min_length=1, description="What the model does, in a sentence or two.")
    version: Version
    task: Literal["text-generation"] = Field(description="What the model does.")
    license: SpdxId
    base: Base = Field(description="What fine-tuning starts from; `type` picks the kind.")
    chat_template: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Jinja chat template (transformers apply_chat_template) that turns messages into the model's text; "
            "absent: the base tokenizer's own (a scratch base gets a built-in one)."
        ),
    )
    adapter: LoraAdapter = Field(description="The adapter trained on the frozen base.")
    training: GenerationTraining
    resources: Resources
    profiles: dict[Name, GenerationProfile] = Field(
        default_factory=dict, description="Named overrides, chosen with --profile."
    )
    card: Card

    def training_for(self, profile: str | None) -> GenerationTraining:
        """The training fields with ``profile``'s overrides applied; the spec's own when ``profile`` is None."""
        if profile is None:
            return self.training
        overrides = self.profiles[profile].training.model_dump(exclude_none=True)
        return GenerationTraining.model_validate({**self.training.model_dump(), **overrides})

    def findings(self) -> Iterator[Finding]:
        if isinstance(self.base, CausalScratchBase):
            arch = self.base.architecture
            if arch.hidden_size % arch.num_heads:
                yield (
                    ("base", "architecture", "num_heads"),
                    f"num_heads ({arch.num_heads}) must divide hidden_size ({arch.hidden_size})",
                )
            if arch.num_kv_heads is not None and arch.num_heads % arch.num_kv_heads:
                yield (
                    ("base", "architecture", "num_kv_heads"),
                    f"num_kv_heads ({arch.num_kv_heads}) must divide num_heads ({arch.num_heads})",
                )
            yield from adapter_findings(self.adapter, arch.family)
            yield from length_findings(self, arch.context_length, "base.architecture.context_length")
        yield from training_findings(self.training, self.resources)


def adapter_findings(adapter: LoraAdapter, family: str) -> Iterator[Finding]:
    """Target modules and modules to save that a model of ``family`` does not have."""
    targets, whole = TARGETS_BY_FAMILY.get(family), WHOLE_BY_FAMILY.get(family)
    for i, name in enumerate(adapter.target_modules):
        if targets is not None and name not in targets:
            yield (
                ("adapter", "target_modules", i),
                f"{family} has no module {name!r} to adapt (it has {', '.join(targets)})",
            )
    for i, name in enumerate(adapter.modules_to_save):
        if whole is not None and name not in whole:
            yield (
                ("adapter", "modules_to_save", i),
                f"{family} has no module {name!r} to train in full (it has {', '.join(whole)})",
            )


def length_findings(spec: GenerationModelSpec, context: int, where: str) -> Iterator[Finding]:
    """``max_length`` of the training fields and every profile fits the model's ``context`` (named by ``where``)."""
    if spec.training.max_length > context:
        yield (
            ("training", "max_length"),
            f"max_length ({spec.training.max_length}) is longer than the model's context ({context} tokens, {where})",
        )
    for name, profile in spec.profiles.items():
        wanted = profile.training.max_length
        if wanted is not None and wanted > context:
            yield (
                ("profiles", name, "training", "max_length"),
                f"max_length ({wanted}) is longer than the model's context ({context} tokens, {where})",
            )
