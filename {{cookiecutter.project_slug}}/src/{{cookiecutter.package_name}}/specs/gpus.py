"""GPU types each deployment target knows.

BentoML's names are the vocabulary (``@bentoml.service(resources={"gpu_type": ...})``); a test
keeps ``BENTOML_GPU_TYPES`` equal to the list in the installed BentoML. For Kubernetes a type
maps to the ``nvidia.com/gpu.product`` node label that NVIDIA GPU Feature Discovery sets.
"""

from __future__ import annotations

BENTOML_GPU_TYPES = (
    "nvidia-b200",
    "nvidia-gb200",
    "nvidia-rtx-pro-6000",
    "nvidia-h200-141gb",
    "nvidia-tesla-h100",
    "nvidia-tesla-t4",
    "nvidia-tesla-a100",
    "nvidia-a100-80gb",
    "nvidia-h100-80gb",
    "nvidia-a10g",
    "nvidia-l4",
    "nvidia-tesla-v100",
    "nvidia-tesla-p100",
    "nvidia-tesla-k80",
    "nvidia-tesla-p4",
    "amd-mi300x",
    "amd-mi325x",
    "amd-mi355x",
)

KUBERNETES_GPU_PRODUCTS = {
    "nvidia-tesla-t4": "Tesla-T4",
    "nvidia-l4": "NVIDIA-L4",
    "nvidia-a10g": "NVIDIA-A10G",
    "nvidia-tesla-v100": "Tesla-V100-SXM2-16GB",
    "nvidia-tesla-a100": "NVIDIA-A100-SXM4-40GB",
    "nvidia-a100-80gb": "NVIDIA-A100-SXM4-80GB",
    "nvidia-tesla-h100": "NVIDIA-H100-PCIe",
    "nvidia-h100-80gb": "NVIDIA-H100-80GB-HBM3",
    "nvidia-h200-141gb": "NVIDIA-H200",
}

GPU_TYPES_BY_TARGET = {
    "bentocloud": BENTOML_GPU_TYPES,
    "kubernetes": tuple(KUBERNETES_GPU_PRODUCTS),
}
