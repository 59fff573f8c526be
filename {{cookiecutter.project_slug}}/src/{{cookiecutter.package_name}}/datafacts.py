"""Facts about the data: personal data, duplicates and leakage, labels, and text lengths.

``scan`` reads every local split named in ``specs/data.yaml`` and returns the ``data`` section
of the policy input document. Rows are referred to as ``split:id`` (``split:#line`` without an
id column); found personal data is reported redacted, never verbatim. No model is downloaded:
regular expressions find e-mail addresses, IP addresses and secret-looking tokens,
``phonenumbers`` finds phone numbers and ``python-stdnum`` checks card numbers (Luhn) and IBANs.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .datarows import read_split
from .specs.data import LocalSource
from .specs.project import Project

#: listed rows per finding kind in the facts; the counts are always complete
MAX_LISTED = 50
#: word-shingle Jaccard similarity from which two texts of different splits count as near duplicates
NEAR_THRESHOLD = 0.8
SHINGLE = 3
#: national phone numbers are read as numbers of this region; +<country> numbers are found anywhere
PHONE_REGION = "US"
#: eval splits whose rows must not appear in train (exact duplicates across any two splits are leaks)
EVAL_SPLITS = ("validation", "test", "golden")

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:)[0-9A-Fa-f:]{3,39}(?![\w:])")
SECRETS = {
    "aws_access_key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "github_token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    "slack_token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    "private_key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
}
TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{24,}")
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Row:
    """One row of a split: its reference, text and label."""

    ref: str
    text: str
    label: Any


def split_rows(project: Project) -> dict[str, list[Row]]:
    """Every row of every local split, keyed by split name."""
    spec = project.data
    columns = spec.columns
    out: dict[str, list[Row]] = {}
    for split, entry in spec.splits:
        if entry is None:
            continue
        records = read_split(project, split).checked(content=False).records  # the one data reader
        rows = []
        for n, record in enumerate(records, 1):
            rid = record.get(columns.id) if columns.id else None
            text = record.get(columns.text)
            rows.append(
                Row(
                    f"{split}:{rid}" if rid not in (None, "") else f"{split}:#{n}",
                    "" if text is None else str(text),
                    record.get(columns.label),
                )
            )
        out[split] = rows
    return out


def normalise(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, punctuation dropped, whitespace collapsed."""
    return " ".join(WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def redact(value: str) -> str:
    """Enough of a found value to recognise it, not enough to reuse it: ``jo…(17 chars)…om``."""
    value = value.strip()
    return f"{value[:2]}…({len(value)} chars)…{value[-2:]}" if len(value) > 6 else "…" * len(value)


def _entropy(token: str) -> float:
    counts = Counter(token)
    return -sum(c / len(token) * math.log2(c / len(token)) for c in counts.values())


def pii_in(text: str) -> Iterator[tuple[str, str]]:
    """Yield ``(kind, matched text)`` for each piece of personal data or secret in ``text``."""
    import phonenumbers
    from stdnum import iban, luhn

    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        if any(s < end and start < e for s, e in taken):
            return False
        taken.append((start, end))
        return True

    for kind, pattern in SECRETS.items():
        for m in pattern.finditer(text):
            if free(*m.span()):
                yield "secret", f"{kind}:{m.group()}"
    for m in EMAIL.finditer(text):
        if free(*m.span()):
            yield "email", m.group()
    for m in IBAN.finditer(text.upper()):  # IBANs are written in either case; upper() keeps every offset
        parts = m.group().split(" ")
        for n in range(len(parts), 0, -1):  # the match may run on into the next word: try shorter ones
            candidate = " ".join(parts[:n])
            if iban.is_valid(candidate):
                if free(m.start(), m.start() + len(candidate)):
                    yield "iban", text[m.start() : m.start() + len(candidate)]
                break
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits) and free(*m.span()):
            yield "card_number", m.group()
    for pattern in (IPV4, IPV6):
        for m in pattern.finditer(text):
            try:
                ipaddress.ip_address(m.group())
            except ValueError:
                continue
            if free(*m.span()):
                yield "ip_address", m.group()
    for m in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION):
        if free(m.start, m.end):
            yield "phone", m.raw_string
    for m in TOKEN.finditer(text):
        token = m.group()
        mixed = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
        if mixed and _entropy(token) >= 4.0 and free(*m.span()):
            yield "secret", f"high_entropy:{token}"


def _listed(items: list) -> list:
    return items[:MAX_LISTED]


def _pii(splits: dict[str, list[Row]], project: Project) -> dict:
    counts: Counter = Counter()
    findings = []
    for rows in splits.values():
        for row in rows:
            for kind, value in pii_in(row.text):
                counts[kind] += 1
                findings.append({"row": row.ref, "kind": kind, "redacted": redact(value.split(":", 1)[-1])})
    pii = project.data.pii
    return {
        "may_contain": pii.may_contain,
        "legal_basis": pii.legal_basis,
        "total": sum(counts.values()),
        "counts": dict(sorted(counts.items())),
        "rows": len({f["row"] for f in findings}),
        "findings": _listed(findings),
    }


