"""Read the splits named in ``specs/data.yaml`` through ``datarows``, checked row by row.

Local files are read where they are, once per project (``validate`` reads them the same way). A
Hub dataset or an object-store prefix is downloaded first, then read the same way. The sha256 of
the bytes read is checked against the pin. Every problem with the data (a file that cannot be
read, a malformed row, a missing column, a label outside the label set, an empty split) is a
``ProjectError``: exit 2, never a traceback.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProjectError, one_line
from ..specs.data import HuggingFaceSource, LocalSource, ObjectStoreSource
from ..specs.datarows import Rows, read_rows, read_split
from ..specs.problems import located
from ..specs.project import Project

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
    """Load ``names`` (e.g. ``["train", "validation"]``) as labelled texts; raises ``ProjectError`` on any
    bad row or file."""
    return {name: _split(project, name, rows) for name, rows in read_splits(project, names).items()}


def read_splits(project: Project, names: list[str]) -> dict[str, Rows]:
    """The checked rows of ``names``, from wherever the data spec keeps them, matching their pins."""
    with tempfile.TemporaryDirectory(prefix="data-") as scratch:
        return {name: _rows(project, name, Path(scratch)) for name in names}


def _rows(project: Project, split: str, scratch: Path) -> Rows:
    """The checked rows of a split whose bytes match the pinned sha256."""
    source, entry = project.data.source, getattr(project.data.splits, split)
    if entry is None:
        raise ProjectError([located(project.docs["data"], ("splits",), f"no {split!r} split is declared")])
    if isinstance(source, LocalSource):
        rows, shown = read_split(project, split), entry.path
    else:
        if isinstance(source, HuggingFaceSource):
            path = _from_hub(project, source, entry.path)
            shown = f"hf://datasets/{source.id}@{source.revision[:12]}/{entry.path}"
        else:
            path = _from_object_store(project, source, entry.path, scratch)
            shown = f"{source.uri.rstrip('/')}/{entry.path}"
        rows = read_rows(path, shown, project.data, split=split, root=None)  # downloaded by us, outside the project
    rows.checked()
    if rows.sha256 != entry.sha256:
        raise ProjectError(
            [
                located(
                    project.docs["data"],
                    ("splits", split, "sha256"),
                    f"{shown} has sha256 {rows.sha256[:12]}…, the spec pins {entry.sha256[:12]}…; "
                    "update the pin if the data change is intended",
                )
            ]
        )
    return rows


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


def _split(project: Project, split: str, rows: Rows) -> Split:
    """Plain columns of checked rows: labels as ids in the spec's order, ids and slices as text."""
    columns, index = project.data.columns, {label: i for i, label in enumerate(project.data.labels)}
    records = rows.records
    return Split(
        name=split,
        shown=rows.shown,
        sha256=rows.sha256,
        texts=[r[columns.text] for r in records],
        labels=[index[r[columns.label]] for r in records],
        ids=[str(r[columns.id]) for r in records] if columns.id else [f"{split}-{i}" for i in range(len(records))],
        slices={c: [str(r[c]) for r in records] for c in columns.slices},
    )
