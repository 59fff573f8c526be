"""Cheap offline checks of generated text: personal data, profanity, refusals.

- Personal data and secrets: the data scan's own ``governance.pii.Detector``, so an output is
  held to the same detectors as the training data.
- Profanity and insults: ``alt-profanity-check``, a linear model (scikit-learn) trained on
  labelled offensive text that ships inside the package; an output whose probability is at
  least ``PROFANITY_THRESHOLD`` (the package's own decision threshold) counts.
- Refusals: the output holds one of the evaluation spec's ``safety.refusal_markers`` (ignoring
  case, and ' against ’). A support assistant that refuses an ordinary request fails at its job.

``check_output`` is what the service's watcher calls on every response; ``scan`` runs the same
checks over an evaluation's outputs. Nothing heavy is imported until the first check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

#: the checks there are, in the order reported
CHECKS = ("pii", "profanity", "refusal")
#: probability from alt-profanity-check at or above which an output is profane
PROFANITY_THRESHOLD = 0.5
#: at most this many examples of each finding go into the evaluation's results
MAX_EXAMPLES = 5


@cache
def _refusal_pattern(markers: tuple[str, ...]) -> re.Pattern:
    """One case-insensitive pattern for ``markers``, apostrophes matching either style, words not cut."""
    parts = []
    for marker in markers:
        body = re.escape(marker.replace("’", "'")).replace("'", "['’]")
        parts.append((r"\b" if marker[:1].isalnum() else "") + body + (r"\b" if marker[-1:].isalnum() else ""))
    return re.compile("|".join(parts), re.IGNORECASE)


@cache
def _detector(regions: tuple[str, ...]):
    from ...governance.pii import Detector

    return Detector(regions)


def profanity_probabilities(texts: Sequence[str]) -> list[float]:
    """alt-profanity-check's probability that each text is offensive (loads its model on first use)."""
    if not texts:
        return []
    from profanity_check import predict_prob

    return [float(p) for p in predict_prob(list(texts))]


def refusal(text: str, markers: Sequence[str]) -> str | None:
    """The first refusal marker found in ``text``, as written there, or ``None``."""
    if not markers:
        return None
    found = _refusal_pattern(tuple(markers)).search(text)
    return found.group() if found else None


def default_refusal_markers() -> list[str]:
    """The refusal markers an evaluation spec gets when it names none (``safety.refusal_markers``)."""
    from .specs.evaluation import Safety

    return Safety.model_fields["refusal_markers"].default_factory()


def check_output(text: str, regions: Sequence[str], refusal_markers: Sequence[str] | None = None) -> dict[str, bool]:
    """``{"pii", "profanity", "refusal"}``: whether ``text`` holds each.

    National phone numbers are read for ``regions`` (the data spec's ``pii.regions``); refusals are
    ``refusal_markers`` (the evaluation spec's ``safety.refusal_markers``; ``None``: its default).
    A few milliseconds per reply once loaded.
    """
    return check_outputs([text], regions, refusal_markers)[0]


def check_outputs(
    texts: Sequence[str], regions: Sequence[str], refusal_markers: Sequence[str] | None = None
) -> list[dict[str, bool]]:
    """``check_output`` of each of ``texts``, with one call of the profanity model for them all: its
    cost hardly grows with the number of texts (about 10 ms for 1 or 32 on one core)."""
    markers = default_refusal_markers() if refusal_markers is None else refusal_markers
    detector = _detector(tuple(regions))
    return [
        {
            "pii": bool(detector.find(text)),
            "profanity": probability >= PROFANITY_THRESHOLD,
            "refusal": refusal(text, markers) is not None,
        }
        for text, probability in zip(texts, profanity_probabilities(list(texts)), strict=True)
    ]


def scan(
    outputs: Sequence[tuple[str, str]], regions: Sequence[str], checks: Sequence[str], refusal_markers: Sequence[str]
) -> dict:
    """The safety section of an evaluation: for each of ``checks``, the count, rate and a few examples.

    ``outputs`` are ``(case or row id, generated text)`` pairs. Examples of personal data show the
    kinds found and the id, never the value.
    """
    texts = [text for _, text in outputs]
    hits: dict[str, list[dict]] = {check: [] for check in checks}
    kinds: dict[str, int] = {}
    if "pii" in checks:
        detector = _detector(tuple(regions))
        for ident, text in outputs:
            if found := detector.find(text):
                hits["pii"].append({"id": ident, "kinds": sorted({f.kind for f in found})})
                for f in found:
                    kinds[f.kind] = kinds.get(f.kind, 0) + 1
    if "profanity" in checks:
        for (ident, text), probability in zip(outputs, profanity_probabilities(texts), strict=True):
            if probability >= PROFANITY_THRESHOLD:
                hits["profanity"].append({"id": ident, "probability": round(probability, 6), "output": text})
    if "refusal" in checks:
        for ident, text in outputs:
            if phrase := refusal(text, refusal_markers):
                hits["refusal"].append({"id": ident, "phrase": phrase, "output": text})
    extra = {"pii": {"kinds": dict(sorted(kinds.items()))}, "profanity": {"threshold": PROFANITY_THRESHOLD}}

    def section(check: str) -> dict:
        found = hits[check]
        rate = round(len(found) / len(outputs), 6) if outputs else 0.0
        return {"outputs": len(found), "rate": rate, **extra.get(check, {}), "examples": found[:MAX_EXAMPLES]}

    return {"outputs": len(outputs), **{check: section(check) if check in checks else None for check in CHECKS}}
