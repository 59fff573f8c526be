"""Instruction/response rows of a split as the model sees them: chat messages and the reference reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...specs.project import Project
from ...training.data import read_splits
from .prompting import render_messages


@dataclass
class Pairs:
    """One split as plain columns: the chat messages of each row, its reference reply, ids, slices, raw rows."""

    name: str
    shown: str  # the file as printed in messages
    sha256: str
    messages: list[list[dict]]
    replies: list[str]
    ids: list[str]
    rows: list[dict]
    slices: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.replies)

    @property
    def texts(self) -> list[str]:
        """Every message and reply: what a tokenizer trained here learns from."""
        return [m["content"] for row in self.messages for m in row] + self.replies

    def head(self, rows: int | None) -> Pairs:
        """The first ``rows`` rows (all when ``rows`` is None)."""
        if rows is None or rows >= len(self):
            return self
        return Pairs(
            self.name,
            self.shown,
            self.sha256,
            self.messages[:rows],
            self.replies[:rows],
            self.ids[:rows],
            self.rows[:rows],
            {column: values[:rows] for column, values in self.slices.items()},
        )


def load_splits(project: Project, names: list[str]) -> dict[str, Pairs]:
    """Load ``names`` (e.g. ``["train", "validation"]``) rendered through the default prompt template;
    raises ``ProjectError`` on any bad row or file."""
    prompts, columns = project.specs["prompts"], project.data.columns
    out = {}
    for name, rows in read_splits(project, names).items():
        records = rows.records
        out[name] = Pairs(
            name=name,
            shown=rows.shown,
            sha256=rows.sha256,
            messages=[render_messages(prompts, r) for r in records],
            replies=[r[columns.response] for r in records],
            ids=[str(r[columns.id]) for r in records] if columns.id else [f"{name}-{i}" for i in range(len(records))],
            rows=records,
            slices={c: [str(r[c]) for r in records] for c in columns.slices},
        )
    return out
