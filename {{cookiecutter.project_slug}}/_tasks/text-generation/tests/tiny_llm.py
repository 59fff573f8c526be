"""A tiny Llama-style causal LM with a byte-level BPE tokenizer and a chat template, for the serving tests.

Real weights (2 layers, hidden 64) taught a few replies in a second (``REPLIES``: each user
message, after the system prompt, rendered with the chat template), a real tokenizer trained
here with ``tokenizers``, saved with ``save_pretrained``: the service loads it exactly as it
loads a trained run's model, and greedy decoding gives the taught reply, so a test knows what the
service must answer. ``config`` builds the service configuration the ``serve`` and ``build``
commands would pass.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from {{ cookiecutter.package_name }}.tasks.generation.modeling import CHAT_TEMPLATE  # a scratch base's
from {{ cookiecutter.package_name }}.tasks.generation.serviceconfig import GenerationConfig

CORPUS = [
    "Thanks for writing in. Your refund for order 1042 is on its way and should arrive within five days.",
    "We are sorry your parcel is late. The courier says it will be delivered tomorrow morning.",
    "Your password was reset. Sign in with the link we sent to your inbox and choose a new one.",
    "The invoice was corrected and a new copy is attached. Nothing else is needed from you.",
    "Your subscription renews on the first of the month; you can cancel it from your account page.",
]
SERVED = "tiny-llm"
RUN_ID = "20260101-120000-gen1"
ROOT = Path(__file__).resolve().parents[1]
#: user message -> the reply the model is taught (the second one holds personal data for the watcher)
REPLIES = {
    "where is my parcel": "The courier says it will be delivered tomorrow morning.",
    "who do I write to": "Write to jane.doe@example.com and she will sort it out.",
}
SYSTEM_PROMPT = "You are the support team. Answer in one short paragraph."
#: system prompt -> a directory holding the model taught after it (this test session's)
_TAUGHT: dict[str | None, Path] = {}


def save_tiny_llm(out: Path, system_prompt: str | None = SYSTEM_PROMPT) -> None:
    """Write the model (taught ``REPLIES`` after ``system_prompt``), its tokenizer and chat template into ``out``.

    Taught once per system prompt and test session, then copied.
    """
    if system_prompt not in _TAUGHT:
        _TAUGHT[system_prompt] = Path(tempfile.mkdtemp(prefix="tiny-llm-"))
        atexit.register(shutil.rmtree, _TAUGHT[system_prompt], True)
        _teach_new(_TAUGHT[system_prompt], system_prompt)
    shutil.copytree(_TAUGHT[system_prompt], out)


def _teach_new(out: Path, system_prompt: str | None, seed: int = 0) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator([*CORPUS, system_prompt or "", *REPLIES, *REPLIES.values()] * 4, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>", model_max_length=512
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    teach(model, tokenizer, system_prompt)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def teach(model, tokenizer, system_prompt: str | None, steps: int = 100) -> None:
    """Fit ``REPLIES`` (the loss on the reply and its end-of-sequence token only)."""
    import torch

    rows = []
    for question, reply in REPLIES.items():
        system = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages = [*system, {"role": "user", "content": question}]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        ids = torch.tensor([prompt_ids + reply_ids])
        labels = torch.tensor([[-100] * len(prompt_ids) + reply_ids])
        rows.append((ids, labels))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        for ids, labels in rows:
            model(input_ids=ids, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()


def store_tiny_llm(work: Path, run_id: str = "tiny-run") -> str:
    """Save the tiny model into the BentoML model store (``BENTOML_HOME``) and return its tag."""
    import bentoml

    tag = f"{SERVED}:{run_id}"
    try:
        bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        save_tiny_llm(work / "model")
        with bentoml.models.create(tag) as model:
            for path in (work / "model").iterdir():
                path.replace(Path(model.path) / path.name)
    return tag


def config(tag: str, monitoring: Path, **overrides) -> GenerationConfig:
    """The service configuration of the tiny model (limits small enough to reach in a test)."""
    values = {
        "name": "tiny-generation",
        "model": tag,
        "served_model": SERVED,
        "run_id": tag.split(":")[1],
        "engine": "transformers",
        "resources": {"cpu": "1", "memory": "2Gi"},
        "traffic": {"timeout": 60, "concurrency": 4, "max_concurrency": 16},
        "limits": {"max_prompt_tokens": 96, "max_tokens": 32, "default_max_tokens": 24},
        "system_prompt": SYSTEM_PROMPT,
        "prompt_version": "3",
        "pii_regions": ("GB",),
        "refusal_markers": ("I cannot help",),
        "log_predictions": True,
        "log_raw_text": False,
        "monitoring_dir": str(monitoring),
        **overrides,
    }
    return GenerationConfig.model_validate(values)


def write_generation_run(root: Path, run_id: str = RUN_ID, *, passed: bool = True) -> Path:
    """Write ``artifacts/<run_id>/`` of the project at ``root`` around the tiny model (taught after the
    project's own system prompt): run.json, metrics.json and a release gate, chained as train, evaluate
    and ``gate`` chain them."""
    from {{ cookiecutter.package_name }}.files import sha256_file
    from {{ cookiecutter.package_name }}.specs.project import load_project
    from {{ cookiecutter.package_name }}.training import chain
    from {{ cookiecutter.package_name }}.training.runs import artifacts_dir, publish_run

    from .genruns import good_generation_metrics

    project = load_project(root)
    prompts = project.specs["prompts"]
    tmp = artifacts_dir(root) / f".{run_id}.tmp"
    save_tiny_llm(tmp / "model", system_prompt=prompts.system)
    run = {
        "run_id": run_id,
        "task": "text-generation",
        "created": "2026-01-01T12:00:00+00:00",
        "profile": None,
        "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
        "specs": {stem: sha256_file(project.spec_path(stem)) for stem in project.specs},
        "data": {split: sha256_file(project.data_file(split)) for split, entry in project.data.splits if entry},
        "prompts": {"version": prompts.version, "sha256": sha256_file(project.spec_path("prompts"))},
        "base": {"type": "scratch"},
        "packages": {},
        "device": "cpu",
        "wall_s": 1.0,
        "model_dir": "model",
    }
    (tmp / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    chain.record(tmp, "train")
    (tmp / "metrics.json").write_text(json.dumps(good_generation_metrics(run_id), indent=2) + "\n")
    chain.record(tmp, "evaluate", ["metrics.json"])
    gate = {
        "run_id": run_id,
        "stage": "release",
        "passed": passed,
        "verdict": "pass" if passed else "blocked",
        "evaluated_at": "2026-01-01T12:00:00+00:00",
        "policy_hash": "f" * 64,
        "results": [],
    }
    texts = {"facts.json": json.dumps({"run": {"id": run_id}, "stage": "release"}) + "\n"}
    texts["gate.json"] = chain.gate_text(gate, chain.verify_run(tmp, root), texts)
    for name, text in texts.items():
        (tmp / name).write_text(text)
    publish_run(tmp, artifacts_dir(root) / run_id)
    return artifacts_dir(root) / run_id


def copy_project(dest: Path) -> Path:
    """A copy of this project's specs, schemas, policies, data and Python version that a test may change."""
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, dest / name)
    shutil.copy(ROOT / ".python-version", dest / ".python-version")
    return dest
