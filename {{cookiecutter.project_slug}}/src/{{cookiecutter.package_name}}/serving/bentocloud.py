"""The BentoCloud deployment config of one environment: the file ``bentoml deploy -f`` takes.

``deploy/<env>/bentocloud.yaml`` names the stable bento (``<service>:<run id>``, immutable),
the scaling of the environment and the spec's traffic settings. While a canary runs, the new
bento is listed under ``canary.versions`` with the spec's weight; BentoCloud sends the rest of
the traffic to the stable one. Apply it with ``bentoml deployment apply -f`` (or ``deploy -f``
the first time).
"""

from __future__ import annotations

from typing import Any

from ..specs.deployment import DeploymentSpec, Environment
from .release_state import PREFIX, Plan, Release

FILES = ("bentocloud.yaml",)


def deployment_name(spec: DeploymentSpec, env: Environment) -> str:
    return f"{spec.service.name}-{env.name}"


def config(spec: DeploymentSpec, env: Environment, plan: Plan) -> dict[str, dict[str, Any]]:
    """File name -> deployment config, for the environment running ``plan``."""
    service = spec.service
    # label values stay within Kubernetes label rules (63 characters, no ':')
    labels = {
        "environment": env.name,
        PREFIX + "run-id": plan.stable.run_id,
        PREFIX + "git-commit": plan.stable.git_commit or "unknown",
        PREFIX + "engine": plan.stable.engine,
    }
    body: dict[str, Any] = {
        "name": deployment_name(spec, env),
        "bento": plan.stable.bento,
        "access_authorization": True,
        "labels": [{"key": key, "value": value} for key, value in labels.items()],
        "services": {
            service.name: {
                "scaling": {"min_replicas": env.scaling.min_replicas, "max_replicas": env.scaling.max_replicas},
                "deployment_strategy": "RollingUpdate",
                "config_overrides": {
                    "traffic": {
                        "timeout": service.traffic.timeout_s,
                        "concurrency": service.traffic.concurrency,
                        "max_concurrency": service.traffic.max_concurrency,
                    }
                },
            }
        },
    }
    if plan.canary is not None:
        body["canary"] = {
            "route_type": "random",
            "versions": {"canary": {"bento": plan.canary.bento, "weight": plan.weight}},
        }
    return {"bentocloud.yaml": body}


def _release(bento: object) -> Release | None:
    """The release of a bento tag ``<service>:<run id>``."""
    if not isinstance(bento, str) or ":" not in bento:
        return None
    return Release(run_id=bento.rsplit(":", 1)[1], bento=bento)


def current_plan(files: dict[str, Any]) -> Plan | None:
    """What the rendered ``files`` (file name -> loaded YAML) run now; ``None`` when nothing is recorded."""
    body = files.get("bentocloud.yaml")
    if not isinstance(body, dict):
        return None
    stable = _release(body.get("bento"))
    if stable is None:
        return None
    labels = {item.get("key"): item.get("value") for item in body.get("labels") or [] if isinstance(item, dict)}
    if labels.get(PREFIX + "run-id") == stable.run_id and isinstance(labels.get(PREFIX + "git-commit"), str):
        engine = labels.get(PREFIX + "engine")
        stable = Release(
            run_id=stable.run_id,
            bento=stable.bento,
            git_commit=labels[PREFIX + "git-commit"],
            engine=engine if isinstance(engine, str) and engine else "transformers",
        )
    versions = (body.get("canary") or {}).get("versions") or {}
    return Plan(stable=stable, canary=_release((versions.get("canary") or {}).get("bento")))
