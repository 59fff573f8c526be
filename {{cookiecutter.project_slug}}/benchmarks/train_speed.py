"""Benchmark the default train + evaluate, and compare training throughput with a plain Trainer script.

    python benchmarks/train_speed.py [--cores N] [--repeats N]

In a scratch copy of this project it runs ``train`` then ``evaluate`` as whole processes, ``--repeats``
times (default 2) with the same seed, each followed by a plain ``transformers.Trainer`` script on the
same model config, tokenizer, data and hyper-parameters. It prints, and checks against the targets:

- wall time of ``train`` + ``evaluate`` (whole processes, imports included; median run) < 30 s;
- test macro-F1 >= 0.85 and golden pass rate 1.0;
- identical ``metrics.json`` across the same-seed runs, apart from ``run_id`` and ``latency``;
- training samples/s of ``train`` within 5 % of the plain script (best run of each);
- peak resident memory of the ``train`` process < 1 GB.

Exits 1 when a target is missed. ``--cores`` pins every process to that many CPU cores (Linux).
This is a measurement, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
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
TARGETS = {"wall_s": 30.0, "macro_f1": 0.85, "golden": 1.0, "throughput_ratio": 0.95, "peak_mb": 1024.0}


def child(args: list[str], log: Path, env: dict) -> tuple[float, float, int]:
    """Run a child process to its end: ``(wall seconds, peak RSS in MB, exit code)``."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def plain_trainer(project: Path, run_dir: Path) -> float:
    """Train the run's model config from scratch with a plain Trainer script; returns samples/s.

    Same tokenizer, config, rows, hyper-parameters, evaluation and checkpoint cadence and early
    stopping as ``train``, without this project's code around it.
    """
    import datasets
    import transformers
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoTokenizer,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
    )

    record = json.loads((run_dir / "run.json").read_text())
    hp = record["training"]["hyperparameters"]
    labels = {name: i for i, name in enumerate(record["labels"])}
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    config = AutoConfig.from_pretrained(run_dir / "model")
    transformers.set_seed(hp["seed"])
    model = AutoModelForSequenceClassification.from_config(config)
    files = {split: str(project / "data" / f"{split}.jsonl") for split in ("train", "validation")}
    raw = datasets.load_dataset("json", data_files=files)
    encoded = raw.map(
        lambda b: {
            **tokenizer(b["text"], truncation=True, max_length=hp["max_length"]),
            "label": [labels[q] for q in b["queue"]],
        },
        batched=True,
        remove_columns=raw["train"].column_names,
    )
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out,
            seed=hp["seed"],
            data_seed=hp["seed"],
            per_device_train_batch_size=hp["batch_size"],
            per_device_eval_batch_size=hp["eval_batch_size"],
            learning_rate=hp["learning_rate"],
            lr_scheduler_type=hp["scheduler"],
            warmup_steps=hp["warmup_ratio"],
            weight_decay=hp["weight_decay"],
            num_train_epochs=hp["epochs"],
            eval_strategy="epoch",
            save_strategy="epoch",
            logging_strategy="epoch",
            save_total_limit=hp["checkpoints_to_keep"],
            load_best_model_at_end=True,
            metric_for_best_model=hp["early_stopping"]["metric"],
            greater_is_better=hp["early_stopping"]["metric"] != "loss",
            use_cpu=True,
            report_to="none",
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=encoded["train"],
            eval_dataset=encoded["validation"],
            processing_class=tokenizer,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=hp["early_stopping"]["patience"])],
        )
        result = trainer.train()
    print(f"plain Trainer: {trainer.state.epoch:g} epochs in {result.metrics['train_runtime']:.2f} s", file=sys.stderr)
    return trainer.state.epoch * len(encoded["train"]) / result.metrics["train_runtime"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2, help="CPU cores every process may use (default 2)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each kind (default 2)")
    parser.add_argument("--plain", nargs=2, metavar=("PROJECT", "RUN_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain:
        print(json.dumps({"samples_per_s": plain_trainer(Path(args.plain[0]), Path(args.plain[1]))}))
        return 0
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])  # inherited by the children
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": str(cores)}
    with tempfile.TemporaryDirectory(prefix="train-speed-") as scratch:
        project = Path(scratch)
        for name in ("specs", "schemas", "data"):
            shutil.copytree(ROOT / name, project / name)
        log = project / "benchmark.log"
        cli = [sys.executable, "-m", PACKAGE, "--project", str(project)]
        runs, plain = [], []
        for i in range(args.repeats):
            run_id = f"bench-{i}"
            train_wall, train_mb, rc = child([*cli, "train", "--run-id", run_id], log, env)
            eval_wall, eval_mb, rc2 = child([*cli, "evaluate", "--run", run_id], log, env)
            if rc or rc2:
                print(log.read_text()[-3000:], file=sys.stderr)
                return 1
            run_dir = project / "artifacts" / run_id
            record = json.loads((run_dir / "run.json").read_text())
            metrics = json.loads((run_dir / "metrics.json").read_text())
            runs.append(
                {
                    "train_s": train_wall,
                    "evaluate_s": eval_wall,
                    "train_mb": train_mb,
                    "evaluate_mb": eval_mb,
                    "samples_per_s": record["train_samples_per_s"],
                    "metrics": metrics,
                }
            )
            print(
                f"run {i}: train {train_wall:.1f} s + evaluate {eval_wall:.1f} s = {train_wall + eval_wall:.1f} s; "
                f"peak {train_mb:.0f} MB / {eval_mb:.0f} MB; {record['train_samples_per_s']:.0f} samples/s; "
                f"test macro-F1 {metrics['test']['macro_f1']:.4f}; golden {metrics['golden']['pass_rate']:.2f}"
            )
            # the plain script runs right after, so both see the same load on the machine
            out = subprocess.run(
                [sys.executable, __file__, "--plain", str(project), str(run_dir)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            plain.append(json.loads(out.stdout.strip().splitlines()[-1])["samples_per_s"])
            print(f"plain Trainer {i}: {plain[-1]:.0f} samples/s")
    comparable = [{k: v for k, v in r["metrics"].items() if k not in ("run_id", "latency")} for r in runs]
    first = runs[0]["metrics"]
    figures = {
        "wall_s": statistics.median(r["train_s"] + r["evaluate_s"] for r in runs),
        "macro_f1": first["test"]["macro_f1"],
        "golden": first["golden"]["pass_rate"],
        "throughput_ratio": max(r["samples_per_s"] for r in runs) / max(plain),
        "peak_mb": max(r["train_mb"] for r in runs),
    }
    checks = [
        (
            "train + evaluate wall (median run)",
            f"{figures['wall_s']:.1f} s",
            figures["wall_s"] < TARGETS["wall_s"],
            "< 30 s",
        ),
        ("test macro-F1", f"{figures['macro_f1']:.4f}", figures["macro_f1"] >= TARGETS["macro_f1"], ">= 0.85"),
        ("golden pass rate", f"{figures['golden']:.2f}", figures["golden"] >= TARGETS["golden"], "1.0"),
        (
            "same-seed metrics.json identical",
            str(all(c == comparable[0] for c in comparable)),
            all(c == comparable[0] for c in comparable),
            "True",
        ),
        (
            "train / plain Trainer samples/s",
            f"{figures['throughput_ratio']:.3f}",
            figures["throughput_ratio"] >= TARGETS["throughput_ratio"],
            ">= 0.95",
        ),
        ("peak memory of train", f"{figures['peak_mb']:.0f} MB", figures["peak_mb"] < TARGETS["peak_mb"], "< 1024 MB"),
    ]
    print(f"\n{cores} CPU core(s), {args.repeats} run(s) of each")
    for name, value, ok, target in checks:
        print(f"{'ok  ' if ok else 'MISS'} {name}: {value} (target {target})")
    return 0 if all(ok for _, _, ok, _ in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
