"""Evaluation: the ``evaluate`` command, its metrics, robustness perturbations, plots and report."""
