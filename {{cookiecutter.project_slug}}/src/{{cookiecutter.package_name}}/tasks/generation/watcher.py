"""The watcher: cheap checks of every generated response, counted on ``/metrics`` and logged.

Each response's text goes through the same output checks as the offline evaluation
(``check_output``), and the result is counted by Prometheus counter ``generation_watcher_total``
(label ``check``: ``pii``, ``profanity``, ``refusal``; ``responses`` counts every response
checked) and written into the response's prediction log record. The checks' models load when
the service loads the model (``warm``), not on the first request.
"""

from __future__ import annotations

from collections.abc import Sequence

import bentoml

from .safety import check_output

CHECKS = ("pii", "profanity", "refusal")
WATCHED = bentoml.metrics.Counter(
    name="generation_watcher",
    documentation="Responses the watcher checked (check=responses) and those it flagged, by check",
    labelnames=["check"],
)


class Watcher:
    """Checks generated text: phone numbers read for the data spec's ``regions``, refusals by ``refusal_markers``."""

    def __init__(self, regions: Sequence[str], refusal_markers: Sequence[str]) -> None:
        self.regions, self.refusal_markers = tuple(regions), tuple(refusal_markers)

    def warm(self) -> None:
        """Load what the checks need (detectors, classifiers) before the first request."""
        self.check("warming up: call 0207 946 0958 or write to a@example.com", counted=False)

    def check(self, text: str, counted: bool = True) -> dict[str, bool]:
        """``{"pii", "profanity", "refusal"}`` of ``text``, counted on ``/metrics``."""
        flags = check_output(text, self.regions, self.refusal_markers)
        if not counted:
            return flags
        WATCHED.labels(check="responses").inc()
        for name in CHECKS:
            if flags.get(name):
                WATCHED.labels(check=name).inc()
        return {name: bool(flags.get(name)) for name in CHECKS}
