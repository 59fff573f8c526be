"""A baked project keeps up with the template: recorded origin, merged updates, migrated specs.

The fixture makes a template history in a temporary git repository: an "older" release (the
evaluation spec at gated-ml/v1, no migrate verb, no template-update workflow, another comment
in governance.yaml), then the template as it is now. A project baked at the older commit and
edited by its user is updated with ``cruft update``, as the template-update workflow does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import BIN, REPO, cli, run_in

PROJECT = "{{cookiecutter.project_slug}}"
PACKAGE_DIR = f"{PROJECT}/src/{{{{cookiecutter.package_name}}}}"
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"]
#: the calibration field as gated-ml/v1 wrote it, and as gated-ml/v2 (this release) does
V1_BINS = "calibration_bins: 10            # bins of the expected calibration error (ece)\n"
V2_BINS = "calibration:\n  bins: 10                      # bins of the expected calibration error (ece)\n"
GOVERNANCE_HEADER = "# Governance of this project: who may approve exceptions, and the limits the policy rules use.\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: {old!r}"
    path.write_text(text.replace(old, new))


def make_older(template: Path) -> None:
    """Turn the copy of the template into its previous release."""
    edit(template / PROJECT / "specs" / "evaluation.yaml", "apiVersion: gated-ml/v2", "apiVersion: gated-ml/v1")
    edit(template / PROJECT / "specs" / "evaluation.yaml", V2_BINS, V1_BINS)
    edit(template / PROJECT / "policies" / "governance.yaml", GOVERNANCE_HEADER, "# Governance of this project.\n")
    edit(template / PACKAGE_DIR / "cli.py", next(line for line in _lines(template / PACKAGE_DIR / "cli.py")
                                                 if line.startswith('    "migrate":')), "")  # fmt: skip
    (template / PACKAGE_DIR / "specs" / "migrate.py").unlink()
    (template / PROJECT / ".github" / "workflows" / "template-update.yml").unlink()


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def cruft(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run_in(project, str(BIN / "cruft"), *args, check=check)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> tuple[Path, str, str]:
    """A git repository of the template with an older and the current release: (path, older, current)."""
    return make_history(tmp_path_factory.mktemp("template") / "gated-ml")


def make_history(template: Path) -> tuple[Path, str, str]:
    """Copy the template's files into a new git repository at ``template``: an older, then the current release."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (template / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, template / name)
    git(template, "init", "-q")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "Current release")  # the current files, kept as a tree
    current_tree = git(template, "rev-parse", "HEAD^{tree}")
    git(template, "update-ref", "-d", "HEAD")  # start the history again from the older release
    make_older(template)
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "Older release")
    older = git(template, "rev-parse", "HEAD")
    git(template, "read-tree", "-u", "--reset", current_tree)
    git(template, "commit", "-q", "-m", "Current release")
    return template, older, git(template, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def edited(history, tmp_path_factory) -> Path:
    """A project baked by plain cookiecutter at the older commit, committed, then edited by its user."""
    template, older, _ = history
    git(template, "checkout", "-q", older)
    out = tmp_path_factory.mktemp("baked")
    try:
        run_in(out, str(BIN / "cookiecutter"), "--no-input", "-o", str(out), str(template))
    finally:
        git(template, "checkout", "-q", "main")
    project = out / "ticket-router"
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Bake")
    return project


def test_baking_records_template_commit_and_answers(edited, history):
    template, older, _ = history
    record = json.loads((edited / ".cruft.json").read_text())
    assert record["template"] == str(template) and record["commit"] == older
    answers = record["context"]["cookiecutter"]
    assert answers["project_slug"] == "ticket-router" and answers["_commit"] == older
    assert not {"_output_dir", "_repo_dir"} & answers.keys(), "no paths of the baking machine"
    assert record["skip"] == ["data", "deploy"] and record["directory"] is None
    cruft(edited, "diff", "--exit-code")  # the project is what the template made at that commit
    assert cruft(edited, "check", check=False).returncode == 1, "cruft sees the newer release"


def user_edits(project: Path) -> None:
    edit(project / "specs" / "evaluation.yaml", "  repeats: 10", "  repeats: 5 # fewer timed batches")
    edit(project / "policies" / "governance.yaml", "  max_gpus: 16", "  max_gpus: 8")
    edit(project / "src" / "ticket_router" / "cli.py", '"""The command line', '"""Our team\'s command line')
    own = (project / "specs" / "evaluation.yaml").read_text().replace("# The evaluation spec", "# Our nightly spec")
    (project / "examples" / "evaluation-nightly.yaml").write_text(own)  # a spec the template does not know
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Our changes")


def test_update_merges_the_template_and_keeps_the_users_changes(edited, history):
    project = edited.parent / "updated"
    shutil.copytree(edited, project)
    user_edits(project)
    cruft(project, "update", "--skip-apply-ask")
    spec = (project / "specs" / "evaluation.yaml").read_text()
    assert "apiVersion: gated-ml/v2" in spec and V2_BINS in spec, "the template's change arrived"
    assert "  repeats: 5 # fewer timed batches" in spec, "the user's change survived"
    governance = (project / "policies" / "governance.yaml").read_text()
    assert GOVERNANCE_HEADER in governance and "  max_gpus: 8" in governance
    cli_py = (project / "src" / "ticket_router" / "cli.py").read_text()
    assert cli_py.startswith('"""Our team\'s command line') and '    "migrate": ("specs.migrate",' in cli_py
    assert (project / ".github" / "workflows" / "template-update.yml").is_file()
    assert (project / "src" / "ticket_router" / "specs" / "migrate.py").is_file()
    assert json.loads((project / ".cruft.json").read_text())["commit"] == history[2]
    assert not list(project.rglob("*.rej")) and "<" * 7 not in spec + governance + cli_py

    nightly = project / "examples" / "evaluation-nightly.yaml"
    before = nightly.read_text()
    migrated = cli(project, "migrate").stdout
    assert "evaluation-nightly.yaml: calibration_bins -> calibration.bins; apiVersion gated-ml/v1 -> gated-ml/v2" in (
        migrated
    )
    assert "Our nightly spec" in nightly.read_text() and nightly.read_text() != before
    assert "up to date" in cli(project, "migrate").stdout
    cli(project, "validate")
    tests = ["tests/test_migrate.py", "tests/test_validate.py::test_project_specs_are_valid"]  # a fast subset
    run_in(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests)


def test_a_conflicting_change_is_reviewable_and_validate_points_at_it(edited):
    project = edited.parent / "conflicting"
    shutil.copytree(edited, project)
    spec = project / "specs" / "evaluation.yaml"
    edit(spec, "calibration_bins: 10 ", "calibration_bins: 15 ")  # the very line the template changes
    git(project, "commit", "-q", "-am", "More calibration bins")
    cruft(project, "update", "--skip-apply-ask")
    text = spec.read_text()
    assert "calibration_bins: 15" in text, "the user's value is never silently overwritten"
    marker = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("<" * 7))
    result = cli(project, "validate", check=False)
    assert result.returncode == 2
    assert f"specs/evaluation.yaml:{marker}:1: unresolved merge conflict" in result.stderr
    resolved = (
        text[: text.index("<" * 7)] + "calibration:\n  bins: 15\n" + text[text.index(">" * 7) :].split("\n", 1)[1]
    )
    spec.write_text(resolved)
    cli(project, "validate")


