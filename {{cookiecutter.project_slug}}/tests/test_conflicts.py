"""validate finds what a template update left unresolved: conflict markers and .rej files, at file:line."""

from __future__ import annotations

import os
from pathlib import Path

from {{ cookiecutter.package_name }}.specs.conflicts import unresolved_updates

CONFLICT = "<" * 7 + " ours\nbins: 15\n" + "=" * 7 + "\nbins: 10\n" + ">" * 7 + " theirs\n"


def test_markers_and_rejected_hunks_are_placed(tmp_path: Path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "evaluation.yaml").write_text("kind: EvaluationSpec\n" + CONFLICT)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "cli.py").write_text('"""ok"""\n\n' + CONFLICT)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "default.yaml.rej").write_text("@@ -1 +1 @@\n-a\n+b\n")
    root = tmp_path.resolve()
    found = {(Path(p.path).resolve().relative_to(root).as_posix(), p.line) for p in unresolved_updates(tmp_path)}
    assert found == {("specs/evaluation.yaml", 2), ("src/pkg/cli.py", 3), ("policies/default.yaml.rej", 1)}


def test_look_alikes_links_fifos_and_ignored_folders_are_not_conflicts(tmp_path: Path):
    (tmp_path / "notes.md").write_text("a line with " + "<" * 7 + " inside is no marker\n" + "<" * 8 + " nor this\n")
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "log.txt").write_text(CONFLICT)  # runs are not reviewed code
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl.rej").write_text("x\n")  # updates never touch data/
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text(CONFLICT)
    (tmp_path / "link.txt").symlink_to(outside)
    os.mkfifo(tmp_path / "pipe")  # reading it would block validate forever
    assert unresolved_updates(tmp_path) == []
