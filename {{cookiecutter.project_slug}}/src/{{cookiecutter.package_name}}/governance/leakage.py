"""Copies of rows between splits, found however they were disguised.

Texts are compared folded: NFKC, invisible characters removed (format characters such as the
zero-width space, controls, and Unicode's other default-ignorable fillers), look-alike letters
from other scripts mapped to the Latin letter they imitate (Unicode's confusables, through
``confusable-homoglyphs``), case folded, punctuation dropped and spacing collapsed.

- A *copy* is a pair of rows in different splits whose folded texts are equal, or a train row
  and a row of another split that are equal once one word is dropped from the start or the end
  of the longer (when at least ``MIN_WORDS`` words remain): a row with a word appended is still
  the row the model trained on.
- A *near copy* is a train row and an evaluation row whose word-shingle sets have a Jaccard
  similarity of at least ``NEAR_THRESHOLD``. Candidates come from MinHash signatures cut into
  LSH bands, so the check stays linear in the number of rows; each candidate's similarity is
  then computed exactly. Signatures and bands are those of ``datasketch`` (``MinHash`` with the
  ``affine32`` scheme, ``MinHashLSH``), computed here with numpy for all rows at once: per row,
  datasketch's objects cost about 100 times more, which 100k rows cannot afford (the tests check
  that both give the same signatures and candidates).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import defaultdict
from functools import lru_cache
from itertools import chain

#: word-shingle Jaccard similarity from which two texts of different splits count as near duplicates
NEAR_THRESHOLD = 0.8
SHINGLE = 3
#: a copy with one word added must still share this many words
MIN_WORDS = 3
#: MinHash permutations, and the LSH bands x rows they are cut into: a pair at the threshold (0.8)
#: becomes a candidate with probability 0.99, a pair at 0.9 with probability 0.99998
NUM_PERM = 60
BANDS = (12, 5)
#: candidates whose MinHash estimate is this far below the threshold are not checked exactly (4 standard errors)
ESTIMATE_MARGIN = 0.25
#: rows whose signatures are computed in one numpy block (bounds memory on large splits)
BLOCK = 4096

WORD = re.compile(r"\w+")
_ASCII_CONTROLS = {c: None for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}
_ASCII_CONTROLS_CHARS = frozenset(map(chr, _ASCII_CONTROLS))
# Default-ignorable code points that are not format (Cf) characters: fillers, the combining
# grapheme joiner, variation selectors.
_IGNORABLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0}


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    code = ord(char)
    if code < 128:
        return "" if char in _ASCII_CONTROLS_CHARS else char
    if unicodedata.category(char) in ("Cf", "Cc") or code in _IGNORABLE or 0xFE00 <= code <= 0xFE0F:
        return ""
    if 0xE0100 <= code <= 0xE01EF:
        return ""
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for glyph in entry["homoglyphs"]:
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalnum():
                return glyph["c"]
    return char


def fold(text: str) -> str:
    """``text`` as compared for copies: NFKC, invisible characters dropped, look-alikes mapped
    to Latin, case folded, words joined by single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_ASCII_CONTROLS) if text.isascii() else "".join(map(_fold_char, text))
    return " ".join(WORD.findall(text.casefold()))


def copies(texts: dict[str, list[str]], refs: dict[str, list[str]]) -> list[list[str]]:
    """Groups of row references from more than one split whose folded texts are equal, then
    pairs of a train row and a row of another split (longer row first) that are equal once one
    word at either end of the longer is dropped."""
    by_text: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for split, folded in texts.items():
        for ref, text in zip(refs[split], folded, strict=True):
            if text:
                by_text[text].append((split, ref))
    groups = [[ref for _, ref in rows] for rows in by_text.values() if len({s for s, _ in rows}) > 1]
    seen = set()
    for split, folded in texts.items():
        for ref, text in zip(refs[split], folded, strict=True):
            if text.count(" ") < MIN_WORDS:
                continue
            for shorter in (text.split(" ", 1)[1], text.rsplit(" ", 1)[0]):
                for other_split, other in by_text.get(shorter, ()):
                    if other_split != split and "train" in (split, other_split) and (ref, other) not in seen:
                        seen.add((ref, other))
                        groups.append([ref, other])
    return groups


def shingles(texts: list[str]):
    """The uint32 hashes of every row's word 3-shingles (the whole text when shorter), all rows
    end to end, and each row's offset and count into them."""
    import numpy as np

    split = [text.split() for text in texts]
    vocab = {word: zlib.crc32(word.encode()) or 1 for word in set(chain.from_iterable(split))}
    words = [list(map(vocab.__getitem__, ws)) for ws in split]
    lengths = np.array([len(ids) for ids in words], dtype=np.int64)
    # every row followed by SHINGLE - 1 zeros, so a short row still makes one shingle
    flat = np.fromiter(chain.from_iterable((*ids, 0, 0) for ids in words), dtype=np.uint64)
    row_start = np.concatenate([[0], np.cumsum(lengths + SHINGLE - 1)[:-1]]).astype(np.int64)
    counts = np.where(lengths > 0, np.maximum(lengths - SHINGLE + 1, 1), 0)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    at = np.repeat(row_start, counts) + (np.arange(counts.sum()) - np.repeat(offsets, counts))
    h = flat[at] * np.uint64(0x9E3779B1) + flat[at + 1] * np.uint64(0x85EBCA77) + flat[at + 2]
    return (h ^ (h >> np.uint64(32))).astype(np.uint32), offsets, counts


