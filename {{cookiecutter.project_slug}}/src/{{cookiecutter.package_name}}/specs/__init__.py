"""The spec layer: typed models of every YAML spec, safe loading, and cross-spec checks.

This package imports only pydantic and PyYAML (libyaml), so validating specs stays fast.
"""

from __future__ import annotations

from .data import DataSpec
from .deployment import DeploymentSpec
from .evaluation import EvaluationSpec
from .model import ModelSpec
from .monitoring import MonitoringSpec

#: spec file stem -> model class; ``specs/<stem>.yaml`` is checked against ``schemas/<stem>.schema.json``.
SPEC_KINDS = {
    "data": DataSpec,
    "model": ModelSpec,
    "evaluation": EvaluationSpec,
    "deployment": DeploymentSpec,
    "monitoring": MonitoringSpec,
}

__all__ = ["SPEC_KINDS", "DataSpec", "DeploymentSpec", "EvaluationSpec", "ModelSpec", "MonitoringSpec"]
