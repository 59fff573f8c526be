"""The local rehearsal of GitHub workflows: its expressions, its runner, and the baked project's CI."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import GIT_ID, PR_LABELS, REPO, TASK_BAKES, baked_repository, pr_rehearsal_group, rehearse_workflow

sys.path.insert(0, str(REPO / "scripts"))
import rehearse  # noqa: E402
import template_import  # noqa: E402
from gh_expressions import Evaluator, ExpressionError  # noqa: E402

# -- expressions ------------------------------------------------------------------------------

CONTEXTS = {
    "github": {
        "repository": "Acme/Router",
        "event": {
            "pull_request": {
                "number": 7,
                "labels": [{"name": "train-gpu"}, {"name": "docs"}],
                "head": {"repo": {"full_name": "acme/router"}},
            }
        },
    },
    "needs": {"train-gpu": {"result": "skipped", "outputs": {}}},
    "env": {"N": "3"},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("github.event.pull_request.number", 7),
        ("contains(github.event.pull_request.labels.*.name, 'TRAIN-GPU')", True),
        ("contains(github.event.pull_request.labels.*.name, 'gpu')", False),  # membership, not substring
        ("contains('train-gpu', 'gpu')", True),  # on strings it is a substring test
        ("github.event.pull_request.head.repo.full_name == github.repository", True),  # case-insensitive
        ("needs.train-gpu.result != 'skipped'", False),
        ("'' || 'fallback'", "fallback"),
        ("env.N && 'yes'", "yes"),
        ("env.N == 3", True),  # a string and a number compare as numbers
        ("format('{0}-{1}', 'a', 1)", "a-1"),
        ("format('{{0}}', 1)", "{0}"),
        ("github.missing.deeper", None),
        ("fromJSON('[1, 2]')[1]", 2),
        ("!startsWith('release-1', 'RELEASE')", False),
        ("join(github.event.pull_request.labels.*.name, ', ')", "train-gpu, docs"),
        ("github['event']['pull_request'].number >= 7", True),
        ("'it''s'", "it's"),
    ],
)
def test_expression_values(expression, value):
    assert Evaluator(CONTEXTS).evaluate(expression) == value


@pytest.mark.parametrize(
    ("condition", "status", "expected"),
    [
        (None, "success", True),
        (None, "failure", False),
        ("github.event.pull_request.number == 7", "failure", False),  # an implicit success() &&
        ("${{ !cancelled() }}", "failure", True),
        ("failure()", "failure", True),
        ("always()", "skipped", True),
        ("success()", "skipped", False),
        ("${{ contains(github.event.pull_request.labels.*.name, 'docs') }}", "success", True),
    ],
)
def test_conditions(condition, status, expected):
    assert Evaluator(CONTEXTS, status=status).condition(condition) is expected


def test_substitution_and_errors():
    evaluator = Evaluator(CONTEXTS)
    assert evaluator.substitute("pr-${{ github.event.pull_request.number }}-cpu") == "pr-7-cpu"
    assert evaluator.value("${{ github.event.pull_request.number }}") == 7  # a lone expression keeps its type
    assert evaluator.value("${{ env.N }}@${{ env.N }}") == "3@3"
    for bad in ("secrets.TOKEN", "nosuchfunction(1)", "github.repository ==", "'unterminated"):
        with pytest.raises(ExpressionError):
            evaluator.evaluate(bad)


# -- the runner, on small workflows -----------------------------------------------------------


def project_with(tmp_path: Path, workflow: str, files: dict[str, str] | None = None) -> Path:
    """A git repository on branch main holding ``workflow`` as .github/workflows/w.yml."""
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "w.yml").write_text(textwrap.dedent(workflow))
    for name, text in (files or {}).items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", *GIT_ID, "commit", "-q", "-m", "init"], cwd=project, check=True)
    return project


def rehearse_in(project: Path, *args: str) -> tuple[int, Path, list[str]]:
    out = project.parent / "out"
    lines: list[str] = []
    try:
        rehearsal = rehearse.Rehearsal(
            project,
            project / ".github" / "workflows" / "w.yml",
            out,
            labels=tuple(a.split("=", 1)[1] for a in args if a.startswith("label=")),
            inputs=dict(a.split("=", 1) for a in args if not a.startswith("label=")),
            echo=lines.append,
        )
        return rehearsal.run(), out, lines
    except rehearse.RehearsalError as err:
        return 2, out, [str(err)]


def statuses(out: Path) -> dict[str, dict]:
    summary = json.loads((out / "rehearsal.json").read_text())
    return {
        job_id: {"result": job["result"], **{step["name"]: step["status"] for step in job["steps"]}}
        for job_id, job in summary["jobs"].items()
    }


SYNTHETIC = """\
    name: synthetic
    on:
      pull_request:
        types: [opened, labeled]
    permissions: {}
    env:
      GREETING: hello-${{ github.event.pull_request.number }}
    jobs:
      make:
        runs-on: ubuntu-latest
        outputs:
          word: ${{ steps.write.outputs.word }}
        steps:
          - uses: actions/checkout@0000000000000000000000000000000000000000
            with:
              persist-credentials: false
          - id: write
            name: write
            run: |
              mkdir out && echo "$GREETING" > out/greeting.txt
              echo "word=bird" >> "$GITHUB_OUTPUT"
              echo "LATER=from-env-file" >> "$GITHUB_ENV"
              echo "## made it" >> "$GITHUB_STEP_SUMMARY"
          - name: env file
            run: test "$LATER" = from-env-file && test "$GITHUB_EVENT_NAME" = pull_request
          - name: only on failure
            if: failure()
            run: exit 1
          - name: allowed to fail
            continue-on-error: true
            run: exit 3
          - name: still runs
            run: test -f out/greeting.txt
          - name: upload
            uses: actions/upload-artifact@0000000000000000000000000000000000000000
            env:
              REHEARSAL_STANDIN: out/, as the artifact made
            with:
              name: made
              path: out/
      use:
        needs: make
        runs-on: ubuntu-latest
        environment: production
        steps:
          - uses: actions/checkout@0000000000000000000000000000000000000000
          - name: fresh workspace
            run: test ! -e out && test -f tracked.txt
          - name: download
            uses: actions/download-artifact@0000000000000000000000000000000000000000
            env:
              REHEARSAL_STANDIN: nothing; fetches the artifact made
            with:
              name: made
              path: got
          - name: artifact arrived
            run: test "$(cat got/greeting.txt)" = hello-1
          - name: send
            env:
              REHEARSAL_STANDIN: got/greeting.txt, to a web service
              WORD: ${{ needs.make.outputs.word }}
              FILE: got/greeting.txt
            run: curl --fail -X POST https://example.invalid --data-binary @"$FILE"
      gpu:
        if: contains(github.event.pull_request.labels.*.name, 'train-gpu')
        runs-on: gpu-l4
        steps:
          - name: on the gpu runner
            run: "true"
