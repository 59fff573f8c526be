"""The model spec (``specs/model.yaml``): what is trained, from what, how, and on what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, create_model

from .common import API_VERSION, Finding, GitRevision, Name, RelPath, Sha256, SpdxId, SpecModel, UniqueStrList, Version
from .gpus import BENTOML_GPU_TYPES

GpuType = Literal[BENTOML_GPU_TYPES]  # type: ignore[valid-type]
WeightsLicense = Annotated[
    SpdxId | None,
    Field(description="SPDX license of the pretrained weights; the gate checks it against the allow-list."),
]


class Architecture(SpecModel):
    """A small BERT-style encoder built from scratch (no download)."""

    family: Literal["bert"] = Field(default="bert", description="Model family of the config.")
    hidden_size: int = Field(ge=16, le=1024, description="Width of every layer.")
    num_layers: int = Field(ge=1, le=24, description="Number of transformer layers.")
    num_heads: int = Field(ge=1, le=32, description="Attention heads; must divide hidden_size.")
    intermediate_size: int = Field(ge=16, le=8192, description="Width of the feed-forward block.")
    dropout: float = Field(default=0.1, ge=0, le=0.5, description="Dropout of hidden states and attention.")


class Tokenizer(SpecModel):
    """A WordPiece tokenizer trained on the train split with `tokenizers`."""

    vocab_size: int = Field(ge=200, le=100_000, description="Target vocabulary size.")
    lowercase: bool = Field(default=True, description="Lower-case texts before tokenizing.")


class ScratchBase(SpecModel):
    """Train a new model and tokenizer from an architecture config."""

    type: Literal["scratch"] = Field(description="Build a new model from `architecture`.")
    architecture: Architecture
    tokenizer: Tokenizer


class HuggingFaceBase(SpecModel):
    """Fine-tune a pretrained model from the Hugging Face Hub, pinned to one commit."""

    type: Literal["huggingface"] = Field(description="Load a Hub model by id and revision.")
    id: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$", description="Hub model id, e.g. org/name.")
    revision: GitRevision
    license: WeightsLicense = None


class LocalBase(SpecModel):
    """Fine-tune a model saved in a directory of the project (`save_pretrained` layout), pinned by sha256."""

    type: Literal["local"] = Field(description="Load a save_pretrained directory.")
    path: RelPath = Field(description="Directory inside the project, relative to its root (no link leading out).")
    sha256: Sha256 | None = Field(
        default=None,
        description=(
            "sha256 of the directory's sha256sum listing (one `<sha256>  <path>` line per file, sorted by path); "
            "required: the `pin-data` command writes it."
        ),
    )
    license: WeightsLicense = None


class PythonPackageBase(SpecModel):
    """Fine-tune weights shipped inside an installed Python package."""

    type: Literal["python_package"] = Field(description="Load weights shipped in a package.")
    package: str = Field(
        pattern=r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$",
        description="Importable module whose get_model_path() returns the model directory.",
    )
    license: WeightsLicense = None


Base = Annotated[ScratchBase | HuggingFaceBase | LocalBase | PythonPackageBase, Field(discriminator="type")]


class EarlyStopping(SpecModel):
    """Stop when the validation metric has not improved for `patience` evaluations."""

    metric: Literal["macro_f1", "accuracy", "loss"] = Field(description="Validation metric to watch.")
    patience: int = Field(ge=1, le=100, description="Evaluations without improvement before stopping.")
    min_delta: float = Field(default=0.0, ge=0, description="Smallest change that counts as improvement.")


class Training(SpecModel):
    """Hyper-parameters of one training run (transformers `TrainingArguments`)."""

    seed: int = Field(ge=0, description="Seed for data order, initialisation and dropout.")
    precision: Literal["fp32", "bf16", "fp16"] = Field(description="Numeric precision; fp16 needs a GPU.")
    max_length: int = Field(ge=8, le=4096, description="Texts are truncated to this many tokens.")
    batch_size: int = Field(ge=1, le=4096, description="Examples per device per step.")
    eval_batch_size: int = Field(default=64, ge=1, le=4096, description="Examples per device when evaluating.")
    gradient_accumulation_steps: int = Field(
        default=1, ge=1, le=1024, description="Steps whose gradients add up before an update."
    )
    learning_rate: float = Field(gt=0, lt=1, description="Peak learning rate.")
    scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"] = Field(
        description="Learning-rate schedule."
    )
    warmup_ratio: float = Field(default=0.0, ge=0, le=0.5, description="Fraction of steps spent warming up.")
    weight_decay: float = Field(default=0.0, ge=0, le=1, description="AdamW weight decay.")
    epochs: float | None = Field(
        default=None, gt=0, le=1000, description="Passes over the train split (or set max_steps)."
    )
    max_steps: int | None = Field(default=None, ge=1, description="Stop after this many updates; overrides epochs.")
    early_stopping: EarlyStopping | None = Field(default=None, description="Stop early on the validation split.")
    checkpoints_to_keep: int = Field(default=2, ge=1, le=100, description="Checkpoints kept for --resume.")


def overrides_of(training: type[Training], name: str) -> type[SpecModel]:
    """A model with every field of ``training`` optional: what a profile may override."""
    return create_model(
        name,
        __base__=SpecModel,
        __doc__="Any training field; the profile's value replaces the spec's.",
        **{
            field: (info.annotation | None, Field(default=None, description=info.description))
            for field, info in training.model_fields.items()
        },
    )


TrainingOverrides = overrides_of(Training, "TrainingOverrides")


class Profile(SpecModel):
    """Named overrides for a kind of run, e.g. `smoke` for fast CI checks."""

    description: str = Field(description="When to use this profile.")
    training: TrainingOverrides = Field(default_factory=TrainingOverrides)  # type: ignore[valid-type]
    max_train_rows: int | None = Field(default=None, ge=1, description="Train on the first N rows only.")
    max_eval_rows: int | None = Field(default=None, ge=1, description="Evaluate on the first N rows only.")


class Resources(SpecModel):
    """Where training runs. More than one GPU launches through `accelerate` or `torchrun`."""

    gpus: int = Field(ge=0, le=64, description="GPUs per node; 0 trains on CPU.")
    gpu_type: GpuType | None = Field(default=None, description="GPU model the run expects (BentoML naming).")
    nodes: int = Field(default=1, ge=1, le=1024, description="Machines taking part in the run.")
    strategy: Literal["none", "ddp", "fsdp"] = Field(default="none", description="How several GPUs share the work.")
    launcher: Literal["accelerate", "torchrun"] = Field(
        default="accelerate", description="Launcher for multi-GPU runs."
    )


class Card(SpecModel):
    """Facts for the model card that only people can write."""

    intended_use: str = Field(min_length=1, description="What the model is for, and for whom.")
    out_of_scope: str = Field(min_length=1, description="Uses the model is not meant or tested for.")
    limitations: str = Field(min_length=1, description="Known weaknesses: slices, languages, inputs.")
    ethical_considerations: str = Field(min_length=1, description="Risks to people and how they are handled.")
    owners: UniqueStrList = Field(min_length=1, description="Who answers for the model (e.g. @org/team).")


class ModelSpec(SpecModel):
    """A text classifier: its labels, its base, how it is trained and where."""

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
    task: Literal["text-classification"] = Field(description="What the model does.")
    license: SpdxId
    labels: UniqueStrList = Field(min_length=2, description="Output classes; the same set as the data spec's labels.")
    base: Base = Field(description="What training starts from; `type` picks the kind.")
    training: Training
    resources: Resources
    profiles: dict[Name, Profile] = Field(default_factory=dict, description="Named overrides, chosen with --profile.")
    card: Card

    def training_for(self, profile: str | None) -> Training:
        """The training fields with ``profile``'s overrides applied; the spec's own when ``profile`` is None."""
        if profile is None:
            return self.training
        overrides = self.profiles[profile].training.model_dump(exclude_none=True)
        return Training.model_validate({**self.training.model_dump(), **overrides})

    def findings(self) -> Iterator[Finding]:
        base = self.base
        if isinstance(base, ScratchBase) and base.architecture.hidden_size % base.architecture.num_heads:
            yield (
                ("base", "architecture", "num_heads"),
                (
                    f"num_heads ({base.architecture.num_heads}) must divide hidden_size "
                    f"({base.architecture.hidden_size})"
                ),
            )
        yield from training_findings(self.training, self.resources)


def training_findings(training: Training, resources: Resources) -> Iterator[Finding]:
    """Problems between the training fields and the resources, for every task's model spec."""
    if training.epochs is None and training.max_steps is None:
        yield ("training",), "set `epochs` or `max_steps`"
    gpus = resources.gpus * resources.nodes
    if gpus > 1 and resources.strategy == "none":
        yield ("resources", "strategy"), f"{gpus} GPUs need a strategy: ddp or fsdp"
    if gpus == 0 and resources.nodes > 1:
        yield ("resources", "nodes"), "several nodes need gpus > 0"
    if training.precision == "fp16" and resources.gpus == 0:
        yield ("training", "precision"), "fp16 needs a GPU; use fp32 or bf16 on CPU"