def test_rejected_hunks_are_reported_until_deleted(default_project, tmp_path):
    project = tmp_path / "rejected"
    shutil.copytree(default_project, project)
    (project / "policies" / "default.yaml.rej").write_text("@@ -1 +1 @@\n-old\n+new\n")
    result = cli(project, "validate", check=False)
    assert result.returncode == 2
    expected = "policies/default.yaml.rej:1:1: a template update could not apply these changes to policies/default.yaml"
    assert expected in result.stderr


def test_cruft_create_bakes_the_same_record(history, tmp_path):
    template, _, current = history
    env_out = tmp_path / "created"
    run_in(tmp_path, str(BIN / "cruft"), "create", "--no-input", "--output-dir", str(env_out), str(template))
    record = json.loads((env_out / "ticket-router" / ".cruft.json").read_text())
    assert record["template"] == str(template) and record["commit"] == current
    assert record["context"]["cookiecutter"]["package_name"] == "ticket_router"
    assert (env_out / "ticket-router" / "schemas" / "evaluation.schema.json").is_file(), "the hooks ran under cruft"
    assert os.listdir(env_out) == ["ticket-router"]


def test_the_update_workflow_opens_one_pull_request_and_never_overwrites_people(default_project):
    sys.path.insert(0, str(REPO / "scripts"))
    from rehearse import STANDIN, load_workflow

    workflow = load_workflow(default_project / ".github" / "workflows" / "template-update.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "cruft update --skip-apply-ask" in runs and "-m ticket_router migrate" in runs
    assert "-m ticket_router validate" in runs, "the conflicts validate finds go into the description"
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "the three-way merge needs the baked commit's blobs"
    (push,) = [step for step in job["steps"] if "gh pr create" in str(step.get("run", ""))]
    assert STANDIN in push["env"] and job["env"]["BRANCH"] == "template-update"
    assert 'gh pr list --head "$BRANCH"' in push["run"] and "gh pr edit" in push["run"], "one pull request, refreshed"
    assert push["run"].index('grep -qv -F "$GIT_AUTHOR_EMAIL"') < push["run"].index("git push --force")


def test_the_record_names_a_clonable_source_or_explains_why_there_is_none(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "hooks"))
    import cruft_record

    top = tmp_path / "checkout"
    assert cruft_record.template_source("gh:acme/gated-ml", top) == "https://github.com/acme/gated-ml.git"
    for url in ("https://example.com/t.git", "git@example.com:acme/t.git", "ssh://git@example.com/t"):
        assert cruft_record.template_source(url, top) == url
    assert cruft_record.template_source("../gated-ml", top) == str(top), "a local path is recorded absolute"
    plain = tmp_path / "plain"
    plain.mkdir()
    cruft_record.record_origin(plain, plain, {"_template": str(plain)})
    assert not (plain / ".cruft.json").exists() and "not a git checkout" in capsys.readouterr().err
    cruft_record.record_origin(plain, REPO, {"_template": str(REPO), "_commit": "abc"})
    assert not (plain / ".cruft.json").exists(), "under cruft, cruft writes the record"
