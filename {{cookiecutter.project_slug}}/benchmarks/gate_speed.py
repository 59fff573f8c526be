"""How long the policy gate takes to decide once the facts exist (target: under 200 ms), how
long the data scan takes on 100k rows (target: under 10 s), and what its detectors find.

    python benchmarks/gate_speed.py [--run ID] [--repeat N] [--rows N]

Builds the policy input document once for a run (the latest by default; without any run, for
a stand-in run directory holding only a run.json), then times the decision itself: every rule
of the `release` and `pr` stages evaluated and the waivers applied, as `gate` does it. Prints
the time to build the facts and the median and worst decision time.

Then runs the personal-data detectors on the planted corpus of the tests (tests/planted_pii.py)
and prints recall per kind, and times the data scan on ``--rows`` rows made from this project's
texts (halves of two tickets joined, a word changed, one row in a hundred with a planted value).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.files import sha256_file
from {{ cookiecutter.package_name }}.governance.datafacts import scan, split_rows
from {{ cookiecutter.package_name }}.governance.facts import build_facts
from {{ cookiecutter.package_name }}.governance.gate import judge, load_inputs, parse_now
from {{ cookiecutter.package_name }}.governance.pii import Detector
from {{ cookiecutter.package_name }}.specs.project import find_root, load_project
from {{ cookiecutter.package_name }}.training.runs import resolve_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.planted_pii import REGIONS, planted  # noqa: E402  (the corpus the tests check)

TARGET_MS = 200.0
SCAN_TARGET_S = 10.0
SPLIT_SHARES = {"train": 0.8, "validation": 0.08, "test": 0.1, "golden": 0.02}


def _stand_in_run(project, folder: Path) -> Path:
    run_dir = folder / "stand-in-run"
    run_dir.mkdir()
    run_info = {
        "run_id": run_dir.name,
        "specs": {stem: sha256_file(project.spec_path(stem)) for stem in project.specs},
        "data": {split: entry.sha256 for split, entry in project.data.splits if entry is not None},
    }
    (run_dir / "run.json").write_text(json.dumps(run_info))
    return run_dir


def recall_per_kind() -> dict[str, tuple[int, int]]:
    """Planted kind -> (found, planted) on the tests' corpus."""
    detector = Detector(REGIONS)
    found: Counter = Counter()
    planted_: Counter = Counter()
    for sample in planted(seed=7):
        planted_[sample.plant] += 1
        found[sample.plant] += sample.caught_by(detector.find(sample.text))
    return {kind: (found[kind], planted_[kind]) for kind in planted_}


def big_project(root: Path, folder: Path, rows: int) -> Path:
    """A copy of the project whose splits hold ``rows`` rows made from its own texts."""
    for name in ("specs", "policies", "schemas"):
        shutil.copytree(root / name, folder / name)
    (folder / "data").mkdir()
    project = load_project(root, check_data=False)
    texts = [row.text.split() for rows_ in split_rows(project).values() for row in rows_ if row.text.split()]
    vocabulary = sorted({word for words in texts for word in words})
    labels = list(project.data.labels)
    columns = project.data.columns
    samples = list(planted(seed=11))
    rng = random.Random(5)
    for split, share in SPLIT_SHARES.items():
        with open(folder / "data" / f"{split}.jsonl", "w", encoding="utf-8") as handle:
            for n in range(int(rows * share)):
                a, b = rng.choice(texts), rng.choice(texts)
                words = a[: len(a) // 2] + b[len(b) // 2 :]
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
                if rng.random() < 0.01:
                    words.append(rng.choice(samples).text)
                record = {columns.text: " ".join(words), columns.label: rng.choice(labels)}
                if columns.id:
                    record[columns.id] = f"{split[:2]}-{n}"
                handle.write(json.dumps(record) + "\n")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the data scan benchmark")
    args = parser.parse_args()
    root = find_root()
    now = parse_now(None)
    project, pack = load_inputs(root)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            run_dir = resolve_run(root, args.run)
        except ProjectError:
            run_dir = _stand_in_run(project, Path(tmp))
        started = time.perf_counter()
        facts = {
            stage: build_facts(project, pack, run_dir, stage=stage, now=now, baseline=None)
            for stage in ("pr", "release")
        }
        built_ms = (time.perf_counter() - started) * 1000 / 2
    timings = {}
    for stage in ("pr", "release"):
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = judge(project, pack, facts[stage], stage=stage, now=now)
            runs.append((time.perf_counter() - started) * 1000)
        timings[stage] = (statistics.median(runs), max(runs), len(report.results))
    print(f"run: {run_dir.name}")
    print(f"facts (specs, metrics, data scan, lineage, git): {built_ms:.0f} ms per stage")
    for stage, (median, worst, rules) in timings.items():
        print(
            f"decision at {stage:<7}: {rules} results, median {median:.1f} ms, worst {worst:.1f} ms "
            f"over {args.repeat} runs (target {TARGET_MS:.0f} ms)"
        )
    worst = max(t[1] for t in timings.values())
    print("decision within target" if worst < TARGET_MS else "decision OVER TARGET")

    recall = recall_per_kind()
    found, total = sum(f for f, _ in recall.values()), sum(t for _, t in recall.values())
    print(f"personal data and secrets, planted corpus: recall {found / total:.3f} ({found}/{total})")
    for kind, (hits, count) in recall.items():
        print(f"  {kind:<17} {hits / count:.2f} ({hits}/{count})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = big_project(root, Path(tmp), args.rows)
        big = load_project(folder, check_data=False)
        started, cpu = time.perf_counter(), time.process_time()
        data = scan(big)
        scan_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"data scan of {sum(data['rows'].values())} rows: {scan_s:.1f} s, {cpu_s:.1f} s of CPU "
        f"(target {SCAN_TARGET_S:.0f} s); "
        f"{data['pii']['total']} findings, {data['duplicates']['exact_across']['count']} copies and "
        f"{data['duplicates']['near_across']['count']} near copies across splits"
    )
    ok = worst < TARGET_MS and scan_s < SCAN_TARGET_S and found / total >= 0.95
    print("within targets" if ok else "OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