"""


def test_rehearsal_runs_steps_hands_artifacts_on_and_records_stand_ins(tmp_path):
    project = project_with(tmp_path, SYNTHETIC, {"tracked.txt": "x"})
    code, out, lines = rehearse_in(project, "label=train-gpu")
    assert code == 0, "\n".join(lines)
    jobs = statuses(out)
    assert jobs["make"] == {
        "result": "success",
        "actions/checkout@0000000000000000000000000000000000000000": "success",
        "write": "success",
        "env file": "success",
        "only on failure": "skipped",
        "allowed to fail": "failure",
        "still runs": "success",
        "upload": "success",
    }
    assert jobs["use"]["result"] == "success" and jobs["gpu"]["result"] == "success"
    sent = {path.parent.name.split("-", 1)[1]: json.loads(path.read_text()) for path in out.glob("sent/*/request.json")}
    assert sent["use-send"]["env"]["WORD"] == "bird"  # a job output, through needs
    assert sent["use-send"]["files"] == ["got/greeting.txt"]
    assert (out / "sent").glob("*-use-send/files/got/greeting.txt")
    assert "curl" in sent["use-send"]["run"]  # recorded; it never ran (there is no network here)
    assert sent["use-environment-production"]["environment"] == "production"
    assert sent["make-upload"]["artifact"] == "artifacts/made"
    assert (out / "artifacts" / "made" / "greeting.txt").read_text() == "hello-1\n"
    assert (out / "summaries" / "make.md").read_text() == "## made it\n"


def test_a_job_without_the_label_is_skipped(tmp_path):
    code, out, _ = rehearse_in(project_with(tmp_path, SYNTHETIC, {"tracked.txt": "x"}))
    assert code == 0
    assert statuses(out)["gpu"] == {"result": "skipped"}


def test_a_failure_skips_dependents_unless_they_ask_to_run(tmp_path):
    code, out, lines = rehearse_in(
        project_with(
            tmp_path,
            """\
            on: push
            jobs:
              broken:
                runs-on: ubuntu-latest
                steps:
                  - name: fails
                    run: echo "visible in the log"; exit 4
                  - name: after
                    run: "true"
              dependent:
                needs: broken
                runs-on: ubuntu-latest
                steps:
                  - run: "true"
              reporter:
                needs: broken
                if: ${{ !cancelled() }}
                runs-on: ubuntu-latest
                env:
                  RESULT: ${{ needs.broken.result }}
                steps:
                  - name: sees the failure
                    run: test "$RESULT" = failure
            """,
        )
    )
    assert code == 1
    jobs = statuses(out)
    assert jobs["broken"] == {"result": "failure", "fails": "failure", "after": "skipped"}
    assert jobs["dependent"] == {"result": "skipped"}
    assert jobs["reporter"] == {"result": "success", "sees the failure": "success"}
    assert any("exit 4" in line and "visible in the log" in line for line in lines)


def test_a_runner_picked_by_an_earlier_job_is_evaluated_and_an_empty_one_fails(tmp_path):
    """``runs-on`` from a plan job's outputs is recorded as evaluated; a misspelt output leaves it empty."""
    code, out, lines = rehearse_in(
        project_with(
            tmp_path,
            """\
            on: push
            jobs:
              plan:
                runs-on: ubuntu-latest
                outputs:
                  runner: ${{ steps.pick.outputs.runner }}
                steps:
                  - id: pick
                    run: echo "runner=gpu-l4" >> "$GITHUB_OUTPUT"
              train:
                needs: plan
                runs-on: ${{ needs.plan.outputs.runner }}
                steps:
                  - run: "true"
              misspelt:
                needs: plan
                runs-on: ${{ needs.plan.outputs.runners }}
                steps:
                  - run: "true"
            """,
        )
    )
    summary = json.loads((out / "rehearsal.json").read_text())
    assert code == 1
    assert summary["jobs"]["train"]["runs_on"] == "gpu-l4" and summary["jobs"]["train"]["result"] == "success"
    assert summary["jobs"]["misspelt"]["result"] == "failure" and summary["jobs"]["misspelt"]["steps"] == []
    assert any("job misspelt: FAILED" in line and "is empty" in line for line in lines)


