"""The watcher: cheap checks of every generated reply, counted on ``/metrics`` and reported for the log.

Replies are handed over with ``watch`` once they have been sent, and checked in the watcher's own
thread by the evaluation's output checks (``safety.check_outputs``: personal data, profanity,
refusals), in batches of what is waiting: the profanity model costs about the same for one reply
as for thirty-two, so a busy replica checks every reply at little cost per reply, and no check
ever delays an answer. Each reply is counted by the Prometheus counter
``generation_watcher_total`` (label ``check``: ``responses`` for every reply checked, ``pii``,
``profanity``, ``refusal`` for those flagged), then handed to ``report`` with its flags, in the
order the replies were watched. The checks' models load in ``warm``, before the first request.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

import bentoml

from .safety import check_outputs

logger = logging.getLogger(__name__)

CHECKS = ("pii", "profanity", "refusal")
#: the most replies checked in one batch
MAX_BATCH = 64
WATCHED = bentoml.metrics.Counter(
    name="generation_watcher",
    documentation="Replies the watcher checked (check=responses) and those it flagged, by check",
    labelnames=["check"],
)


class Watcher:
    """Checks replies in its own thread and reports ``(item, flags)``; ``flags`` is ``None`` for an item without text.

    Phone numbers are read for the data spec's ``regions``; refusals are the evaluation spec's ``refusal_markers``.
    """

    def __init__(
        self, regions: Sequence[str], refusal_markers: Sequence[str], report: Callable[[Any, dict | None], None]
    ) -> None:
        self.regions, self.refusal_markers, self.report = tuple(regions), tuple(refusal_markers), report
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="watcher", daemon=True).start()

    def warm(self) -> None:
        """Load what the checks need (detectors, classifiers)."""
        check_outputs(["warming up: call 0207 946 0958 or write to a@example.com"], self.regions, self.refusal_markers)

    def watch(self, text: str | None, item: Any) -> None:
        """Check ``text`` (``None``: nothing was generated) and report ``item`` with the result."""
        self._queue.put((text, item))

    def settle(self) -> None:
        """Wait until every reply watched so far has been checked and reported."""
        done = threading.Event()
        self._queue.put((None, done))
        done.wait()

    def check(self, texts: list[str]) -> list[dict[str, bool]]:
        """The flags of each of ``texts``, counted on ``/metrics``."""
        found = check_outputs(texts, self.regions, self.refusal_markers) if texts else []
        for flags in found:
            WATCHED.labels(check="responses").inc()
            for name in CHECKS:
                if flags[name]:
                    WATCHED.labels(check=name).inc()
        return found

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                flags = iter(self.check([text for text, _ in batch if text]))
            except Exception:  # a failing check loses these checks, never the replies' log records
                logger.exception("the watcher's checks failed")
                flags = iter(())
            for text, item in batch:
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                try:
                    self.report(item, next(flags, None) if text else None)
                except Exception:
                    logger.exception("reporting a watched reply failed")
