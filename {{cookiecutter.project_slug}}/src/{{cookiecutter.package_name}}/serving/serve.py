"""``serve [--run ID] [--host H] [--port P]``: serve a run's model locally with ``bentoml serve``.

Serves the latest run, or ``--run``, whether or not it was built or gated: this is the local
try-out. The model goes into the BentoML model store as ``build`` would put it there, and the
service runs from this package's source with the configuration from the specs (passed with
``--arg-file``). Predictions are logged to ``artifacts/<run>/monitoring/predictions/`` (``--logs``
another fsspec URL; a local try-out never writes where production ships its log). Stop with Ctrl-C, or
SIGTERM to this process (``kill PID`` of a ``serve ... &``): either is passed on to the
``bentoml serve`` process, which stops its workers, and ``serve`` exits once it has.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..files import read_json
from ..specs.project import find_root, load_project
from ..training.runs import resolve_run
from .build import import_bentoml, service_path
from .release import METRICS_FILE, read_run

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", metavar="ID", help="run to serve (default: the latest run)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (default: %(default)s)")
    parser.add_argument(
        "--logs",
        metavar="URL",
        default=None,
        help="where the prediction log goes (default: artifacts/<run>/monitoring/predictions)",
    )
    parser.add_argument(
        "--log-flush-s",
        type=float,
        default=None,
        metavar="S",
        help="most seconds a prediction waits to be logged (default: the deployment spec's)",
    )


def serve_command(service: str, arg_file: Path, root: Path, host: str, port: int) -> list[str]:
    """The ``bentoml serve`` command line for ``service`` configured by ``arg_file``."""
    return [
        sys.executable, "-m", "bentoml", "serve", service,
        "--working-dir", str(root), "--arg-file", str(arg_file), "--host", host, "--port", str(port),
    ]  # fmt: skip


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    project = load_project(root)
    serving = project.task.module("serving")
    run_dir = resolve_run(root, args.run)
    run = read_run(run_dir, root, needs=serving.RUN_FIELDS)
    metrics = read_json(run_dir / METRICS_FILE, required=True) if (run_dir / METRICS_FILE).is_file() else None
    import_bentoml()
    from .store import save_model

    model = save_model(run_dir, run, project.model.name, metrics)
    logs = {"monitoring_dir": args.logs or str(run_dir / "monitoring" / "predictions")}
    if args.log_flush_s is not None:
        logs["log_flush_s"] = args.log_flush_s
    config = serving.service_config(project, run, model, **logs)
    serving.check_local(config)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))}
    print(f"serving run {run['run_id']} (model {model}) on http://{args.host}:{args.port}")
    print(f"  {serving.USAGE}\n  predictions: {config.monitoring_dir}/")
    with tempfile.TemporaryDirectory(prefix="serve-") as tmp:
        arg_file = Path(tmp) / "service.json"
        arg_file.write_text(json.dumps(config.arguments()), encoding="utf-8")
        command = serve_command(service_path(project.task), arg_file, root, args.host, args.port)
        return run_forwarding_signals(command, env)


def run_forwarding_signals(command: list[str], env: dict[str, str]) -> int:
    """Run ``command``, pass SIGTERM and SIGINT on to it, and return its exit status once it has stopped.

    A child ended by a signal gives ``128 + signal``, as a shell reports it.
    """
    process = subprocess.Popen(command, env=env)

    def forward(signum: int, _frame) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = process.wait()
        return 128 - code if code < 0 else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
