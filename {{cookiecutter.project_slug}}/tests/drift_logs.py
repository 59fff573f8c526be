"""Synthetic prediction logs drawn from a drift reference profile with a seed, for the drift tests and benchmark.

Each record looks like what the service writes (``serving/predlog.py``): labels drawn from the
reference's predicted-label shares, scores from its confidence histogram, input lengths from its
length histogram, words as about one per six characters with the reference's unseen-word share.
Keyword arguments shift one property at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np


def records(
    profile: dict,
    n: int,
    *,
    seed: int,
    start: dt.datetime,
    label_shares: dict[str, float] | None = None,
    extra_chars: int = 0,
    unseen_rate: float | None = None,
    error_rate: float = 0.0,
) -> list[dict]:
    """``n`` records one second apart from ``start``, drawn from ``profile`` (a reference.json document)."""
    rng = np.random.default_rng(seed)
    labels = list(profile["labels"])
    weights = np.array([(label_shares or profile["labels"]).get(k, 0) for k in labels], dtype=float)
    picked = rng.choice(len(labels), size=n, p=weights / weights.sum())
    conf = np.array(profile["confidence"], dtype=float)
    bins = rng.choice(len(conf), size=n, p=conf / conf.sum())
    scores = np.minimum((bins + rng.random(n)) / len(conf), 1.0)
    lengths = np.array(profile["input_chars"]["lengths"])
    counts = np.array(profile["input_chars"]["counts"], dtype=float)
    chars = rng.choice(lengths, size=n, p=counts / counts.sum()) + extra_chars
    words = np.maximum(1, chars // 6)
    rate = profile["unseen_words"] / profile["words"] if unseen_rate is None else unseen_rate
    unseen = rng.binomial(words, rate)
    failed = rng.random(n) < error_rate
    out = []
    for i in range(n):
        ok = not failed[i]
        out.append(
            {
                "ts": (start + dt.timedelta(seconds=i)).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "task": "text-classification",
                "input_sha256": f"{i:016x}",
                "input_chars": int(chars[i]),
                "input_tokens": int(words[i]) + 2,
                "words": int(words[i]),
                "unseen_words": int(unseen[i]),
                "label": labels[picked[i]] if ok else None,
                "score": round(float(scores[i]), 6) if ok else None,
                "error": None if ok else "RuntimeError",
            }
        )
    return out


def write_parts(directory: Path, rows: list[dict], per_part: int = 50_000) -> list[Path]:
    """Write ``rows`` as JSON-lines parts under ``directory/<day>/``, as the service does; returns the parts."""
    written = []
    for number, begin in enumerate(range(0, len(rows), per_part)):
        chunk = rows[begin : begin + per_part]
        day = chunk[0]["ts"][:10]
        path = directory / day / f"{chunk[0]['ts'][11:19].replace(':', '')}-synthetic-{number:06d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in chunk), encoding="utf-8")
        written.append(path)
    return written
