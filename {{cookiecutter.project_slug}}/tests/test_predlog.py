"""The prediction log writer: whole parts under an fsspec URL, one writer never overwriting another."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from {{ cookiecutter.package_name }}.serving.predlog import PredictionLog


def parts(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.jsonl"))


def test_records_are_written_as_whole_parts_when_enough_wait_and_on_close(tmp_path):
    log = PredictionLog(str(tmp_path / "log"), flush_s=3600, max_records=3)
    other = PredictionLog(f"file://{tmp_path / 'log'}", flush_s=3600, max_records=3)
    log.write([{"n": 1}, {"n": 2}])
    assert parts(tmp_path / "log") == [], "fewer than max_records wait in memory"
    log.write([{"n": 3}])
    other.write([{"n": 4}])
    other.close()
    log.close()
    written = parts(tmp_path / "log")
    assert len(written) == 2 and not list((tmp_path / "log").glob("*/.*")), "no half-written dot files remain"
    records = sorted(json.loads(line)["n"] for path in written for line in path.read_text().splitlines())
    assert records == [1, 2, 3, 4]


def test_a_store_that_refuses_loses_the_part_not_the_prediction(tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    log = PredictionLog(str(blocker / "log"), flush_s=3600, max_records=1)
    with caplog.at_level(logging.ERROR):
        log.write([{"n": 1}])  # flushes at once, and fails: logged, never raised
        log.close()
    assert "the part is lost" in caplog.text
