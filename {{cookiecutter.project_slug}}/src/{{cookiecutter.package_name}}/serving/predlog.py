"""The prediction log: one JSON line per prediction, written in parts under an fsspec URL.

The service hands each batch's records to ``PredictionLog.write``; they are buffered and written
as one new part file ``<url>/<YYYY-MM-DD>/<HHMMSS>-<host>-<pid>-<writer>-<seq>.jsonl`` when ``max_records``
are waiting, every ``flush_s`` seconds, and when the process exits. A part is never appended to,
so the same code writes to a local directory and to an object store (``s3://``, ``gs://``,
``az://`` with the matching fsspec package installed); a local part appears whole (written
under a dot name, then renamed). A part that cannot be written is logged as an error and
dropped: the service keeps answering, and its memory stays bounded. ``drift`` reads the parts
back (``monitoring/logs.py``).

A classification record: ``{"ts", "task": "text-classification", "input_sha256"`` (or ``"text"``
when raw text may be logged), ``"input_chars", "input_tokens", "words", "unseen_words", "label",
"score", "error"}``; ``error`` is null, or the kind of failure (then ``label`` and ``score`` are null).
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable, Sequence
from typing import Any

TASK = "text-classification"
logger = logging.getLogger(__name__)


def now() -> str:
    """The current UTC time as ISO 8601 with milliseconds and ``Z``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def word_counts(tokenizer: Any, texts: Sequence[str]) -> list[tuple[int, int]]:
    """(words, words missing from the vocabulary) per text, as the tokenizer splits and normalises words.

    A word the vocabulary lacks as a whole token is split into pieces or mapped to the unknown
    token: a rising share of them means the inputs use words the model never saw in training.
    """
    backend = tokenizer.backend_tokenizer
    vocab = tokenizer.get_vocab()
    out = []
    for text in texts:
        normal = backend.normalizer.normalize_str(text) if backend.normalizer is not None else text
        words = (
            [w for w, _ in backend.pre_tokenizer.pre_tokenize_str(normal)] if backend.pre_tokenizer else normal.split()
        )
        out.append((len(words), sum(w not in vocab for w in words)))
    return out


class PredictionLog:
    """Buffered JSON-lines writer of prediction records to an fsspec URL (see the module docstring)."""

    def __init__(self, url: str, *, flush_s: float = 10.0, max_records: int = 1000) -> None:
        import fsspec

        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.local = "file" in self.fs.protocol or "local" in self.fs.protocol
        self.flush_s, self.max_records = flush_s, max_records
        self.name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"  # unique per writer
        self._records: list[str] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._stop = threading.Event()
        threading.Thread(target=self._every, name="prediction-log", daemon=True).start()
        atexit.register(self.close)

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        """Queue ``records``; writes a part when ``max_records`` are waiting."""
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
        with self._lock:
            self._records += lines
            full = len(self._records) >= self.max_records
        if full:
            self._flush_logged()

    def flush(self) -> None:
        """Write the waiting records as one new part file (nothing when none wait)."""
        with self._lock:
            lines, self._records = self._records, []
            self._seq += 1
            seq = self._seq
        if not lines:
            return
        stamp = dt.datetime.now(dt.UTC)
        folder = f"{self.root.rstrip('/')}/{stamp:%Y-%m-%d}"
        name = f"{stamp:%H%M%S}-{self.name}-{seq:06d}.jsonl"
        data = ("\n".join(lines) + "\n").encode("utf-8")
        if self.local:
            self.fs.makedirs(folder, exist_ok=True)
            tmp = f"{folder}/.{name}.tmp"
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, f"{folder}/{name}")
        else:
            self.fs.pipe_file(f"{folder}/{name}", data)

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # a store that is down loses this part (memory stays bounded), never a prediction
            logger.exception("writing a part of the prediction log to %s failed; the part is lost", self.root)

    def _every(self) -> None:
        while not self._stop.wait(self.flush_s):
            self._flush_logged()

    def close(self) -> None:
        """Write what is waiting and stop the timer."""
        self._stop.set()
        self._flush_logged()
