"""Monitoring: read the service's prediction log, compare it with the reference (``drift``), and gate it."""