def test_checkout_depth_is_honoured(tmp_path):
    code, out, lines = rehearse_in(
        project_with(
            tmp_path,
            """\
            on: pull_request
            jobs:
              shallow:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@0000000000000000000000000000000000000000
                  - name: no base branch
                    run: "! git rev-parse --verify -q origin/main"
              deep:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@0000000000000000000000000000000000000000
                    with:
                      fetch-depth: 0
                  - name: base branch
                    run: git rev-parse --verify -q "origin/$GITHUB_BASE_REF"
            """,
        )
    )
    assert code == 0, "\n".join(lines)


def test_a_step_timeout_stops_it(tmp_path):
    code, out, lines = rehearse_in(
        project_with(
            tmp_path,
            """\
            on: push
            jobs:
              slow:
                runs-on: ubuntu-latest
                steps:
                  - name: sleeps
                    timeout-minutes: 0.02
                    run: sleep 30
            """,
        )
    )
    assert code == 1
    assert any("timed out" in line for line in lines)


def test_the_reviews_stand_in_answers_with_the_given_reviews_at_head(tmp_path):
    project = project_with(
        tmp_path,
        """\
        on: pull_request
        jobs:
          gate:
            runs-on: ubuntu-latest
            env:
              HEAD_SHA: ${{ github.event.pull_request.head.sha }}
            steps:
              - name: Fetch reviews
                env:
                  REHEARSAL_STANDIN: the reviews, from GitHub's API
                  REVIEWS_FILE: ${{ runner.temp }}/reviews.json
                run: gh api --paginate "repos/${GITHUB_REPOSITORY}/pulls/1/reviews" > "$REVIEWS_FILE"
              - name: Read them
                env:
                  REVIEWS_FILE: ${{ runner.temp }}/reviews.json
                run: |
                  python -c "import json,os; r=json.load(open(os.environ['REVIEWS_FILE'])); \\
                  h=os.environ['HEAD_SHA']; got=[(x['user']['login'], x['state'], x['commit_id']) for x in r]; \\
                  assert got == [('owner', 'APPROVED', h), ('other', 'CHANGES_REQUESTED', h)], r"
        """,
    )
    out = tmp_path / "out"
    rehearsal = rehearse.Rehearsal(
        project,
        project / ".github" / "workflows" / "w.yml",
        out,
        reviews=("owner", "other=changes_requested"),
        echo=lambda line: None,
    )
    assert rehearsal.run() == 0, (out / "rehearsal.json").read_text()
    (request,) = [json.loads(p.read_text()) for p in out.glob("sent/*-gate-fetch-reviews/request.json")]
    assert [review["user"]["login"] for review in request["answered"]] == ["owner", "other"]


