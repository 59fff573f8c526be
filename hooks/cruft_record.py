"""Record where a baked project came from in ``.cruft.json``, so ``cruft check``, ``diff`` and ``update`` work.

The post-generation hook calls ``record_origin`` when the project was baked by plain
``cookiecutter``; under ``cruft create`` or ``cruft update`` (their context carries ``_commit``)
cruft writes the file itself. The record holds what ``cruft create`` would: the template
source, its commit, the checkout asked for, every answer, the template's directory inside
its repository, and the paths updates never touch (``SKIP``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: paths a template update never changes: the project's own data (its pins live in specs/data.yaml,
#: which merges like any spec) and the desired state that `render` writes and reviewers approve
SKIP = ["data", "deploy"]
#: context entries that describe this machine, not the project
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")
#: cookiecutter's own abbreviations, expanded so that cruft can clone the source
ABBREVIATIONS = {
    "gh:": "https://github.com/{}.git",
    "gl:": "https://gitlab.com/{}.git",
    "bb:": "https://bitbucket.org/{}",
}


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _is_remote(source: str) -> bool:
    return "://" in source or source.startswith(("git@", *ABBREVIATIONS)) or source.endswith(".git")


def template_source(given: str, top: Path) -> str:
    """The source cruft clones: the URL as given (abbreviations expanded), or the local checkout's root."""
    for prefix, url in ABBREVIATIONS.items():
        if given.startswith(prefix):
            return url.format(given[len(prefix) :])
    return given if _is_remote(given) else str(top)


def origin(ctx: dict, repo: Path) -> dict | None:
    """The ``.cruft.json`` content for a project baked from ``repo``; ``None`` when it is no git checkout."""
    top = _git(repo, "rev-parse", "--show-toplevel")
    commit = _git(repo, "rev-parse", "HEAD")
    if not top or not commit:
        return None
    top_path = Path(top).resolve()
    inner = repo.resolve().relative_to(top_path).as_posix()
    source = template_source(str(ctx.get("_template") or ""), top_path)
    answers = {key: value for key, value in ctx.items() if key not in MACHINE_KEYS}
    answers.update(_template=source, _commit=commit)
    return {
        "template": source,
        "commit": commit,
        "checkout": ctx.get("_checkout"),
        "context": {"cookiecutter": answers},
        "directory": None if inner == "." else inner,
        "skip": SKIP,
    }


def record_origin(project: Path, repo: Path, ctx: dict) -> None:
    """Write ``project/.cruft.json`` unless cruft is baking (it writes its own); explain when it cannot."""
    if "_commit" in ctx:
        return
    record = origin(ctx, repo)
    if record is None:
        print(
            f"note: the template at {repo} is not a git checkout, so no .cruft.json was written; "
            "bake from a git URL or checkout (or run `cruft link <url>` in the project) to receive template updates",
            file=sys.stderr,
        )
        return
    if _git(repo, "status", "--porcelain", "--untracked-files=no"):
        print(
            "note: the template checkout has uncommitted changes; "
            f".cruft.json records its last commit {record['commit'][:12]}",
            file=sys.stderr,
        )
    text = json.dumps(record, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"
    (project / ".cruft.json").write_text(text, encoding="utf-8")
