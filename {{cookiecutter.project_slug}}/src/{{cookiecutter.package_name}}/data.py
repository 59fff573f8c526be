"""Read the splits named in ``specs/data.yaml`` through Hugging Face ``datasets``, checked row by row.

Local files are read where they are (their sha256 was verified by ``load_project``). A Hub
dataset or an object-store prefix is downloaded first, its sha256 verified against the pin, then
read the same way. Every problem with the data (a file that cannot be read, a missing column, a
label outside the label set, an empty split) is a ``ProjectError``: exit 2, never a traceback.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, ProjectError, one_line
from .files import sha256_file
from .specs.data import HuggingFaceSource, LocalSource, ObjectStoreSource
from .specs.problems import located
from .specs.project import Project

#: ``datasets`` builder for each file format of the data spec
BUILDERS = {"jsonl": "json", "csv": "csv", "parquet": "parquet"}
#: problems listed per file before the rest are counted
MAX_ROW_PROBLEMS = 10
#: object-store URI scheme -> the fsspec package that reads it
FSSPEC_PACKAGES = {"s3": "s3fs", "gs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}


@dataclass
class Split:
    """One split as plain columns: texts, label ids (in the spec's label order), row ids, slices.

    ``sha256`` is the pinned hash of the file, which the bytes read were checked against.
    """

    name: str
    shown: str  # the file as printed in messages
    sha256: str
    texts: list[str]
    labels: list[int]
    ids: list[str]
    slices: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def head(self, rows: int | None) -> Split:
        """The first ``rows`` rows (all when ``rows`` is None)."""
        if rows is None or rows >= len(self):
            return self
        return Split(
            self.name,
            self.shown,
            self.sha256,
            self.texts[:rows],
            self.labels[:rows],
            self.ids[:rows],
            {column: values[:rows] for column, values in self.slices.items()},
        )


def load_splits(project: Project, names: list[str]) -> dict[str, Split]:
    """Load ``names`` (e.g. ``["train", "validation"]``); raises ``ProjectError`` on any bad row or file."""
    with tempfile.TemporaryDirectory(prefix="data-") as scratch:
        files = {name: _fetch(project, name, Path(scratch)) for name in names}
        return {name: _read(project, name, path, shown, Path(scratch)) for name, (path, shown) in files.items()}


def _fetch(project: Project, split: str, scratch: Path) -> tuple[Path, str]:
    """A local path holding the split's verified bytes, and how to name it in messages."""
    source, entry = project.data.source, getattr(project.data.splits, split)
    if entry is None:
        raise ProjectError([located(project.docs["data"], ("splits",), f"no {split!r} split is declared")])
    if isinstance(source, LocalSource):
        return project.data_file(split), entry.path  # hashed by load_project(check_data=True)
    if isinstance(source, HuggingFaceSource):
        path = _from_hub(project, source, entry.path)
        shown = f"hf://datasets/{source.id}@{source.revision[:12]}/{entry.path}"
    else:
        path = _from_object_store(project, source, entry.path, scratch)
        shown = f"{source.uri.rstrip('/')}/{entry.path}"
    actual = sha256_file(path)
    if actual != entry.sha256:
        raise ProjectError(
            [
                located(
                    project.docs["data"],
                    ("splits", split, "sha256"),
                    f"{shown} has sha256 {actual[:12]}…, the spec pins {entry.sha256[:12]}…; "
                    "update the pin if the data change is intended",
                )
            ]
        )
    return path, shown


def _from_hub(project: Project, source: HuggingFaceSource, filename: str) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(source.id, filename, revision=source.revision, repo_type="dataset"))
    except Exception as err:  # offline, unknown repo or file, no access: all bad input here
        raise ProjectError(
            [
                located(
                    project.docs["data"],
                    ("source", "id"),
                    f"cannot download {filename} of Hub dataset {source.id}@{source.revision[:12]}: "
                    f"{one_line(err)} (needs network access, and HF_TOKEN for a private dataset)",
                )
            ]
        ) from None


