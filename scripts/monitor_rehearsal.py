"""Prepare a baked project for the monitor workflow's rehearsal (`make rehearse-monitor`).

    python scripts/monitor_rehearsal.py PROJECT LOGS

PROJECT is the default project, baked and committed. As a release would, this trains a run (the
smoke profile: the rehearsal is about the workflow, not the model), writes its drift reference
to deploy/production/reference.json and commits it; it turns on retraining on drift, with a
refresh command that slides the data window (drops the oldest train row), and commits that too. LOGS receives a prediction log drawn with a seed from the reference by the
project's own generator (tests/drift_logs.py) with a shifted label mix, logged in the last hour:
the rehearsed gate blocks on DRIFT-001, so the issue and the pull request are both rehearsed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

GIT_ID = ["-c", "user.name=rehearsal", "-c", "user.email=rehearsal@localhost"]
REFRESH = "tail -n +2 data/train.jsonl > data/train.next && mv data/train.next data/train.jsonl"
SHIFT = {"billing": 0.7, "technical": 0.1, "account": 0.1, "shipping": 0.05, "returns": 0.05}


def main(argv: list[str]) -> int:
    project, logs = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    package = next(p.name for p in (project / "src").iterdir() if (p / "cli.py").is_file())
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}

    def cli(*args: str) -> None:
        subprocess.run([sys.executable, "-m", package, *args], cwd=project, env=env, check=True)

    cli("train", "--profile", "smoke", "--run-id", "production")  # a quick run: the rehearsal is about the workflow
    cli("drift", "--save-reference", "--run", "production")
    spec = project / "specs" / "monitoring.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace("retrain_on_drift: false", "retrain_on_drift: true")
    spec.write_text(text + f"refresh: {json.dumps(REFRESH)}\n", encoding="utf-8")
    subprocess.run(["git", "add", "-A", "deploy", "specs"], cwd=project, check=True)
    message = "Release production; retrain on drift"
    subprocess.run(["git", *GIT_ID, "commit", "-q", "-m", message], cwd=project, check=True)
    sys.path.insert(0, str(project))
    from tests.drift_logs import records, write_parts

    profile = json.loads((project / "deploy" / "production" / "reference.json").read_text(encoding="utf-8"))
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    write_parts(logs, records(profile, 2000, seed=13, start=start, label_shares=SHIFT))
    print(f"rehearsal: {project} releases run production; a shifted prediction log is in {logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