def _shingles(text: str) -> frozenset:
    words = text.split()
    if len(words) <= SHINGLE:
        return frozenset([tuple(words)])
    return frozenset(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def _duplicates(splits: dict[str, list[Row]], normal: dict[str, list[str]]) -> dict:
    by_text: dict[str, list[str]] = defaultdict(list)
    split_of: dict[str, set] = defaultdict(set)
    for split, rows in splits.items():
        for row, text in zip(rows, normal[split], strict=True):
            if text:
                by_text[text].append(row.ref)
                split_of[text].add(split)
    within = [refs for text, refs in by_text.items() if len(refs) > 1 and len(split_of[text]) == 1]
    across = [refs for text, refs in by_text.items() if len(split_of[text]) > 1]
    near = _near_across(splits, normal)
    return {
        "exact_within": {"count": len(within), "groups": _listed(within)},
        "exact_across": {"count": len(across), "groups": _listed(across)},
        "near_across": {
            "threshold": NEAR_THRESHOLD,
            "shingle_words": SHINGLE,
            "count": len(near),
            "pairs": _listed(near),
        },
    }


def _near_across(splits: dict[str, list[Row]], normal: dict[str, list[str]]) -> list[dict]:
    """Pairs (train row, eval row) with word-shingle Jaccard >= NEAR_THRESHOLD but different text.

    Exact: an inverted index over train shingles counts the shared shingles of every candidate.
    """
    if "train" not in splits:
        return []
    train = [_shingles(t) for t in normal["train"]]
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, shingles in enumerate(train):
        for s in shingles:
            index[s].append(i)
    pairs = []
    for split in EVAL_SPLITS:
        for row, text in zip(splits.get(split, []), normal.get(split, []), strict=True):
            mine = _shingles(text)
            shared: Counter = Counter()
            for s in mine:
                shared.update(index.get(s, ()))
            for i, common in shared.items():
                similarity = common / (len(mine) + len(train[i]) - common)
                if similarity >= NEAR_THRESHOLD and normal["train"][i] != text:
                    pairs.append({"rows": [splits["train"][i].ref, row.ref], "similarity": round(similarity, 3)})
    return sorted(pairs, key=lambda p: -p["similarity"])


def _labels(splits: dict[str, list[Row]], labels: list[str]) -> dict:
    known = set(labels)
    counts, balance, unknown = {}, {}, []
    for split, rows in splits.items():
        tally = Counter(row.label for row in rows if row.label in known)
        unknown += [row.ref for row in rows if row.label not in known]
        counts[split] = {label: tally.get(label, 0) for label in labels}
        total = sum(tally.values())
        if total:
            shares = [tally.get(label, 0) / total for label in labels]
            balance[split] = {
                "min_share": round(min(shares), 4),
                "max_share": round(max(shares), 4),
                "ratio": round(max(shares) / min(shares), 3) if min(shares) else None,
            }
    return {"counts": counts, "balance": balance, "unknown": {"count": len(unknown), "rows": _listed(unknown)}}


def _texts(splits: dict[str, list[Row]], limit: int) -> dict:
    empty = [row.ref for rows in splits.values() for row in rows if not row.text.strip()]
    long = [row.ref for rows in splits.values() for row in rows if len(row.text) > limit]
    chars = {
        split: {
            "min": min(len(r.text) for r in rows),
            "mean": round(sum(len(r.text) for r in rows) / len(rows), 1),
            "max": max(len(r.text) for r in rows),
        }
        for split, rows in splits.items()
        if rows
    }
    return {
        "empty": {"count": len(empty), "rows": _listed(empty)},
        "too_long": {"count": len(long), "limit": limit, "rows": _listed(long)},
        "chars": chars,
    }


def scan(project: Project) -> dict:
    """The ``data`` facts of a project whose specs loaded; remote sources are reported as not scanned."""
    spec = project.data
    if not isinstance(spec.source, LocalSource):
        return {"scanned": False, "source": spec.source.type}
    splits = split_rows(project)
    normal = {split: [normalise(r.text) for r in rows] for split, rows in splits.items()}
    limit = project.deployment.service.limits.max_text_chars if "deployment" in project.specs else 10**9
    return {
        "scanned": True,
        "source": spec.source.type,
        "rows": {split: len(rows) for split, rows in splits.items()},
        "pii": _pii(splits, project),
        "duplicates": _duplicates(splits, normal),
        "labels": _labels(splits, list(spec.labels)),
        "texts": _texts(splits, limit),
    }
