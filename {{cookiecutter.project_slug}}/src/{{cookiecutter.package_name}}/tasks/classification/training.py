"""What ``train`` hands the Trainer for a classifier: token ids and label ids, padded per batch,
with accuracy and macro-F1 on the validation split (see ``tasks.TrainingParts``)."""

from __future__ import annotations

from pathlib import Path

import sklearn.metrics  # noqa: F401  (compute_metrics needs it: imported before the training clock starts)

from ...training.data import load_splits
from .modeling import load_model as _load_model
from .modeling import load_tokenizer as _load_tokenizer

__all__ = ["load_splits"]

#: validation metrics recorded for the chosen checkpoint
VALIDATION_METRICS = ("accuracy", "macro_f1", "loss")


def load_tokenizer(project, train_split, max_length: int):
    """The base's tokenizer; a ``scratch`` base trains one on the train split's texts."""
    return _load_tokenizer(project, train_split.texts, max_length)


def load_model(project, tokenizer, max_length: int, work: Path):
    """A sequence classifier with one output per label (nothing is kept in ``work`` before training)."""
    return _load_model(project, tokenizer, max_length)


def dataset(split, tokenizer, max_length: int):
    """A ``datasets.Dataset`` of token ids and labels (padding happens per batch)."""
    import datasets

    datasets.disable_progress_bars()  # tokenizing takes a blink; progress.py shows the run's progress
    table = datasets.Dataset.from_dict({"text": split.texts, "label": split.labels})
    return table.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=max_length),
        batched=True,
        remove_columns=["text"],
    )


def collator(tokenizer):
    """``None``: the Trainer pads each batch with the tokenizer."""
    return None


def compute_metrics(prediction) -> dict:
    """Accuracy and macro-F1 of the validation split, for early stopping and the log."""
    from ...evaluation.metrics import macro_f1

    predicted, labels = prediction.predictions.argmax(axis=1), prediction.label_ids
    every = range(prediction.predictions.shape[1])
    return {"accuracy": round(float((predicted == labels).mean()), 6), "macro_f1": macro_f1(labels, predicted, every)}


def save(trainer, tokenizer, work: Path) -> dict:
    """The fine-tuned classifier and its tokenizer in ``work/model``."""
    trainer.save_model(str(work / "model"))
    return {"model_dir": "model"}


def run_fields(project) -> dict:
    """The labels, in the order of the model's outputs."""
    return {"labels": list(project.model.labels)}
