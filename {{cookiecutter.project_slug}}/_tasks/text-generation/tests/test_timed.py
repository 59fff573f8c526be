"""Timed generation on a tiny random chat model: timings hold together, decoding is repeatable, and
``measure`` fills every section of metrics.json that the schema asks for."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.tasks.generation import measure
from {{ cookiecutter.package_name }}.tasks.generation.modeling import CHAT_TEMPLATE
from {{ cookiecutter.package_name }}.tasks.generation.timed import Decoding, generate, generate_batch

TEXT = "where is my refund your refund is on its way the charger broke we will send a new one reply"
MESSAGES = [{"role": "system", "content": "reply"}, {"role": "user", "content": "where is my refund"}]


@pytest.fixture(scope="module")
def chat_model():
    """A random two-layer Llama and a word-level tokenizer with a chat template (no download)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = ["<unk>", "<pad>", "<s>", "</s>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
    raw = Tokenizer(models.WordLevel(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.train_from_iterator([TEXT], trainers.WordLevelTrainer(special_tokens=special))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        padding_side="right",
    )
    tokenizer.chat_template = CHAT_TEMPLATE  # a scratch base's: <|role|>text<|end|>
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config).eval(), tokenizer


def test_timings_hold_together(chat_model):
    reply = generate(*chat_model, MESSAGES, Decoding(max_new_tokens=6))
    assert 1 <= reply.output_tokens <= 6
    assert reply.finish_reason in ("stop", "length")
    assert 0 < reply.ttft_ms <= reply.latency_ms
    assert reply.tokens_per_s == pytest.approx(reply.output_tokens / (reply.latency_ms / 1000), rel=0.01)


def test_greedy_and_seeded_sampling_repeat(chat_model):
    greedy = Decoding(max_new_tokens=8, seed=1)
    assert generate(*chat_model, MESSAGES, greedy).text == generate(*chat_model, MESSAGES, greedy).text
    sampled = Decoding(max_new_tokens=8, sample=True, temperature=1.5, top_p=1.0, seed=3)
    runs = [generate(*chat_model, MESSAGES, sampled, seed_offset=n).text for n in range(4)]
    assert runs == [generate(*chat_model, MESSAGES, sampled, seed_offset=n).text for n in range(4)]
    assert len(set(runs)) > 1  # each repeat has its own seed


def test_batches_reply_as_one_at_a_time(chat_model):
    conversations = [
        MESSAGES,
        [{"role": "user", "content": "the charger broke"}],
        [{"role": "system", "content": "reply"}, {"role": "user", "content": "we will send a new one is on its way"}],
    ]
    greedy = Decoding(max_new_tokens=6)
    alone = [generate(*chat_model, c, greedy).text for c in conversations]
    assert generate_batch(*chat_model, conversations, greedy, batch_size=2) == alone
    assert chat_model[1].padding_side == "right"  # restored


def test_measure_fills_the_schema(chat_model):
    import torch

    from {{ cookiecutter.package_name }}.tasks.generation.metrics_schema import GenerationMetrics

    model, tokenizer = chat_model
    encoded = tokenizer(["where is my refund your refund is on its way"], return_tensors="pt")
    labels = encoded["input_ids"].clone()
    labels[:, :4] = -100
    batch = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "labels": labels}
    case = measure.GoldenCase("g1", MESSAGES, "where is my refund", [{"type": "max-length", "value": 1000}], 2, 0.5)
    rows = [
        measure.Row("t1", MESSAGES, "your refund is on its way", {"channel": "email"}),
        measure.Row("t2", MESSAGES, "we will send a new one", {"channel": "chat"}),
    ]
    result = measure.measure(
        model,
        tokenizer,
        rows=rows,
        metrics=["rouge_l", "bleu"],
        decoding=Decoding(max_new_tokens=6),
        perplexity_batches=[batch],
        cases=[case],
        min_pass_rate=0.9,
        checks=measure.Checks(["pii", "refusal"], ["US"], ["I cannot help"]),
        timed_prompts=[MESSAGES] * 3,
        timed_tokens=4,
        device="cpu",
    )
    extra = {"run_id": "r", "task": "text-generation", "split": "test", "primary_metric": "rouge_l"}
    floors = {"text_floors": {}, "below_floors": []}
    GenerationMetrics.model_validate({**extra, "prompt_version": "1", **result, **floors})
    assert set(result["test"]) == {"rows", "rouge_l", "bleu", "perplexity"}
    assert set(result["slices"]["channel"]) == {"chat", "email"}
    assert (result["golden"]["cases"], result["golden"]["pass_rate"]) == (1, 1.0)
    assert result["safety"]["outputs"] == 4  # two test rows, two golden repeats
    assert result["safety"]["profanity"] is None
    assert result["latency"]["requests"] == 3
    assert result["latency"]["output_tokens"]["p95"] <= 4
    assert torch.isfinite(torch.tensor(result["test"]["perplexity"]))
