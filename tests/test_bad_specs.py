"""A corpus of broken specs: each must exit 2 with the right file, line and message, never a traceback."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import cli

BILLION_LAUGHS = "\n".join(
    ["apiVersion: gated-ml/v1", "a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
       f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)]
) + "\n"


def replace(old: str, new: str) -> Callable[[Path], None]:
    def mutate(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"corpus case is stale: {old!r} not in {path.name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def append_to_data(split: str) -> Callable[[Path], None]:
    def mutate(spec: Path) -> None:
        with open(spec.parents[1] / "data" / f"{split}.jsonl", "a", encoding="utf-8") as handle:
            handle.write('{"id": "x-1", "text": "a new ticket", "queue": "billing", "channel": "chat"}\n')

    return mutate


@dataclass(frozen=True)
class Case:
    name: str
    stem: str  # the spec file that is changed
    mutate: Callable[[Path], None]
    line: int | str | tuple[str, int]  # a line, or text whose last line (+ offset) after the change
    fragment: str  # must appear in the message
    reported_in: str = ""  # the file the error is reported in, when not `stem`


CASES = [
    Case("syntax", "model", replace("  seed: 42", "  seed: 42: 43"), "seed: 42: 43", "invalid YAML"),
    Case("unknown-key", "model", replace("  learning_rate:", "  learning_rte:"), "learning_rte",
         "unknown field 'learning_rte'; did you mean 'learning_rate'?"),
    Case("wrong-type", "model", replace("  batch_size: 32", "  batch_size: many"), "batch_size: many",
         "valid integer"),
    Case("duplicate-key", "model", replace("  seed: 42", "  seed: 42\n  seed: 43"), "seed: 43", "duplicate key"),
    Case("alias-bomb", "data", write_bytes(BILLION_LAUGHS.encode()), 7, "expands to more than"),
    Case("python-tag", "model", replace("task: text-classification",
                                        "task: !!python/object/apply:os.system ['touch pwned']"),
         "task:", "is not allowed"),
    Case("not-utf8", "data", lambda p: p.write_bytes(p.read_bytes().replace(b"Customer-", b"Customer\xff-")),
         ("description:", 1), "not valid UTF-8 (byte 0xff)"),
    Case("missing-file", "data", replace("path: data/train.jsonl", "path: data/tickets.jsonl"), "data/tickets.jsonl",
         "file data/tickets.jsonl does not exist"),
    Case("hash-mismatch", "data", append_to_data("test"), ("path: data/test.jsonl", 1), "run the `pin-data` command"),
    Case("label-mismatch", "model", replace("labels: [billing, technical, account, shipping, returns]",
                                            "labels: [billing, technical, account, shipping, refunds]"),
         "labels: [billing", "labels must equal specs/data.yaml labels (missing returns; not in the data: refunds)"),
    Case("missing-field", "model", replace("  precision: fp32", "  # precision removed"), ("\ntraining:", 1),
         "required field 'precision' is missing"),
    Case("unknown-phone-region", "data", replace("regions: [US, GB]", "regions: [US, XX]"), "regions: [US, XX]",
         "'XX' is not a region phonenumbers knows"),
    Case("empty", "evaluation", write_bytes(b"# nothing here\n\n"), 1, "file is empty"),
    Case("binary", "deployment", write_bytes(b"apiVersion: \x00\x01\x02"), 1, "looks binary"),
    Case("oversized", "deployment", write_bytes(b"# " + b"x" * (1 << 20) + b"\n"), 1,
         "more than the 1048576 bytes allowed"),
    Case("bad-enum", "model", replace("precision: fp32", "precision: fp64"), "precision: fp64",
         "did you mean 'fp16'?"),
    Case("version-float", "model", replace('version: "0.1.0"', "version: 1.10"), "version: 1.10",
         'quote the value ("1.10")'),
    Case("duplicate-env", "deployment", replace("  - name: production", "  - name: staging"), "  - name: staging\n",
         "environment 'staging' is defined twice"),
    Case("unknown-gpu", "deployment", replace("    gpu_type: ", "    gpu_type: nvidia-rtx-9090 #"), "nvidia-rtx-9090",
         "does not know GPU type 'nvidia-rtx-9090'"),
    Case("list-document", "evaluation", write_bytes(b"- a\n- b\n"), 1, "must be a mapping"),
    Case("deep-nesting", "evaluation", write_bytes(b"a: " + b"[" * 200 + b"]" * 200 + b"\n"), 1, "deeper than"),
    Case("path-escape", "data", replace("path: data/golden.jsonl", "path: ../golden.jsonl"), "../golden",
         "leaves the project"),
    Case("union-tag", "model", replace("  type: scratch", "  type: scrach"), "type: scrach",
         "did you mean 'scratch'?"),
    Case("heads", "model", replace("    num_heads: 2", "    num_heads: 3"), "num_heads: 3", "must divide hidden_size"),
    Case("slice", "evaluation", replace("slices: [channel]", "slices: [chanel]"), "slices: [chanel]",
         "'chanel' is not a slice column"),
    Case("served-model", "deployment", replace("  model: ", "  model: other-model #"), "other-model",
         "serves 'other-model'"),
    Case("wrong-kind", "model", replace("kind: ModelSpec", "kind: DataSpec"), "kind: DataSpec", "'ModelSpec'"),
    Case("two-documents", "evaluation", replace("kind: EvaluationSpec", "kind: EvaluationSpec\n---\nb: 1"), "---",
         "found another document"),
]


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(default_project, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _line_of(path: Path, marker: int | str | tuple[str, int]) -> int:
    if isinstance(marker, int):
        return marker
    text, offset = marker if isinstance(marker, tuple) else (marker, 0)
    content = path.read_text(encoding="utf-8", errors="replace")
    return content[: content.rindex(text)].count("\n") + 1 + offset


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_spec_is_reported_at_its_place(project: Path, case: Case):
    spec = project / "specs" / f"{case.stem}.yaml"
    case.mutate(spec)
    result = cli(project, "validate", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    where = f"specs/{case.reported_in or case.stem}.yaml:{_line_of(spec, case.line)}:"
    lines = [line for line in result.stderr.splitlines() if line.startswith(where)]
    assert lines, f"no error at {where}:\n{result.stderr}"
    assert any(case.fragment in line for line in lines), result.stderr
    assert not (project / "pwned").exists()


def test_every_problem_of_every_file_in_one_run(project: Path):
    replace("  seed: 42", "  sed: 42")(project / "specs" / "model.yaml")
    replace("format: jsonl", "format: xml")(project / "specs" / "data.yaml")
    replace("  repeats: 10", "  repeats: 0")(project / "specs" / "evaluation.yaml")
    replace("  - name: production", "  - name: staging")(project / "specs" / "deployment.yaml")
    result = cli(project, "validate", check=False)
    assert result.returncode == 2
    for fragment in ("specs/model.yaml:", "specs/data.yaml:", "specs/evaluation.yaml:", "specs/deployment.yaml:"):
        assert fragment in result.stderr
    assert result.stderr.rstrip().endswith("5 problems")
