"""Load a trained run's model and classify texts with it, in batches, without gradients."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import ProjectError, one_line


def pick_device():
    """The first CUDA GPU when there is one, else the CPU."""
    import torch

    return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def load_classifier(model_dir: Path, device=None):
    """``(model, tokenizer)`` of a ``save_pretrained`` directory, in eval mode on ``device``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    except Exception as err:
        raise ProjectError(f"{model_dir}: cannot load the trained model: {one_line(err)}") from None
    model.to(device or pick_device()).eval()
    return model, tokenizer


def predict_proba(model, tokenizer, texts: Sequence[str], batch_size: int = 64, max_length: int | None = None):
    """Class probabilities of every text, as a ``(len(texts), num_labels)`` numpy array.

    Texts are batched in their given order and padded to the longest in each batch, so the same
    texts and batch size give the same numbers.
    """
    import numpy as np
    import torch

    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=max_length or tokenizer.model_max_length,
                return_tensors="pt",
            ).to(device)
            out.append(torch.softmax(model(**batch).logits.float(), dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels))
