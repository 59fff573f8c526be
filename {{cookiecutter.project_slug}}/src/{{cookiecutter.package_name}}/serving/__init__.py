"""Serving: the BentoML service, and the ``build``, ``serve`` and ``render`` commands.

Only ``service.py`` imports BentoML at module level, and nothing here imports torch at module
level, so ``--help`` and ``validate`` stay fast.
"""