def _from_object_store(project: Project, source: ObjectStoreSource, key: str, scratch: Path) -> Path:
    import fsspec

    scheme = source.uri.split("://", 1)[0]
    remote = f"{source.uri.rstrip('/')}/{key}"
    local = scratch / key.replace("/", "_")
    try:
        fs = fsspec.filesystem(scheme)
        fs.get(remote, str(local))
    except ImportError:
        raise ProjectError(
            [
                located(
                    project.docs["data"],
                    ("source", "uri"),
                    f"reading {scheme}:// needs the {FSSPEC_PACKAGES[scheme]} package; pip install it",
                )
            ]
        ) from None
    except Exception as err:  # no network, no credentials, no such key
        raise ProjectError(
            [
                located(
                    project.docs["data"],
                    ("source", "uri"),
                    f"cannot download {remote}: {one_line(err)} (needs network access and credentials "
                    "in the environment)",
                )
            ]
        ) from None
    return local


def _read(project: Project, split: str, path: Path, shown: str, scratch: Path) -> Split:
    """Read one file with ``datasets`` and check its columns and every label.

    The Arrow cache ``datasets`` builds lives in ``scratch`` and goes with it: the rows are
    returned as plain lists, and nothing is left in the user's cache.
    """
    import datasets

    spec = project.data
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    try:
        table = datasets.load_dataset(
            BUILDERS[spec.format], data_files={split: str(path)}, split=split, cache_dir=str(scratch / "cache")
        )
    except Exception as err:  # a file datasets cannot parse: malformed JSON, bad CSV quoting, not parquet
        if path.is_file() and path.stat().st_size == 0:
            raise ProjectError([_file_problem(shown, f"the {split} split is empty; it needs rows")]) from None
        raise ProjectError([_file_problem(shown, f"cannot be read as {spec.format}: {one_line(err)}")]) from None
    if table.num_rows == 0:
        raise ProjectError([_file_problem(shown, f"the {split} split is empty; it needs rows")])
    columns = spec.columns
    wanted = [c for c in (columns.text, columns.label, columns.id, *columns.slices) if c]
    missing = [c for c in wanted if c not in table.column_names]
    if missing:
        raise ProjectError(
            [
                _file_problem(
                    shown,
                    f"column(s) {', '.join(map(repr, missing))} named in specs/data.yaml are missing "
                    f"(the file has: {', '.join(table.column_names)})",
                )
            ]
        )
    texts, raw_labels = table[columns.text], table[columns.label]
    index = {label: i for i, label in enumerate(spec.labels)}
    problems = []
    for row, (text, label) in enumerate(zip(texts, raw_labels, strict=True)):
        if label not in index:
            problems.append(
                _row_problem(
                    shown,
                    spec.format,
                    row,
                    columns.label,
                    f"label {label!r} is not in the label set of specs/data.yaml ({', '.join(spec.labels)})",
                )
            )
        if not isinstance(text, str) or not text.strip():
            problems.append(_row_problem(shown, spec.format, row, columns.text, "text is empty or missing"))
    if problems:
        kept = problems[:MAX_ROW_PROBLEMS]
        if len(problems) > MAX_ROW_PROBLEMS:
            first_left = problems[MAX_ROW_PROBLEMS]
            kept.append(
                Problem(
                    first_left.path,
                    first_left.line,
                    first_left.col,
                    "",
                    f"... and {len(problems) - MAX_ROW_PROBLEMS} more row problem(s) from here on",
                )
            )
        raise ProjectError(kept)
    ids = [str(v) for v in table[columns.id]] if columns.id else [f"{split}-{i}" for i in range(table.num_rows)]
    return Split(
        name=split,
        shown=shown,
        sha256=getattr(spec.splits, split).sha256,  # the bytes read were verified against it
        texts=list(texts),
        labels=[index[label] for label in raw_labels],
        ids=ids,
        slices={c: [str(v) for v in table[c]] for c in columns.slices},
    )


def _file_problem(shown: str, message: str) -> Problem:
    return Problem(shown, 1, 1, "", message)


def _row_problem(shown: str, fmt: str, row: int, column: str, message: str) -> Problem:
    """A problem at a data row: jsonl rows are lines, csv rows follow the header, parquet has no lines."""
    if fmt == "parquet":
        return Problem("", 0, 0, "", f"{shown}: row {row + 1}: {column}: {message}")
    return Problem(shown, row + (2 if fmt == "csv" else 1), 1, column, message)
