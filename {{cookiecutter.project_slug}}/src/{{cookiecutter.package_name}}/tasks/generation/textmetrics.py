"""Reference-based text metrics and perplexity, from the maintained implementations.

- ROUGE-L: Google's ``rouge-score`` (F-measure of the longest common subsequence, Porter
  stemming), averaged over rows; 0 to 1.
- chrF and BLEU: ``sacrebleu``'s corpus scores with its default settings (chrF: character
  6-grams, beta 2; BLEU: 13a tokenization, 4-grams, exponential smoothing); 0 to 100, the
  scale papers and leaderboards report.
- Perplexity: ``exp`` of the mean negative log-likelihood per scored token, from the model's
  own loss on labelled sequences (tokens labelled ``-100``, the prompt and padding, are not
  scored).

Metrics are called directly: Hugging Face ``evaluate`` would download its metric scripts.
Every float is rounded to ``DIGITS`` decimals so the same outputs give the same JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

DIGITS = 6
#: the reference-based metrics; all improve as they go up
TEXT_METRICS = ("rouge_l", "chrf", "bleu")


def _r(value: float) -> float:
    return round(float(value), DIGITS)


def rouge_l(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Mean ROUGE-L F-measure of each prediction against its reference (0 when there are no rows)."""
    from rouge_score import rouge_scorer

    _same_length(predictions, references)
    if not predictions:
        return 0.0
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    scores = [scorer.score(ref, pred)["rougeL"].fmeasure for pred, ref in zip(predictions, references, strict=True)]
    return _r(sum(scores) / len(scores))


def chrf(predictions: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu's corpus chrF of the predictions against one reference each."""
    import sacrebleu

    _same_length(predictions, references)
    return _r(sacrebleu.corpus_chrf(list(predictions), [list(references)]).score)


def bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu's corpus BLEU of the predictions against one reference each."""
    import sacrebleu

    _same_length(predictions, references)
    return _r(sacrebleu.corpus_bleu(list(predictions), [list(references)]).score)


def scores(predictions: Sequence[str], references: Sequence[str], metrics: Sequence[str] = TEXT_METRICS) -> dict:
    """Each of ``metrics`` (names of ``TEXT_METRICS``) for the same predictions and references."""
    compute = {"rouge_l": rouge_l, "chrf": chrf, "bleu": bleu}
    return {name: compute[name](predictions, references) for name in metrics}


def perplexity(model, batches: Iterable[dict]) -> float:
    """Perplexity of ``model`` on ``batches`` of ``input_ids``, ``attention_mask`` and ``labels`` tensors.

    The model's loss is the mean over the batch's scored tokens (labels shifted by one, ``-100``
    skipped); it is weighted by that count, so the result is the same whatever the batching.
    """
    import torch

    total, tokens = 0.0, 0
    model.eval()
    with torch.no_grad():
        for batch in batches:
            batch = {k: v.to(model.device) for k, v in batch.items()}
            scored = int((batch["labels"][:, 1:] != -100).sum())
            if scored == 0:
                continue
            loss = model(**batch).loss
            total += float(loss) * scored
            tokens += scored
    if tokens == 0:
        raise ValueError("no scored tokens: every label is -100")
    return _r(math.exp(total / tokens))


def _same_length(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