def test_an_unmarked_action_cannot_be_rehearsed(tmp_path):
    code, out, lines = rehearse_in(
        project_with(
            tmp_path,
            """\
            on: push
            jobs:
              publish:
                runs-on: ubuntu-latest
                steps:
                  - name: Comment
                    uses: some/commenter@0000000000000000000000000000000000000000
            """,
        )
    )
    assert code == 2
    assert "jobs.publish.steps[0] (Comment): no local equivalent for some/commenter" in lines[0]
    assert not out.exists(), "nothing runs before the whole workflow is known to be rehearsable"


def test_cli_exit_codes(tmp_path):
    project = project_with(tmp_path, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: 'true'\n")
    assert rehearse.main([str(project), "w", "--out", str(tmp_path / "o")]) == 0
    assert rehearse.main([str(project), "nosuch"]) == 2
    assert rehearse.main([str(project), "w", "--event", "pull_request"]) == 2
    assert rehearse.main([str(tmp_path), str(project / ".github" / "workflows" / "w.yml")]) == 2  # not a repo


# -- the baked project's own workflows ---------------------------------------------------------


def test_rollback_rehearsal_restores_a_release(tmp_path):
    project = baked_repository(tmp_path)
    state = project / "deploy" / "production" / "service.yaml"
    state.parent.mkdir(parents=True)
    state.write_text("image: example:1\n")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", *GIT_ID, "commit", "-q", "-m", "release 1"], cwd=project, check=True)
    subprocess.run(["git", "tag", "release-1"], cwd=project, check=True)
    state.write_text("image: example:2\n")
    subprocess.run(["git", *GIT_ID, "commit", "-q", "-am", "release 2"], cwd=project, check=True)
    out = tmp_path / "rehearsal"
    code = rehearse.main([str(project), "rollback", "--out", str(out), "--input", "tag=release-1"])
    assert code == 0, (out / "rehearsal.json").read_text()
    workspace = out / "jobs" / "rollback" / "workspace"
    assert (workspace / "deploy" / "production" / "service.yaml").read_text() == "image: example:1\n"
    log = subprocess.run(["git", "log", "-1", "--format=%s"], cwd=workspace, capture_output=True, text=True).stdout
    assert log.strip() == "Roll back production to release-1"
    (push,) = out.glob("sent/*-rollback-push-the-desired-state/request.json")
    assert "git push" in json.loads(push.read_text())["run"]
    assert rehearse.main([str(project), "rollback", "--out", str(out), "--input", "tag=no-such-tag"]) == 1
    assert rehearse.main([str(project), "rollback", "--out", str(out), "--input", "tag=$(id)"]) == 1


def missing_verbs(workflow: str) -> list[str]:
    """CLI verbs the workflow calls that the baked package does not have yet."""
    template_import.load()
    commands = importlib.import_module("template_package.cli").COMMANDS
    text = (REPO / "{{cookiecutter.project_slug}}" / ".github" / "workflows" / workflow).read_text()
    call = "-m {{ cookiecutter.package_name }} "  # a CLI verb, not a module such as .policy.comment
    verbs = {line.split(call)[1].split()[0] for line in text.splitlines() if call in line}
    return sorted(verbs - set(commands))


def skip_unless_the_cli_has(workflow: str) -> None:
    missing = missing_verbs(f"{workflow}.yml")
    if missing:
        pytest.skip(f"the baked CLI has no {', '.join(missing)} yet")


def passed_every_step(
    code: int, out: Path, skipped_jobs: tuple[str, ...] = (), skipped_steps: tuple[tuple[str, str], ...] = ()
) -> dict:
    """The rehearsal summary, after checking that every job and step passed (``skipped_jobs`` were skipped,
    and the (job, step) pairs of ``skipped_steps``, whose ``if:`` was false)."""
    summary = json.loads((out / "rehearsal.json").read_text())
    assert code == 0, json.dumps(summary, indent=2)
    failed = [
        (job_id, step["name"])
        for job_id, job in summary["jobs"].items()
        for step in job["steps"]
        if step["status"] != ("skipped" if (job_id, step["name"]) in skipped_steps else "success")
    ]
    results = {job_id: job["result"] for job_id, job in summary["jobs"].items()}
    assert not failed, failed
    assert results == {job_id: "skipped" if job_id in skipped_jobs else "success" for job_id in results}
    return summary


def trained_where_the_plan_said(summary: dict, training: str) -> None:
    """The default model spec (``gpus: 0``) puts the training job on the CPU runner with CPU torch."""
    plan = summary["jobs"]["plan"]
    assert plan["outputs"] == {"runner": "ubuntu-latest", "torch_index": "https://download.pytorch.org/whl/cpu"}
    assert summary["jobs"][training]["runs_on"] == plan["outputs"]["runner"]


def sent_requests(out: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in out.glob("sent/*/request.json")}


@pytest.mark.slow
@pytest.mark.parametrize("task", [pytest.param(task, marks=pr_rehearsal_group(task)) for task in TASK_BAKES])
def test_rehearse_the_pr_workflow(pr_rehearsal, task):
    """Every job and step of the task's pr.yml runs here and passes: with the full run where the pull
    request asks for it (see ``PR_LABELS``), and a report that says there was none where it does not."""
    skip_unless_the_cli_has("pr")
    code, out = pr_rehearsal(task)
    full_run = "train-full" in PR_LABELS[task]
    no_full_run = {"skipped_jobs": ("plan", "train-full"), "skipped_steps": (("report", "Download the full run"),)}
    summary = passed_every_step(code, out, **({} if full_run else no_full_run))
    sent = sent_requests(out)
    fetched = [r for name, r in sent.items() if name.endswith("fetch-the-pull-request-s-reviews")]
    assert len(fetched) == 1 + full_run and all(r["answered"][0]["state"] == "APPROVED" for r in fetched)
    verdict = json.loads((out / "artifacts" / "pr-run-cpu" / "gate.json").read_text())
    assert verdict["policies"]["ref"] == "origin/main" and verdict["policies"]["reviews"].endswith("reviews.json")
    assert verdict["policies"]["changes"] == [] and verdict["after_merge"]["verdict"] == verdict["verdict"]
    (comment,) = [r for name, r in sent.items() if name.endswith("post-or-update-the-report-comment")]
    report = (out / "sent").glob("*-post-or-update-the-report-comment/files/report.md")
    text = next(report).read_text()
    assert re.match(r"<!-- [a-z0-9-]+-pr-report -->", text)
    if full_run:
        trained_where_the_plan_said(summary, "train-full")
        assert "Full run (full profile): **success**" in text
        assert "| metric | production | CPU run (smoke profile) | Full run (full profile) |" in text
    else:
        assert "**No full training run.**" in text
    assert len(text.encode()) < 4096, "an ordinary pull request's comment stays under 4 KB"
    assert comment["files"] == ["report.md"]
    (sarif,) = [r for name, r in sent.items() if name.endswith("upload-the-gate-s-sarif")]
    assert any(name.endswith(".sarif") for name in sarif["files"])


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASK_BAKES))
def test_rehearse_the_release_workflow(tmp_path, task):
    """Every job and step of the task's release.yml runs here and passes."""
    skip_unless_the_cli_has("release")
    code, out = rehearse_workflow(tmp_path, "release", **TASK_BAKES[task])
    trained_where_the_plan_said(passed_every_step(code, out), "gate")
    # the plan's .venv has no torch: the training job installs the build the plan picked
    install = next((out / "logs" / "gate").glob("*-install-the-project*.log")).read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in install
    sent = sent_requests(out)
    (release,) = [r for name, r in sent.items() if name.endswith("publish-the-github-release")]
    assert {Path(name).name for name in release["files"]} == {"MODEL_CARD.md", "metrics.json", "gate.json"}
    assert any(name.endswith("environment-production") for name in sent)


