"""``train`` of a generation project: LoRA fine-tuning on the replies, the adapter and the merged model,
the prompt version in run.json. One default run is trained per session (``default_run``)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.specs.project import load_project
from {{ cookiecutter.package_name }}.tasks.generation.data import load_splits
from {{ cookiecutter.package_name }}.tasks.generation.modeling import load_generator, train_bpe
from {{ cookiecutter.package_name }}.tasks.generation.prompting import prompt_text, render_messages
from {{ cookiecutter.package_name }}.tasks.generation.training import IGNORED, encode

from .conftest import ROOT


@pytest.fixture(scope="module")
def tokenizer():
    project = load_project(ROOT)
    split = load_splits(project, ["train"])["train"]
    return train_bpe(split.texts, 1000, 128, project.model.chat_template or _builtin())


def _builtin() -> str:
    from {{ cookiecutter.package_name }}.tasks.generation.modeling import CHAT_TEMPLATE

    return CHAT_TEMPLATE


def test_a_row_renders_into_the_system_and_user_messages():
    prompts = load_project(ROOT).specs["prompts"]
    row = {"ticket": "My parcel is late.", "channel": "email", "reply": "not shown"}
    assert render_messages(prompts, row) == [
        {"role": "system", "content": prompts.system},
        {"role": "user", "content": "Channel: email\nTicket: My parcel is late."},
    ]


def test_the_loss_counts_the_reply_tokens_only(tokenizer):
    messages = [{"role": "user", "content": "Channel: chat\nTicket: where is my order"}]
    row = encode(tokenizer, messages, "I have asked the courier to trace it.", 128)
    prompt = tokenizer(prompt_text(tokenizer, messages), add_special_tokens=False)["input_ids"]
    assert row["input_ids"][: len(prompt)] == prompt and row["labels"][: len(prompt)] == [IGNORED] * len(prompt)
    reply = [t for t in row["labels"] if t != IGNORED]
    assert tokenizer.decode(reply) == "I have asked the courier to trace it.<|end|>"
    assert len(encode(tokenizer, messages, "word " * 200, 128)["input_ids"]) == 128


def test_the_tokenizer_is_the_same_in_every_process(tokenizer):
    code = (
        "from pathlib import Path; from {pkg}.specs.project import load_project; "
        "from {pkg}.tasks.generation.data import load_splits; "
        "from {pkg}.tasks.generation.modeling import CHAT_TEMPLATE, train_bpe; "
        "p = load_project(Path({root!r})); s = load_splits(p, ['train'])['train']; "
        "import json; print(json.dumps(train_bpe(s.texts, 1000, 128, CHAT_TEMPLATE).get_vocab(), sort_keys=True))"
    ).format(pkg="{{ cookiecutter.package_name }}", root=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT / "src")
    assert json.loads(out.stdout) == tokenizer.get_vocab()


@pytest.mark.slow
def test_the_run_holds_the_adapter_the_merged_model_and_the_prompt_version(default_run: Path):
    run = default_run / "artifacts" / "default"
    record = json.loads((run / "run.json").read_text())
    prompts = (default_run / "specs" / "prompts.yaml").read_bytes()
    assert record["task"] == "text-generation"
    assert record["prompts"] == {"version": "1.0.0", "sha256": hashlib.sha256(prompts).hexdigest(), "template": "reply"}
    assert (record["model_dir"], record["adapter_dir"], record["base_dir"]) == ("model", "adapter", "base")
    assert (run / "model" / "model.safetensors").is_file() and (run / "model" / "chat_template.jinja").is_file()
    adapter = json.loads((run / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 16 and set(adapter["target_modules"]) >= {"q_proj", "k_proj", "v_proj", "o_proj"}
    assert "lm_head" in adapter["modules_to_save"]
    assert record["training"]["validation"]["loss"] < 0.5


@pytest.mark.slow
def test_the_adapter_on_the_saved_base_is_the_merged_model(default_run: Path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run = default_run / "artifacts" / "default"
    merged, tokenizer = load_generator(run / "model", device="cpu")
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(run / "base"), run / "adapter").eval()
    ids = tokenizer("<|user|>my card was charged twice<|end|><|assistant|>", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        assert torch.allclose(merged(ids).logits, adapted(ids).logits, atol=1e-4)


@pytest.mark.slow
def test_greedy_replies_reproduce_the_golden_replies(default_run: Path):
    """The default run learns the golden set without having seen it: no golden reply is a train reply."""
    run = default_run / "artifacts" / "default"
    project = load_project(default_run)
    golden = load_splits(project, ["golden"])["golden"]
    model, tokenizer = load_generator(run / "model", device="cpu")
    exact = 0
    for messages, reply in zip(golden.messages, golden.replies, strict=True):
        ids = tokenizer(prompt_text(tokenizer, messages), add_special_tokens=False, return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=48, do_sample=False)
        exact += tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip() == reply
    assert exact / len(golden) >= 0.8, f"{exact} of {len(golden)} golden replies reproduced"
