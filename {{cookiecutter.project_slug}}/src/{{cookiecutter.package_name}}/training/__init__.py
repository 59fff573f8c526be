"""Training: the ``train`` command, its data, launcher, checkpoints, and the run's lineage and hash chain.

Nothing here imports torch at module level except the modules that train, so the gate and
``validate`` can use runs, lineage and the chain without it.
"""