def permutations(num_perm: int = NUM_PERM, seed: int = 1):
    """The ``a`` (odd) and ``b`` of each affine permutation, drawn as datasketch draws them for
    ``MinHash(num_perm, seed, scheme="affine32")``."""
    import numpy as np

    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def signatures(hashes, offsets, counts):
    """MinHash signatures (rows x ``NUM_PERM``) of each row's shingle hashes, equal to datasketch's
    ``MinHash(NUM_PERM, seed=1, scheme="affine32")`` fed the same hashes (MurmurHash3 finaliser,
    then ``a*h + b`` modulo 2^32), computed for a block of rows at a time; rows without shingles
    keep the empty value."""
    import numpy as np

    a, b = permutations()
    h = hashes.copy()
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    out = np.full((len(a), len(counts)), np.iinfo(np.uint32).max, dtype=np.uint32)
    filled = np.flatnonzero(counts)
    for start in range(0, len(filled), BLOCK):
        rows = filled[start : start + BLOCK]
        first, last = offsets[rows[0]], offsets[rows[-1]] + counts[rows[-1]]
        values = a[:, None] * h[None, first:last] + b[:, None]  # permutations x shingles: rows stay contiguous
        out[:, rows] = np.minimum.reduceat(values, offsets[rows] - first, axis=1)
    return np.ascontiguousarray(out.T)


def candidates(index, queries):
    """Pairs ``(i, j)``, sorted, where signature row ``queries[j]`` equals ``index[i]`` on every
    value of at least one LSH band (``BANDS``: bands x rows per band), as datasketch's
    ``MinHashLSH`` would return them; every band is matched by sorting, for all rows at once."""
    import numpy as np

    bands, width = BANDS
    found = []
    for band in range(bands):
        cols = slice(band * width, (band + 1) * width)
        keys_i = np.ascontiguousarray(index[:, cols]).view(f"V{4 * width}").ravel()
        keys_q = np.ascontiguousarray(queries[:, cols]).view(f"V{4 * width}").ravel()
        order = np.argsort(keys_i, kind="stable")
        sorted_i = keys_i[order]
        left = np.searchsorted(sorted_i, keys_q, side="left")
        right = np.searchsorted(sorted_i, keys_q, side="right")
        sizes = right - left
        if not sizes.any():
            continue
        q = np.repeat(np.arange(len(keys_q)), sizes)
        at = np.repeat(left, sizes) + (np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes))
        found.append(np.stack([order[at], q], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0)


def near_copies(
    train: list[str], train_refs: list[str], evals: list[tuple[str, str]], skip: set[frozenset]
) -> list[dict]:
    """Pairs ``(train row, eval row)`` at or above ``NEAR_THRESHOLD`` but not equal, most similar
    first. ``evals`` holds ``(ref, folded text)``; pairs in ``skip`` (already copies) are left out."""
    first: dict[str, int] = {}  # one train row per distinct text, so repeated texts cost nothing
    kept = [i for i, text in enumerate(train) if text and first.setdefault(text, i) == i]
    queried = [j for j, (_, text) in enumerate(evals) if text]
    if not kept or not queried:
        return []
    hashes, offsets, counts = shingles([train[i] for i in kept] + [evals[j][1] for j in queried])
    signed = signatures(hashes, offsets, counts)

    def shingle_set(row: int) -> frozenset:
        return frozenset(hashes[offsets[row] : offsets[row] + counts[row]].tolist())

    found = candidates(signed[: len(kept)], signed[len(kept) :])
    # MinHash's estimate first (60 values: its standard error is at most 0.065), exact Jaccard after
    estimate = (signed[found[:, 0]] == signed[len(kept) + found[:, 1]]).mean(axis=1)
    pairs = []
    for i, j in found[estimate >= NEAR_THRESHOLD - ESTIMATE_MARGIN].tolist():
        train_ref, (ref, text) = train_refs[kept[i]], evals[queried[j]]
        if train[kept[i]] == text or frozenset((train_ref, ref)) in skip:
            continue
        mine, other = shingle_set(len(kept) + j), shingle_set(i)
        common = len(mine & other)
        similarity = common / (len(mine) + len(other) - common)
        if similarity >= NEAR_THRESHOLD:
            pairs.append({"rows": [train_ref, ref], "similarity": round(similarity, 3)})
    return sorted(pairs, key=lambda p: (-p["similarity"], p["rows"]))
