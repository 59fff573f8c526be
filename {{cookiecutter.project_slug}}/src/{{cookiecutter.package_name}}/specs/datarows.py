"""Read and check the rows of a data file (JSON Lines, CSV or Parquet) through ``reader``.

One pass over the bytes hashes them and checks every row: strict UTF-8, each line at most
``MAX_LINE_BYTES``, valid JSON objects (malformed JSON placed at its line and column), every
column the data spec names present, text a non-blank string, label a string of the label set,
ids and slice values plain scalars. ``validate``, ``train``, ``evaluate`` and ``gate`` all read
data here, so a bad row gets the same message wherever it is met.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem, ProjectError, one_line
from ..reader import decode, iter_lines, read_bytes

if TYPE_CHECKING:
    from .data import DataSpec
    from .project import Project

MAX_LINE_BYTES = 1 << 20  # one row
MAX_DATA_BYTES = 1 << 30  # one split file
#: problems listed per file before the rest are counted
MAX_ROW_PROBLEMS = 10


@dataclass
class Rows:
    """The rows of one split file, the sha256 of the bytes read, and every problem found in them."""

    shown: str
    sha256: str = ""
    records: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line each row starts on (0: parquet)
    problems: list[Problem] = field(default_factory=list)
    more: int = 0  # problems found past MAX_ROW_PROBLEMS
    malformed: int = 0  # problems that are not about content: rows unreadable or of the wrong shape

    def add(self, line: int, col: int, column: str, message: str, row: int = 0, *, content: bool = False) -> None:
        """Record a problem; ``content`` marks a well-formed row with a bad value (a label outside the set)."""
        self.malformed += not content
        if len(self.problems) >= MAX_ROW_PROBLEMS:
            self.more += 1
        elif line:
            self.problems.append(Problem(self.shown, line, col, column, message))
        else:  # parquet has no lines: name the row
            self.problems.append(Problem("", 0, 0, "", f"{self.shown}: row {row}: {column}: {message}"))

    def all_problems(self) -> list[Problem]:
        """The problems found, with a last line counting those left out."""
        if not self.more:
            return list(self.problems)
        last = self.problems[-1]
        note = f"... and {self.more} more row problem(s) from here on"
        line, col = (last.line + 1, 1) if last.line else (0, 0)
        return [*self.problems, Problem(last.path, line, col, "", note)]

    def checked(self, *, content: bool = True) -> Rows:
        """These rows; raises ``ProjectError`` when any problem was found (with ``content=False``,
        only when a row is malformed: the data facts count content problems instead)."""
        if self.problems and (content or self.malformed):
            raise ProjectError(self.all_problems())
        return self


def read_split(project: Project, split: str) -> Rows:
    """The rows of a local split of ``project``, read once and kept on the project (problems included)."""
    if split not in project.data_rows:
        entry = getattr(project.data.splits, split)
        project.data_rows[split] = read_rows(
            project.root / entry.path, entry.path, project.data, split=split, root=project.root
        )
    return project.data_rows[split]


def read_rows(path: Path, shown: str, spec: DataSpec, *, split: str, root: Path | None) -> Rows:
    """Read and check every row of ``path`` in ``spec.format``; a file-level failure raises ``ProjectError``."""
    rows = Rows(shown)
    if spec.format == "parquet":
        _parquet(path, rows, root)
    else:
        digest = hashlib.sha256()
        lines = _lines(path, rows, digest, root)
        (_jsonl if spec.format == "jsonl" else _csv)(lines, rows)
        rows.sha256 = digest.hexdigest()
    if not rows.records and not rows.problems:
        raise ProjectError([Problem(shown, 1, 1, "", f"the {split} split is empty; it needs rows")])
    for record, line, n in zip(rows.records, rows.lines, range(1, len(rows.records) + 1), strict=True):
        _check(record, spec, rows, line, n)
    return rows


def _lines(path: Path, rows: Rows, digest: Any, root: Path | None):
    """Decoded lines ``(number, text)`` of a text data file, hashing the bytes as they pass.

    A line that is too long or not UTF-8 is a problem of its own and skipped; reading goes on.
    """
    shown = rows.shown
    for number, offset, raw in iter_lines(path, shown, root=root, limit=MAX_DATA_BYTES, line_limit=MAX_LINE_BYTES):
        digest.update(raw)
        if len(raw) > MAX_LINE_BYTES:
            rows.add(number, 1, "", f"line is longer than {MAX_LINE_BYTES} bytes; split or shorten the row")
            continue
        try:
            yield number, decode(raw, shown, first_line=number, base=offset, what="data file", controls=False)
        except ProjectError as err:
            problem = err.problems[0]
            rows.add(problem.line, problem.col, "", problem.message)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice in the object")
        out[key] = value
    return out


def _jsonl(lines, rows: Rows) -> None:
    for number, text in lines:
        if not text.strip():
            continue
        try:
            record = json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as err:
            rows.add(number, err.colno, "", f"not valid JSON: {err.msg}; each line must be one JSON object")
            continue
        except (ValueError, RecursionError) as err:
            rows.add(number, 1, "", f"not a valid row: {one_line(err)}")
            continue
        if not isinstance(record, dict):
            rows.add(number, 1, "", f"each line must be a JSON object, not {_type(record)}")
            continue
        rows.records.append(record)
        rows.lines.append(number)


def _csv(lines, rows: Rows) -> None:
    numbered = iter(lines)
    current = [0]

    def texts():
        for number, text in numbered:
            current[0] = number
            yield text

    reader = csv.reader(texts())
    header: list[str] | None = None
    start = 1
    try:
        for values in reader:
            if header is None:
                header = values
            elif values:
                if len(values) != len(header):
                    rows.add(start, 1, "", f"row has {len(values)} fields, the header has {len(header)}")
                else:
                    rows.records.append(dict(zip(header, values, strict=True)))
                    rows.lines.append(start)
            start = current[0] + 1
    except csv.Error as err:
        rows.add(current[0], 1, "", f"not valid CSV: {err}")


def _parquet(path: Path, rows: Rows, root: Path | None) -> None:
    raw = read_bytes(path, rows.shown, root=root, limit=MAX_DATA_BYTES)
    rows.sha256 = hashlib.sha256(raw).hexdigest()
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ProjectError(f"reading {rows.shown} needs pyarrow: pip install pyarrow") from None
    try:
        rows.records = pq.read_table(pa.BufferReader(raw)).to_pylist()
    except Exception as err:  # not parquet, truncated, an unsupported type: all bad input here
        raise ProjectError([Problem(rows.shown, 1, 1, "", f"cannot be read as parquet: {one_line(err)}")]) from None
    rows.lines = [0] * len(rows.records)


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _check(record: dict, spec: DataSpec, rows: Rows, line: int, n: int) -> None:
    """Problems of one row: missing columns, texts, label, id and slice values of the wrong type."""
    texts, values, label_column = spec.text_columns(), spec.value_columns(), spec.label_column()
    wanted = list(dict.fromkeys([*texts, *([label_column] if label_column else []), *values]))
    missing = [c for c in wanted if c not in record]
    if missing:
        message = f"column(s) {', '.join(map(repr, missing))} named in specs/data.yaml are missing"
        rows.add(line, 1, "", message, n, content=True)
        return
    for column in texts:
        text = record[column]
        if not isinstance(text, str) or not text.strip():
            blank = "text is empty or missing; write the text as a non-empty string"
            if isinstance(text, str):
                rows.add(line, 1, column, blank, n, content=True)
            else:
                rows.add(line, 1, column, f"text must be a string, not {_type(text)}", n)
    label = record[label_column] if label_column else None
    if label_column and not isinstance(label, str):
        rows.add(line, 1, label_column, f"label must be a string of the label set, not {_type(label)}", n)
    elif label_column and label not in spec.labels:
        rows.add(
            line,
            1,
            label_column,
            f"label {label!r} is not in the label set of specs/data.yaml ({', '.join(spec.labels)})",
            n,
            content=True,
        )
    for column in values:
        value = record.get(column)
        if isinstance(value, (dict, list)) or value is None:
            rows.add(line, 1, column, f"must be a plain value (text or number), not {_type(value)}", n)
