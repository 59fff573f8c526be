"""Text metrics agree with hand-computed values, and perplexity is the exponent of the mean token loss."""

from __future__ import annotations

import math

import pytest

from {{ cookiecutter.package_name }}.tasks.generation import textmetrics


def test_identical_texts_score_the_maximum():
    texts = ["Your refund is on its way.", "We have sent a replacement charger today."]
    assert textmetrics.scores(texts, texts) == {"rouge_l": 1.0, "chrf": 100.0, "bleu": 100.0}
    assert textmetrics.scores(texts, texts, ["chrf"]) == {"chrf": 100.0}


def test_rouge_l_is_the_longest_common_subsequence_f_measure():
    # reference 6 tokens, prediction 4, common subsequence "refund is on way" = 4: P=1, R=2/3, F=0.8
    assert textmetrics.rouge_l(["refund is on way"], ["your refund is on its way"]) == 0.8


def test_unrelated_texts_score_low_and_lengths_must_match():
    scores = textmetrics.scores(["completely different words here"], ["your refund is on its way"])
    assert scores["rouge_l"] == 0.0
    assert scores["bleu"] < 5
    assert scores["chrf"] < 25
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        textmetrics.chrf(["a", "b"], ["a"])


def test_perplexity_weights_batches_by_scored_tokens():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=50,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=32,
    )
    model = LlamaForCausalLM(config)
    ids = torch.randint(0, 50, (2, 8))
    labels = ids.clone()
    labels[:, :3] = -100  # the prompt is not scored
    together = [{"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}]
    apart = [{k: v[i : i + 1] for k, v in together[0].items()} for i in range(2)]
    with torch.no_grad():
        logits = model(input_ids=ids).logits[:, :-1]
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, 50), labels[:, 1:].reshape(-1), ignore_index=-100)
    assert textmetrics.perplexity(model, together) == pytest.approx(math.exp(float(nll)), rel=1e-5)
    assert textmetrics.perplexity(model, apart) == pytest.approx(textmetrics.perplexity(model, together), rel=1e-5)
    with pytest.raises(ValueError, match="no scored tokens"):
        textmetrics.perplexity(model, [{**together[0], "labels": torch.full_like(ids, -100)}])
