"""Benchmark the default train + evaluate of this generation project: time, determinism, golden replies.

    python benchmarks/train_speed.py [--cores N] [--repeats N]

In a scratch copy of this project it runs ``train`` then ``evaluate`` as whole processes, ``--repeats``
times (default 2) with the same seed, and prints, checking against the targets:

- wall time of ``train`` + ``evaluate`` (whole processes, imports included; median run) < 60 s;
- the merged model's weights are byte-identical across the same-seed runs;
- greedy replies of the trained model equal the golden replies for at least 90 % of the golden rows
  (no golden reply is a train reply: the model has to generalise to them);
- peak resident memory of the ``train`` process < 1 GB.

Exits 1 when a target is missed. ``--cores`` pins every process to that many CPU cores (Linux).
This is a measurement, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import hashlib
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
TARGETS = {"wall_s": 60.0, "golden_exact": 0.9, "peak_mb": 1024.0}


def child(args: list[str], log: Path, env: dict) -> tuple[float, float, int]:
    """Run a child process to its end: ``(wall seconds, peak RSS in MB, exit code)``."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def golden_exact(project: Path, run_dir: Path) -> float:
    """Share of the golden rows whose greedy reply equals the reference reply."""
    sys.path.insert(0, str(ROOT / "src"))
    from importlib import import_module

    load_project = import_module(f"{PACKAGE}.specs.project").load_project
    load_splits = import_module(f"{PACKAGE}.tasks.generation.data").load_splits
    modeling = import_module(f"{PACKAGE}.tasks.generation.modeling")
    prompt_text = import_module(f"{PACKAGE}.tasks.generation.prompting").prompt_text

    golden = load_splits(load_project(project), ["golden"])["golden"]
    model, tokenizer = modeling.load_generator(run_dir / "model", device="cpu")
    exact = 0
    for messages, reply in zip(golden.messages, golden.replies, strict=True):
        ids = tokenizer(prompt_text(tokenizer, messages), add_special_tokens=False, return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=64, do_sample=False)
        exact += tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip() == reply
    return exact / len(golden)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=None, help="pin the processes to this many CPU cores")
    parser.add_argument("--repeats", type=int, default=2, help="same-seed runs (at least 2 for determinism)")
    args = parser.parse_args(argv)
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    threads = str(args.cores or len(os.sched_getaffinity(0)))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": threads}
    with tempfile.TemporaryDirectory(prefix="gen-bench-") as scratch:
        project = Path(scratch)
        for name in ("specs", "schemas", "policies", "data"):
            shutil.copytree(ROOT / name, project / name)
        log = project / "bench.log"
        walls, peaks, digests = [], [], set()
        for i in range(args.repeats):
            run_id = f"bench-{i}"
            base = [sys.executable, "-m", PACKAGE, "--project", str(project)]
            train_s, peak, code = child([*base, "train", "--run-id", run_id], log, env)
            if code:
                print(log.read_text()[-3000:], file=sys.stderr)
                return 1
            evaluate_s, _, code = child([*base, "evaluate", "--run", run_id], log, env)
            if code:
                print(f"evaluate failed (exit {code}):\n{log.read_text()[-2000:]}", file=sys.stderr)
                return 1
            walls.append(train_s + evaluate_s)
            peaks.append(peak)
            weights = project / "artifacts" / run_id / "model" / "model.safetensors"
            digests.add(hashlib.sha256(weights.read_bytes()).hexdigest())
            print(f"run {i + 1}: train {train_s:.1f} s + evaluate {evaluate_s:.1f} s, train peak {peak:.0f} MB")
        exact = golden_exact(project, project / "artifacts" / "bench-0")
    figures = {"wall_s": statistics.median(walls), "golden_exact": exact, "peak_mb": max(peaks)}
    print(f"train + evaluate (median): {figures['wall_s']:.1f} s (target < {TARGETS['wall_s']:.0f} s)")
    print(f"golden replies reproduced: {exact:.2f} (target >= {TARGETS['golden_exact']})")
    print(f"same weights in every same-seed run: {len(digests) == 1}")
    print(f"train peak memory: {figures['peak_mb']:.0f} MB (target < {TARGETS['peak_mb']:.0f} MB)")
    missed = [
        figures["wall_s"] >= TARGETS["wall_s"],
        exact < TARGETS["golden_exact"],
        len(digests) != 1,
        figures["peak_mb"] >= TARGETS["peak_mb"],
    ]
    return 1 if any(missed) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
