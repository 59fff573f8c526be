"""How long ``drift`` takes over 1,000,000 and 100,000 logged predictions, and its peak memory.

    python benchmarks/drift_speed.py [--sizes 1000000,100000] [--cores 2] [--check]

For each size it writes that many seeded synthetic predictions (``tests/drift_logs.py``, drawn
from a reference profile) as JSON-lines parts of 100,000 lines, as the service writes them, then
runs ``drift`` over them as a whole process (imports included) and prints its wall time and peak
resident memory against the targets: 1,000,000 in under 20 s and 500 MB, 100,000 in under 3 s.
The reference is ``deploy/production/reference.json`` when present; otherwise one is made from
the data spec's splits (true labels as the predicted-label mix, an even confidence histogram):
what drift computes costs the same whatever the reference holds.

``--cores`` pins the processes to that many CPU cores (Linux). ``--check`` exits 1 when a target
is missed. This is a measurement, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"
#: size -> (seconds, MB)
TARGETS = {1_000_000: (20.0, 500.0), 100_000: (3.0, 500.0)}
PART = 100_000

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from tests.drift_logs import records, write_parts  # noqa: E402  (the generator the tests use)


def reference() -> dict:
    """The production reference profile, or one made from the data spec's splits."""
    path = ROOT / "deploy" / "production" / "reference.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    from {{ cookiecutter.package_name }}.monitoring import stats
    from {{ cookiecutter.package_name }}.monitoring.reference import LengthHistogram
    from {{ cookiecutter.package_name }}.specs.datarows import read_split
    from {{ cookiecutter.package_name }}.specs.project import load_project

    project = load_project(ROOT, check_data=False)
    text, label = project.data.columns.text, project.data.columns.label
    train = [str(r[text]) for r in read_split(project, "train").records]
    labels = Counter(str(r[label]) for r in read_split(project, "test").records)
    words = sum(len(t.split()) for t in train)
    return {
        "labels": dict(labels),
        "confidence": [1] * stats.CONFIDENCE_BINS,
        "input_chars": LengthHistogram.of(stats.length_histogram([len(t) for t in train])).model_dump(),
        "words": words,
        "unseen_words": 0,
        "run_id": "benchmark",
    }


def profile_document(profile: dict) -> dict:
    """``profile`` as a complete reference.json document."""
    return {
        "apiVersion": "gated-ml/v1",
        "kind": "DriftReference",
        "run_id": profile.get("run_id", "benchmark"),
        "created": "2026-12-01T00:00:00Z",
        "task": "text-classification",
        "data_split": "train",
        "predictions_split": "test",
        **{k: profile[k] for k in ("labels", "confidence", "input_chars", "words", "unseen_words")},
    }


def write_logs(directory: Path, profile: dict, size: int, start: dt.datetime) -> None:
    for number, begin in enumerate(range(0, size, PART)):
        rows = records(profile, min(PART, size - begin), seed=number, start=start + dt.timedelta(seconds=begin))
        for path in write_parts(directory, rows, per_part=PART):
            path.rename(path.with_name(f"{number:04d}-{path.name}"))


def child(args: list[str], env: dict) -> tuple[float, float, int, str]:
    """Run a whole process: ``(wall seconds, peak RSS in MB, exit code, output)``."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,100000", help="logged predictions per run, comma-separated")
    parser.add_argument("--cores", type=int, default=2, help="CPU cores the processes may use (default 2)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])  # inherited by the children
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": str(cores)}
    profile = reference()
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    missed = []
    print(f"{cores} CPU core(s); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="drift-speed-") as tmp:
            folder = Path(tmp)
            (folder / "reference.json").write_text(json.dumps(profile_document(profile)), encoding="utf-8")
            began = time.perf_counter()
            write_logs(folder / "logs", profile, size, start)
            written = time.perf_counter() - began
            megabytes = sum(p.stat().st_size for p in (folder / "logs").rglob("*.jsonl")) / 1e6
            command = [
                sys.executable, "-m", PACKAGE, "--project", str(ROOT), "drift", "--logs", str(folder / "logs"),
                "--reference", str(folder / "reference.json"), "--out", str(folder / "out"),
                "--since", "2026-11-30", "--now", "2026-12-31",
            ]  # fmt: skip
            wall, peak, code, out = child(command, env)
            if code != 0:
                print(out)
                return 2
            count = json.loads((folder / "out" / "drift.json").read_text())["predictions"]["count"]
            seconds, mb = TARGETS.get(size, (float("inf"), float("inf")))
            ok = wall < seconds and peak < mb
            if not ok:
                missed.append(size)
            print(
                f"{size:>9,} predictions ({megabytes:.0f} MB of logs, written in {written:.1f} s): drift {wall:.2f} s, "
                f"peak {peak:.0f} MB, {count:,} counted  "
                f"(target < {seconds:g} s, < {mb:g} MB: {'met' if ok else 'MISSED'})"
            )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
