"""What ``build`` and ``serve`` need of a classification run: its service configuration, and what its bento carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...serving.config import service_config

if TYPE_CHECKING:
    from ...specs.project import Project

__all__ = ["FILES", "RUN_FIELDS", "USAGE", "check_local", "image_packages", "service_config"]

#: run.json fields the service reads
RUN_FIELDS = ("labels",)
#: the package files the bento carries beyond the shared serving modules
FILES = ("serving/service.py",)
USAGE = 'POST /classify {"texts": [...]}   GET /readyz /livez /metrics'


def check_local(config: object) -> None:
    """Nothing to refuse: the classifier runs wherever torch does."""


def image_packages(project: Project) -> tuple[str, ...]:
    """The packages the classifier imports, pinned to the versions installed here."""
    return ("torch", "transformers")
