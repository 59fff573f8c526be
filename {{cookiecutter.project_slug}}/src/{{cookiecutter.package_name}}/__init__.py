"""Declarative, policy-gated ML project: specs in YAML, every CI step a CLI command."""

__version__ = "0.1.0"