def test_a_stand_in_digest_is_well_formed():
    """Commands that check a digest (render --digest) run on in a rehearsal, with a visible placeholder's hash."""
    outputs = rehearse.StandInOutputs("image")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", outputs["digest"])
    assert outputs["reference"] == "<stand-in: steps.image.outputs.reference>"


@pytest.mark.slow
def test_rehearse_the_monitor_workflow_on_a_shifted_log(tmp_path):
    """A released project whose traffic shifted: the gate blocks on DRIFT-001, one issue and a retraining PR follow."""
    missing = missing_verbs("monitor.yml")
    if missing:
        pytest.skip(f"the baked CLI has no {', '.join(missing)} yet")
    project = baked_repository(tmp_path)
    logs = tmp_path / "prediction-log"
    prepare = [sys.executable, str(REPO / "scripts" / "monitor_rehearsal.py"), str(project), str(logs)]
    subprocess.run(prepare, check=True)
    out = tmp_path / "rehearsal"
    args = ["--out", str(out), "--event", "workflow_dispatch", "--input", f"logs={logs}"]
    code = rehearse.main([str(project), "monitor", *args])
    summary = json.loads((out / "rehearsal.json").read_text())
    assert code == 0 and all(job["result"] == "success" for job in summary["jobs"].values()), summary
    monitoring = out / "jobs" / "drift" / "workspace" / "artifacts" / "monitoring"
    verdict = json.loads((monitoring / "gate.json").read_text())
    assert verdict["stage"] == "monitor" and [r["id"] for r in verdict["results"] if r["blocking"]] == ["DRIFT-001"]
    sent = {path.parent.name: json.loads(path.read_text()) for path in out.glob("sent/*/request.json")}
    (issue,) = [name for name in sent if name.endswith("open-or-update-the-drift-issue")]
    body = (out / "sent" / issue / "files" / "drift-issue.md").read_text()
    assert body.startswith("<!-- ticket-router-drift -->") and "DRIFT-001" in body
    (pull,) = [r for name, r in sent.items() if name.endswith("push-the-branch-and-open-the-pull-request")]
    assert "gh pr create" in pull["run"]
    workspace = out / "jobs" / "retrain" / "workspace"
    show = ["git", "show", "--name-only", "--format=%s", "HEAD"]
    changed = subprocess.run(show, cwd=workspace, capture_output=True, text=True).stdout.splitlines()
    assert changed == ["Refresh the data window after drift (monitor run 1)", "", "data/train.jsonl", "specs/data.yaml"]
