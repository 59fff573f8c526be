"""Whole-process wall time of `validate` on the default project, against check-jsonschema.

    python benchmarks/validate_speed.py [--runs N]

Bakes the default project into a temporary directory, then times, as whole processes:
- `python -m ticket_router validate`: all four specs, the policy files, the cross-spec rules and the
  data hashes;
- `check-jsonschema --schemafile schemas/<kind>.schema.json specs/<kind>.yaml` for each of the
  four spec kinds (one process per schema; it checks the schema only, with no positions).
Prints the median and best of each and the ratio. Target: validate under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KINDS = ("data", "model", "evaluation", "deployment")


def timed(commands: list[list[str]], cwd: Path, env: dict) -> float:
    started = time.perf_counter()
    for command in commands:
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(cookiecutter(str(REPO), no_input=True, output_dir=tmp))
        env = {"PYTHONPATH": str(project / "src"), "PATH": f"{BIN}:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
        ours = [[sys.executable, "-m", "ticket_router", "validate"]]
        theirs = [[str(BIN / "check-jsonschema"), "--schemafile", f"schemas/{k}.schema.json", f"specs/{k}.yaml"]
                  for k in KINDS]
        timed(ours + theirs, project, env)  # warm the file cache
        results = {}
        for name, commands in (("validate (specs, policies, cross-spec, hashes; 1 process)", ours),
                               ("check-jsonschema (4 schemas, 4 processes)", theirs)):
            times = [timed(commands, project, env) for _ in range(args.runs)]
            results[name] = statistics.median(times)
            print(f"{name:55s} median {results[name]:.3f} s  best {min(times):.3f} s  ({args.runs} runs)")
        ours_s, theirs_s = results.values()
        print(f"ratio validate / check-jsonschema: {ours_s / theirs_s:.2f}  "
              f"(per file: {ours_s / 4:.3f} s vs {theirs_s / 4:.3f} s)")
        print(f"target validate < 0.5 s: {'met' if ours_s < 0.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
