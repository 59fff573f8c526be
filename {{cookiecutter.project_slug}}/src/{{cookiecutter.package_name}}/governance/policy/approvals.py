"""Approvals of a pull request, from its reviews as GitHub's REST API returns them.

``gate --approvals FILE --head-sha SHA`` reads ``GET /repos/{owner}/{repo}/pulls/{n}/reviews``:
a JSON array of ``{"user": {"login": ...}, "state": ..., "commit_id": ...}``, or several such
arrays one after another (what ``gh api --paginate`` prints). As on GitHub, each reviewer's
latest APPROVED, CHANGES_REQUESTED or DISMISSED review is their state (COMMENTED and PENDING
reviews do not change it). A reviewer approves when that state is APPROVED *at the head
commit*: an approval of an earlier push does not cover what was pushed after it.

A policy change or waiver counts as approved when such a reviewer is listed in ``approvers``
of the base branch's governance file. A team (``@org/team``) in that list cannot be checked
from the reviews alone (team membership needs an organisation token), so list the people who
approve by their own handles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ProjectError

MAX_BYTES = 8 << 20
#: review states that set a reviewer's state; COMMENTED and PENDING leave it as it was
DECIDING = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Approvals:
    """Who approved the pull request at its head commit (lower-case logins), and from where."""

    head_sha: str | None = None
    approved_by: frozenset[str] = frozenset()
    source: str | None = None
    reviews: int = 0
    stale: dict[str, str] = field(default_factory=dict)  # login -> commit an older approval was given at

    def by(self, approvers: list[str]) -> list[str]:
        """The ``approvers`` handles (``@login``) who approved; teams never match (see the module doc)."""
        return [a for a in approvers if "/" not in a and a.lower().removeprefix("@") in self.approved_by]

    def describe(self) -> str:
        if self.source is None:
            return "no reviews were given to the gate (--approvals): nothing added by this change is approved"
        head = (self.head_sha or "")[:12]
        who = ", ".join(f"@{login}" for login in sorted(self.approved_by)) or "nobody"
        return f"{self.reviews} reviews in {self.source}; approved at {head} by {who}"


def _documents(text: str, source: str) -> list:
    """Every JSON value in ``text`` (one array, JSON lines, or arrays back to back)."""
    decoder = json.JSONDecoder()
    values, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return values
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as err:
            raise ProjectError(
                f"{source}:{err.lineno}:{err.colno}: not the JSON GitHub returns for reviews ({err.msg})"
            ) from None
        values.append(value)


def load_approvals(path: Path, head_sha: str) -> Approvals:
    """The approvals in the reviews file ``path`` at commit ``head_sha``; exits 2 for a malformed file."""
    source = str(path)
    if not SHA.match(head_sha or ""):
        raise ProjectError(f"--head-sha {head_sha!r} is not a full commit sha (40 hex digits, lower case)")
    try:
        if not path.is_file():
            raise ProjectError(f"{source}: no such file (the reviews of the pull request, from the GitHub API)")
        if path.stat().st_size > MAX_BYTES:
            raise ProjectError(f"{source}: larger than {MAX_BYTES} bytes; not a list of reviews")
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectError(f"{source}: cannot be read as UTF-8 JSON ({err})") from None
    reviews = []
    for value in _documents(text, source):
        reviews += value if isinstance(value, list) else [value]
    state: dict[str, tuple[str, str | None]] = {}
    for index, review in enumerate(reviews):
        user = review.get("user") if isinstance(review, dict) else None
        login = user.get("login") if isinstance(user, dict) else None
        kind = review.get("state") if isinstance(review, dict) else None
        commit = review.get("commit_id") if isinstance(review, dict) else None
        if user is None and isinstance(review, dict) and "state" in review:
            continue  # a review by a deleted account ("ghost"): nobody
        if not isinstance(login, str) or not isinstance(kind, str) or not isinstance(commit, (str, type(None))):
            raise ProjectError(
                f"{source}: review [{index}] needs user.login, state and commit_id (as GitHub's API returns them)"
            )
        if kind.upper() in DECIDING:
            state[login.lower()] = (kind.upper(), commit)
    approved = frozenset(login for login, (kind, commit) in state.items() if kind == "APPROVED" and commit == head_sha)
    stale = {
        login: commit or "?" for login, (kind, commit) in state.items() if kind == "APPROVED" and commit != head_sha
    }
    return Approvals(head_sha, approved, source, len(reviews), stale)
