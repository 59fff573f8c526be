"""Governance: the facts a gate reads (data scan, PII, leakage), the policy engine, ``gate``, ``card`` and ``diff``."""
