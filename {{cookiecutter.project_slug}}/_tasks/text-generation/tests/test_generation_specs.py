"""The generation specs: the shipped ones are valid; each cross-spec check places its problem at the field to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main

from .conftest import ROOT


def _edit(project: Path, spec: str, old: str, new: str) -> Path:
    path = project / "specs" / f"{spec}.yaml"
    text = path.read_text()
    assert old in text, f"{old!r} is not in specs/{spec}.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def _line(path: Path, fragment: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if fragment in text)


def _problems(project: Path, capsys) -> str:
    assert main(["--project", str(project), "validate"]) == 2
    return capsys.readouterr().err


def test_the_shipped_specs_are_valid(capsys):
    assert main(["--project", str(ROOT), "validate"]) == 0
    out = capsys.readouterr().out
    assert "ok  specs/prompts.yaml  PromptsSpec" in out and "cross-spec checks passed" in out


@pytest.mark.parametrize(
    ("spec", "old", "new", "fragment", "col", "message"),
    [
        (
            "prompts",
            "Ticket: {ticket}",
            "Ticket: {ticket} ({customer})",
            "  reply: |-",
            10,
            "templates.reply: {customer} is not an input column of specs/data.yaml (columns.inputs: ticket, channel)",
        ),
        (
            "model",
            "target_modules: [q_proj, k_proj,",
            "target_modules: [q_proj, c_attn,",
            "target_modules:",
            28,
            "adapter.target_modules[1]: llama has no module 'c_attn' to adapt (it has q_proj, k_proj",
        ),
        (
            "model",
            "modules_to_save: [lm_head, embed_tokens]",
            "modules_to_save: [lm_head, wte]",
            "modules_to_save:",
            30,
            "adapter.modules_to_save[1]: llama has no module 'wte' to train in full",
        ),
        (
            "model",
            "max_length: 128",
            "max_length: 512",
            "max_length: 512",
            15,
            "training.max_length: max_length (512) is longer than the model's context (256 tokens, "
            "base.architecture.context_length)",
        ),
        (
            "deployment",
            "max_tokens: 64 ",
            "max_tokens: 128 ",
            "max_tokens: 128",
            17,
            "service.generation.max_tokens: max_prompt_tokens + max_tokens (160 + 128) exceed the model's context "
            "(256 tokens, base.architecture.context_length in specs/model.yaml)",
        ),
        (
            "deployment",
            "engine: transformers",
            "engine: vllm",
            "engine: vllm",
            11,
            None,  # the shipped deployment asks for a GPU: vllm is fine there
        ),
        (
            "evaluation",
            "    - id: go-0000",
            "    - id: go-9999",
            "id: go-9999",
            11,
            "golden.cases[0].id: no row of the golden split has id 'go-9999'",
        ),
        (
            "evaluation",
            "  repeat: 1 ",
            "  repeat: 3 ",
            "  repeat: 3",
            11,
            "golden.repeat: greedy decoding repeats the same output: use decoding.strategy sample",
        ),
        (
            "evaluation",
            'value: "\\\\bshipping\\\\b"',
            'value: "(shipping"',
            'value: "(shipping"',
            18,
            "golden.cases[3].assert[0].value: not a regular expression: missing ), unterminated subpattern",
        ),
        (
            "prompts",
            "default: reply",
            "default: answer",
            "default: answer",
            10,
            "default: 'answer' is not a template (known: reply)",
        ),
    ],
    ids=[
        "prompt variable not a column",
        "target module absent",
        "module to save absent",
        "max length past the context",
        "token limits past the context",
        "vllm with a gpu",
        "golden case without a row",
        "repeats under greedy decoding",
        "invalid regex",
        "default template missing",
    ],
)
def test_a_cross_spec_problem_is_placed(project: Path, capsys, spec, old, new, fragment, col, message):
    path = _edit(project, spec, old, new)
    if message is None:
        assert main(["--project", str(project), "validate"]) == 0
        return
    err = _problems(project, capsys)
    assert f"specs/{spec}.yaml:{_line(path, fragment)}:{col}: {message}" in err, err


def test_vllm_without_a_gpu_is_refused(project: Path, capsys):
    _edit(project, "deployment", "engine: transformers", "engine: vllm")
    path = _edit(project, "deployment", "    gpu: 1", "    gpu: 0")
    err = _problems(project, capsys)
    line = _line(path, "engine: vllm")
    assert f"specs/deployment.yaml:{line}:11: service.engine: vllm needs a GPU" in err


def test_an_unknown_assertion_lists_promptfoo_names(project: Path, capsys):
    _edit(project, "evaluation", "        - type: equals", "        - type: similar")
    path = project / "specs" / "evaluation.yaml"
    line = _line(path, "type: similar")
    assert (
        f"specs/evaluation.yaml:{line}:17: golden.cases[0].assert[0].type: unknown type 'similar'; use one of "
        "equals, contains, icontains, not-contains, starts-with, regex, contains-any, contains-all, is-json, "
        "max-length, latency"
    ) in _problems(project, capsys)
