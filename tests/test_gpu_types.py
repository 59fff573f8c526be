"""The spec layer's GPU vocabulary stays equal to the installed BentoML's."""

from __future__ import annotations

import importlib
import typing


def test_gpu_types_match_bentoml(template_package):
    from _bentoml_sdk.service.config import GpuLiteralType

    gpus = importlib.import_module(f"{template_package.__name__}.specs.gpus")
    assert tuple(typing.get_args(GpuLiteralType)) == gpus.BENTOML_GPU_TYPES
    assert set(gpus.KUBERNETES_GPU_PRODUCTS) <= set(gpus.BENTOML_GPU_TYPES)
