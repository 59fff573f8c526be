"""The chain of a run's files: each step records what it wrote, and the next one checks it.

``train`` lists the sha256 of every file it wrote in ``run.json`` (``files.train``) and
``evaluate`` adds its own (``files.evaluate``: metrics.json, report.md, the plots). ``run.json``,
``gate.json`` and ``build.json`` carry a ``seal``: the sha256 of their canonical JSON (sorted keys,
no whitespace) without the seal. ``gate`` refuses a run whose files changed after they were
written, and records in ``gate.json`` the sha256 of what it judged (``run.json``, which lists
every file, ``metrics.json``, ``facts.json``) and of the reports it wrote; ``build`` and
``render`` check all of it again before they accept the run. A broken link is a ``ProjectError``
(exit 2) naming the file and what changed.

This detects accidental and naive edits, and makes every step check the one before. It is not a
signature: anyone who can write the files can recompute the hashes. In CI the release workflow's
provenance attestations of the image and the model stay the authority.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from ..errors import Problem, ProjectError
from ..files import atomic_write_text, read_json, sha256_file

RUN_FILE = "run.json"
GATE_FILE = "gate.json"
#: steps that record their files in run.json, in order
STEPS = ("train", "evaluate")
#: what later steps write into a run (gate, card, diff in CI, build, serve's monitoring, the drift reference): gate.json
#: and build.json check what the release rests on; none of these is listed in run.json
LATER = frozenset(
    {"facts.json", "gate.md", "gate.sarif", "gate.junit.xml", GATE_FILE, "MODEL_CARD.md", "diff.md", "build.json"}
    | {"monitoring", "reference.json"}
)
#: what gate.json records it judged; its other hashes are the reports gate wrote beside it
JUDGED = ("run.json", "metrics.json", "facts.json")


def canonical_hash(doc: dict) -> str:
    """The sha256 of ``doc``'s canonical JSON (sorted keys, no whitespace), ``seal`` left out."""
    body = {key: value for key, value in doc.items() if key != "seal"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sealed_text(doc: dict, *, sort_keys: bool = False) -> str:
    """``doc`` with its ``seal``, as indented JSON text ending in a newline."""
    return json.dumps({**doc, "seal": canonical_hash(doc)}, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n"


def check_seal(doc: dict, shown: str, writer: str, fix: str) -> None:
    """Exits 2 when ``doc`` (the file ``shown``, written by ``writer``) has no seal or a broken one."""
    seal = doc.get("seal")
    if not isinstance(seal, str):
        raise ProjectError(f"{shown} has no seal, so {writer} did not write it (or an older version did); {fix}")
    if seal != canonical_hash(doc):
        raise ProjectError(f"{shown} was edited after {writer} wrote it (its seal no longer matches); {fix}")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(run_dir: Path, step: str, names: list[str] | None = None) -> None:
    """Record the sha256 of the files ``step`` wrote in ``run_dir/run.json`` and seal it again.

    ``names`` are paths relative to ``run_dir``; ``None`` means every file but run.json (train).
    Files the step recorded before and did not write again are removed (a plot of a slice column
    that is gone), so the run holds only what its last run of each step wrote.
    """
    path = run_dir / RUN_FILE
    doc = read_json(path, required=True)
    if names is None:
        names = [name for name in _files(run_dir) if name != RUN_FILE]
    files = dict(doc.get("files") or {})
    for stale in set(files.get(step) or {}) - set(names):
        if _inside(stale) and _kind(run_dir / stale) == "file":
            (run_dir / stale).unlink()
    files[step] = {name: sha256_file(run_dir / name) for name in sorted(names)}
    doc["files"] = files
    atomic_write_text(path, sealed_text(doc))


def verify_run(run_dir: Path, root: Path, steps: tuple[str, ...] = STEPS) -> dict[str, str]:
    """Check the run's files against ``run.json``; returns ``{path: sha256}`` of run.json and each file.

    Exits 2, naming every file concerned, when run.json's seal is broken, a file that one of
    ``steps`` recorded changed or is gone, or a file that no step recorded (and no later step
    writes) was added. Each file is hashed once.
    """
    shown = _shown(run_dir, root)
    fix = "train the run again"
    if _kind(run_dir / RUN_FILE) != "file":
        raise ProjectError(f"{shown}/{RUN_FILE} is not a regular file; {fix}")
    run = read_json(run_dir / RUN_FILE, required=True)
    check_seal(run, f"{shown}/{RUN_FILE}", "`train` or `evaluate`", fix)
    files = run.get("files")
    if not isinstance(files, dict) or not all(isinstance(files.get(step, {}), dict) for step in STEPS):
        raise ProjectError(f"{shown}/{RUN_FILE} does not list the files of the run by step; {fix}")
    if "train" not in files:
        raise ProjectError(f"{shown}/{RUN_FILE} lists no files of the run; {fix}")
    hashes = {RUN_FILE: sha256_file(run_dir / RUN_FILE)}
    problems = []
    listed = set()
    for step in STEPS:
        recorded = files.get(step) or {}
        listed.update(recorded)
        if step not in steps:
            continue
        again = "train the run again" if step == "train" else f"run `{step}` again"
        for name, digest in sorted(recorded.items()):
            kind = _kind(run_dir / name) if _inside(name) else "outside the run"
            if kind is None:
                problems.append(f"{shown}/{name} was removed after `{step}` wrote it; {again}")
            elif kind != "file":
                problems.append(f"{shown}/{name} is {kind}, not the file `{step}` wrote; {again}")
            else:
                hashes[name] = sha256_file(run_dir / name)
                if hashes[name] != digest:
                    problems.append(
                        f"{shown}/{name} changed after `{step}` wrote it "
                        f"(sha256 {digest[:12]}… in {RUN_FILE}, {hashes[name][:12]}… now); {again}"
                    )
    for name in _files(run_dir, skip=LATER, problems=problems, shown=shown):
        if name != RUN_FILE and name not in listed:
            problems.append(f"{shown}/{name} was added after the run was written (no step lists it in {RUN_FILE})")
    if problems:
        raise _failed(problems)
    return hashes


def gate_text(decision: dict, judged: dict[str, str], texts: dict[str, str]) -> str:
    """The sealed ``gate.json``: ``decision`` plus the sha256 of what was judged and of every report.

    ``judged`` is what ``verify_run`` returned; ``texts`` maps the names of the other files gate
    writes (facts.json and the reports) to their text.
    """
    hashes = {name: text_hash(text) for name, text in texts.items() if name != GATE_FILE}
    return sealed_text(
        {
            **decision,
            "judged": {
                RUN_FILE: judged[RUN_FILE],
                "metrics.json": judged.get("metrics.json"),
                "facts.json": hashes.pop("facts.json"),
            },
            "reports": hashes,
        }
    )


def read_gate(run_dir: Path, root: Path, fix: str) -> dict:
    """The run's ``gate.json`` after checking its seal (exit 2 for a hand-written or edited one)."""
    gate = read_json(run_dir / GATE_FILE, required=True)
    check_seal(gate, f"{_shown(run_dir, root)}/{GATE_FILE}", "`gate`", fix)
    return gate


def verify_judged(run_dir: Path, root: Path, gate: dict, fix: str) -> str:
    """Check the run's files, then that they are what ``gate`` judged; returns gate.json's sha256.

    Exits 2 naming each file that changed after train, evaluate or the gate wrote or judged it.
    """
    hashes = verify_run(run_dir, root)
    shown = _shown(run_dir, root)
    judged, reports = gate.get("judged"), gate.get("reports")
    if not isinstance(judged, dict) or not isinstance(reports, dict) or set(judged) != set(JUDGED):
        raise ProjectError(f"{shown}/{GATE_FILE} records no hashes of what the gate judged; {fix}")
    problems = []
    for name, recorded in sorted({**judged, **reports}.items()):
        current = hashes[name] if name in hashes else _hash_if_file(run_dir, name)
        if current != recorded:
            what = "is gone" if current is None else "changed"
            when = "judged it" if name in JUDGED else "wrote it"
            problems.append(f"{shown}/{name} {what} since the gate {when}; {fix}")
    if problems:
        raise _failed(problems)
    return sha256_file(run_dir / GATE_FILE)


def _failed(messages: list[str]) -> ProjectError:
    """One error listing every message (the CLI prints one line each, and exits 2)."""
    return ProjectError([Problem("", 0, 0, "", message) for message in messages])


def _hash_if_file(run_dir: Path, name: str) -> str | None:
    """The sha256 of the regular file ``name`` of the run; ``None`` when there is none."""
    return sha256_file(run_dir / name) if _inside(name) and _kind(run_dir / name) == "file" else None


def _inside(name: str) -> bool:
    """Whether ``name`` is a plain relative path (no ``..``, not absolute), as a step records it."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts


def _kind(path: Path) -> str | None:
    """``"file"`` for a regular file, ``None`` when absent, else what it is in words."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return "file"
    return "a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode) else "not a regular file"


def _files(run_dir: Path, skip=frozenset(), problems: list[str] | None = None, shown: str = "") -> list[str]:
    """Paths (relative, with ``/``) of the regular files under ``run_dir``, top-level names in ``skip`` left out.

    Anything else (a symbolic link, a FIFO) is reported in ``problems`` when given, else skipped.
    """
    out = []
    for folder, dirs, names in os.walk(run_dir):
        base = Path(folder).relative_to(run_dir)
        for name in sorted(names) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            rel = (base / name).as_posix()
            if rel.split("/", 1)[0] in skip:
                continue
            kind = _kind(Path(folder) / name)
            if kind == "file":
                out.append(rel)
            elif problems is not None:
                problems.append(f"{shown}/{rel} is {kind}; a run holds regular files only")
    return sorted(out)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
