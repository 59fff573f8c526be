"""How long the policy gate takes to decide once the facts exist (target: under 200 ms).

    python benchmarks/gate_speed.py [--run ID] [--repeat N]

Builds the policy input document once for a run (the latest by default; without any run, for
a stand-in run directory holding only a run.json), then times the decision itself: every rule
of the `release` and `pr` stages evaluated and the waivers applied, as `gate` does it. Prints
the time to build the facts and the median and worst decision time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.facts import build_facts
from {{ cookiecutter.package_name }}.files import sha256_file
from {{ cookiecutter.package_name }}.gate import judge, load_inputs, parse_now
from {{ cookiecutter.package_name }}.runs import resolve_run
from {{ cookiecutter.package_name }}.specs.project import find_root

TARGET_MS = 200.0


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None)
    parser.add_argument("--repeat", type=int, default=50)
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
    print("within target" if worst < TARGET_MS else "OVER TARGET")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
