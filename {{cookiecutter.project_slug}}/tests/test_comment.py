"""The pull request's report comment, rendered from real gate and diff outputs of a CPU run and a full run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.governance.policy.comment import main as comment_main

from .conftest import PACKAGE, ROOT, copy_project
from .runfixtures import good_metrics, release, write_run

NOW = ["--now", "2026-11-23T12:00:00Z"]
MARKER = "<!-- ticket-router-pr-report -->"
CPU, GPU = "CPU run (smoke profile)", "Full run (full profile)"
#: the most an ordinary pull request's comment may weigh (GitHub shows far more, people read far less)
MAX_BYTES = 4096


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A branch with one spec edit over a released `main`, and runs of it, each gated: ``cpu`` (with the
    diff), ``gpu`` (better) and ``weak`` (blocked). Tests only read it."""
    project = copy_project(tmp_path_factory.mktemp("pull-request"))
    release(project, 0.9, ece=0.05)
    spec = project / "specs" / "model.yaml"
    spec.write_text(spec.read_text().replace("learning_rate: 0.001", "learning_rate: 0.002"))
    gpu_metrics, weak_metrics = good_metrics("gpu"), good_metrics("weak")
    gpu_metrics["test"].update(macro_f1=0.93)
    weak_metrics["test"].update(macro_f1=0.7)
    for run_id, metrics in (("cpu", None), ("gpu", gpu_metrics), ("weak", weak_metrics)):
        write_run(project, run_id, metrics=metrics)
        main(["--project", str(project), "gate", "--stage", "pr", "--run", run_id, *NOW])
    diff = project / "artifacts" / "cpu" / "diff.md"
    assert main(["--project", str(project), "diff", "--base", "main", "--run", "cpu", "--out", str(diff), *NOW]) == 0
    return project


def _comment(project: Path, out: Path, gpu: str = "success", *, gpu_run: str = "gpu", capsys) -> str:
    runs = project / "artifacts"
    args = ["--marker", MARKER, "--title", "ticket-router: pull request report"]
    args += ["--run", CPU, "success", str(runs / "cpu"), "--run", GPU, gpu, str(runs / gpu_run)]
    args += ["--skipped-note", GPU, "**No full training run.** Add the `train-full` label."]
    assert comment_main([*args, "--diff", str(runs / "cpu" / "diff.md"), "--out", str(out)]) == 0
    capsys.readouterr()
    return out.read_text(encoding="utf-8")


def _rule_ids(text: str) -> list[str]:
    """Rule ids in the finding tables and the passed list (the diff's table of changes left out)."""
    policy_changes = re.search(r"### 🛡️ Policy results.*?(?=\n### |\n<details>|\Z)", text, re.S)
    kept = text.replace(policy_changes.group(0), "") if policy_changes else text
    return re.findall(r"\*\*([A-Z]+-\d{3})\*\*", kept)


def test_verdict_first_each_finding_once_every_run_measured(pull_request: Path, tmp_path: Path, capsys):
    text = _comment(pull_request, tmp_path / "report.md", capsys=capsys)
    lines = text.splitlines()
    assert lines[0] == MARKER and lines[1] == "## ticket-router: pull request report"
    verdict = text.index("✅ **Every gate passed**")
    assert verdict < text.index("\n### ")
    assert f"- ✅ {GPU}: **success** · gate at `pr` passed" in text
    headings = [line for line in lines if line.startswith("#")]
    assert [h.split(" ")[0] for h in headings] == ["##"] + ["###"] * (len(headings) - 1), headings
    ids = _rule_ids(text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert text.count("**DATA-003**") == 1 and text.count("passed</summary>") == 1
    metrics = text[text.index("### 📊 Metrics") :]
    assert f"| metric | production | {CPU} | {GPU} |" in metrics
    assert "| **macro_f1** | 0.900 | 0.910 (+0.010 ▲) | 0.930 (+0.030 ▲) |" in metrics
    assert "### 📝 Changes since `main`" in text and "### 📊 Metrics against production" not in text
    assert len(text.encode()) < MAX_BYTES, len(text.encode())


def test_what_blocks_comes_right_after_the_verdict(pull_request: Path, tmp_path: Path, capsys):
    text = _comment(pull_request, tmp_path / "report.md", gpu_run="weak", capsys=capsys)
    assert "⛔ **Blocked**" in text and f"{GPU}: **success** · gate at `pr` blocked by QUAL-001" in text
    sections = re.findall(r"^### (.*)$", text, re.M)
    assert sections[0] == "Blocking (2)" and sections[1] == "📊 Metrics"  # QUAL-001 and REG-001
    assert f"| ❌ | **QUAL-001** Test macro-F1 is at least 0.85 | {GPU} |" in text
    ids = _rule_ids(text)
    assert ids.count("QUAL-001") == 2  # blocking on the full run, passed on the CPU run
    assert f"**QUAL-001** Test macro-F1 is at least 0.85 ({CPU})" in text


def test_a_skipped_gpu_run_is_said_and_left_out_of_the_figures(pull_request: Path, tmp_path: Path, capsys):
    text = _comment(pull_request, tmp_path / "report.md", gpu="skipped", capsys=capsys)
    assert "> **No full training run.** Add the `train-full` label." in text
    assert f"- ⏭️ {GPU}: **skipped**" in text
    assert f"| metric | production | {CPU} |\n" in text
    assert len(text.encode()) < MAX_BYTES


def test_a_run_that_stopped_early_is_reported(pull_request: Path, capsys, tmp_path: Path):
    args = ["--title", "t", "--run", CPU, "failure", str(tmp_path / "nothing"), "--diff", str(tmp_path / "none.md")]
    assert comment_main(args) == 0
    text = capsys.readouterr().out
    assert "⛔ **Blocked**" in text and f"{CPU}: **failure** · no gate report" in text
    assert "No change report" in text


def test_the_report_job_renders_it_without_installing_anything(pull_request: Path):
    """``python -S``: no site-packages, only the standard library and the project's src/."""
    runs = pull_request / "artifacts"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    args = ["--title", "t", "--run", CPU, "success", str(runs / "cpu"), "--diff", str(runs / "cpu" / "diff.md")]
    done = subprocess.run(
        [sys.executable, "-S", "-m", f"{PACKAGE}.governance.policy.comment", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "✅ **Every gate passed**" in done.stdout
