"""Seeded text perturbations for robustness checks, named as in ``specs/evaluation.yaml``.

``perturb(texts, kind, rate, seed)`` returns new texts; the same arguments always give the same
result (each perturbation draws from its own ``random.Random`` seeded from ``seed`` and its name).
``rate`` is the share of characters (``typos``), word gaps (``extra_whitespace``) or words
(``drop_words``) touched; the other kinds ignore it.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence

#: rows of a QWERTY keyboard, for realistic typos
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """Each key -> the keys beside it and at the same position in the other rows."""
    near = {}
    for row in KEYBOARD_ROWS:
        for i, key in enumerate(row):
            beside = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            above_below = [other[i] for other in KEYBOARD_ROWS if other != row and i < len(other)]
            near[key] = "".join(beside + above_below)
    return near


NEIGHBOURS = _neighbours()
WHITESPACE = ("  ", "   ", "\t", " \n ")


def lowercase(text: str, rng: random.Random, rate: float) -> str:
    """Every letter in lower case."""
    return text.lower()


def uppercase(text: str, rng: random.Random, rate: float) -> str:
    """Every letter in upper case."""
    return text.upper()


def typos(text: str, rng: random.Random, rate: float) -> str:
    """Each letter, with probability ``rate``: swapped with the next, dropped, doubled or hit next to."""
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < len(chars):
        char = chars[i]
        if not char.isalpha() or rng.random() >= rate:
            out.append(char)
            i += 1
            continue
        kind = rng.randrange(4)
        if kind == 0 and i + 1 < len(chars):  # swap with the next character
            out += [chars[i + 1], char]
            i += 2
            continue
        if kind == 1:  # drop
            pass
        elif kind == 2:  # double
            out += [char, char]
        else:  # a neighbouring key, keeping the case
            near = NEIGHBOURS.get(char.lower())
            hit = rng.choice(near) if near else char
            out.append(hit.upper() if char.isupper() else hit)
        i += 1
    return "".join(out)


def extra_whitespace(text: str, rng: random.Random, rate: float) -> str:
    """Each gap between words, with probability ``rate``, widened to runs of spaces, tabs or newlines."""
    words = text.split(" ")
    out = words[0]
    for word in words[1:]:
        out += (rng.choice(WHITESPACE) if rng.random() < rate else " ") + word
    return out


def strip_punctuation(text: str, rng: random.Random, rate: float) -> str:
    """Every punctuation character removed (Unicode category P*), runs of spaces closed up."""
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
    return " ".join(kept.split())


def drop_words(text: str, rng: random.Random, rate: float) -> str:
    """Each word dropped with probability ``rate``; at least one word is kept."""
    words = text.split()
    kept = [w for w in words if rng.random() >= rate]
    return " ".join(kept or words[:1])


#: the perturbations whose strength ``rate`` sets
RATED = frozenset({"typos", "extra_whitespace", "drop_words"})

PERTURBATIONS: dict[str, Callable[[str, random.Random, float], str]] = {
    f.__name__: f for f in (lowercase, uppercase, typos, extra_whitespace, strip_punctuation, drop_words)
}


def perturb(texts: Sequence[str], kind: str, rate: float, seed: int) -> list[str]:
    """Apply perturbation ``kind`` to every text, reproducibly for ``seed``."""
    rng = random.Random(f"{seed}:{kind}:{rate}")
    change = PERTURBATIONS[kind]
    return [change(text, rng, rate) for text in texts]
