"""Whole-process wall time of `validate` on hostile spec files, against the project's own specs.

    python benchmarks/validate_hostile.py [--runs N]

Copies this project into a temporary directory three times and times, as whole processes,
`python -m {{ cookiecutter.package_name }} validate --skip-data` on:
- the project as it is (the peer);
- specs/model.yaml with 40,000 unknown keys appended (about 540 KB, 40,000 placed problems);
- specs/evaluation.yaml grown to about 1 MB of plain keys (refused only as unknown keys, not as
  an alias expansion).
Prints the median and best of each and the ratio to the peer. Target: the 40,000-key file under 2 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"
TARGET_S = 2.0


def copy(dest: Path) -> Path:
    for name in ("specs", "schemas", "policies", "data"):
        shutil.copytree(ROOT / name, dest / name)
    return dest


def timed(project: Path, runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", PACKAGE, "--project", str(project), "validate", "--skip-data"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        peer = copy(Path(tmp) / "as-is")
        unknown = copy(Path(tmp) / "unknown-keys")
        spec = unknown / "specs" / "model.yaml"
        spec.write_text(spec.read_text() + "".join(f"k{i}: {i}\n" for i in range(40_000)))
        plain = copy(Path(tmp) / "plain-keys")
        big = plain / "specs" / "evaluation.yaml"
        big.write_text(big.read_text() + "".join(f"key_{i:06d}: value\n" for i in range(55_000)))
        cases = {
            "project specs as they are (peer)": peer,
            f"40,000 unknown keys ({spec.stat().st_size // 1000} KB)": unknown,
            f"plain keys ({big.stat().st_size // 1000} KB)": plain,
        }
        timed(peer, 1)  # warm the file cache
        medians = {}
        for name, project in cases.items():
            times = timed(project, args.runs)
            medians[name] = statistics.median(times)
            print(f"{name:42s} median {medians[name]:.2f} s  best {min(times):.2f} s  ({args.runs} runs)")
        peer_s, unknown_s, plain_s = medians.values()
        print(f"ratio to the peer: unknown keys {unknown_s / peer_s:.1f}x, plain keys {plain_s / peer_s:.1f}x")
        print(f"target 40,000 unknown keys < {TARGET_S:.0f} s: {'met' if unknown_s < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
