"""Plain Kubernetes manifests for one environment: what a GitOps reconciler (Argo CD, Flux) applies.

One file per object: ``deployment.yaml`` (the stable release), ``deployment-canary.yaml`` (the
new release, while a canary runs), ``service.yaml``, ``hpa.yaml`` (autoscaling on in-flight
requests per replica, the spec's ``traffic.concurrency``) and ``pdb.yaml``. Each replica asks
for the spec's GPUs as ``nvidia.com/gpu`` and lands on nodes whose ``nvidia.com/gpu.product``
label (set by NVIDIA GPU Feature Discovery) matches the spec's GPU type. Probes use BentoML's
``/livez`` and ``/readyz``; the image is pinned by the run id tag (and digest, when given).

Hardening: the root file system is read-only, with an ``emptyDir`` for each place BentoML writes
while serving (``/tmp`` for its worker sockets, ``$BENTOML_HOME/prometheus_multiproc_dir`` for the
metrics of its processes, the prediction log under the bento's ``monitoring/``, and ``~/.cache``
for the caches of torch and transformers; a memory-backed ``/dev/shm`` when the release's engine is
vLLM, whose workers share tensors through it); the pod gets no service-account token (the service
never calls the Kubernetes API); replicas spread across nodes and zones (``ScheduleAnyway``: a
GPU node with room is never refused because of the spread). The PodDisruptionBudget keeps
``max(1, min_replicas - 1)`` pods available: a voluntary eviction (a node drain) takes one pod
at a time and never the only pod of a one-replica environment, whose drain waits until the HPA
or an operator adds a replica. Give an environment ``min_replicas: 2`` for drains without waiting.

Supported Kubernetes versions: 1.32 to 1.37 (``KUBERNETES_VERSIONS``); the objects validate
against each one's schemas under ``kubernetes-validate --strict``.

A canary here is plain Kubernetes: a second Deployment behind the same Service, so traffic
splits by replica count. It runs ``max(1, round(max_replicas * weight / (100 - weight)))``
replicas; put a Gateway API HTTPRoute or a service mesh in front for an exact percentage.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProjectError
from ..specs.deployment import DeploymentSpec, Environment
from ..specs.gpus import KUBERNETES_GPU_PRODUCTS
from .config import MONITORING_DIR
from .release_state import PREFIX, Plan, Release

PORT = 3000
#: the BentoML gauge of requests in flight, served on /metrics (needs a custom-metrics adapter for the HPA)
IN_FLIGHT_METRIC = "bentoml_service_request_in_progress"
FILES = ("deployment.yaml", "deployment-canary.yaml", "service.yaml", "hpa.yaml", "pdb.yaml")
#: the user and group the bento image runs as (BentoML's default), numeric so runAsNonRoot can check it
BENTO_UID = 1034
#: BENTOML_HOME and the bento's directory in the image BentoML builds (``bentoml/_internal/container/generate.py``)
BENTO_HOME = "/home/bentoml"
BENTO_PATH = f"{BENTO_HOME}/bento"
#: emptyDir volumes for what the server writes, as (name, mount path, size limit)
WRITABLE = (
    ("tmp", "/tmp", "1Gi"),  # worker sockets (bentoml-uds-*), temporary files
    ("prometheus", f"{BENTO_HOME}/prometheus_multiproc_dir", "256Mi"),  # metrics shared between processes
    ("monitoring", f"{BENTO_PATH}/{MONITORING_DIR}", "1Gi"),  # the prediction log, when written to a directory
    ("cache", f"{BENTO_HOME}/.cache", "1Gi"),  # torch and transformers caches
)
#: vLLM's workers exchange tensors through shared memory: a memory-backed /dev/shm (counted in the memory limit)
VLLM_SHM = ("shm", "/dev/shm", "2Gi")
#: the Kubernetes versions whose schemas the manifests are checked against (the supported ones)
KUBERNETES_VERSIONS = ("1.32.0", "1.33.0", "1.34.0", "1.35.0", "1.36.0", "1.37.0")
#: node and zone labels that replicas spread across
SPREAD_KEYS = ("kubernetes.io/hostname", "topology.kubernetes.io/zone")


def namespace(env: Environment) -> str:
    return env.namespace or env.name


def _labels(spec: DeploymentSpec, env: Environment, track: str | None = None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": spec.service.name,
        "app.kubernetes.io/instance": f"{spec.service.name}-{env.name}",
        "app.kubernetes.io/component": "inference",
    }
    if track:
        labels["track"] = track
    return labels


def _meta(name: str, spec: DeploymentSpec, env: Environment, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": namespace(env), "labels": _labels(spec, env, extra.pop("track", None)), **extra}


def _container(spec: DeploymentSpec, release: Release) -> dict[str, Any]:
    res = spec.service.resources
    limits: dict[str, str] = {"memory": res.memory}
    if res.gpu > 0:
        limits["nvidia.com/gpu"] = str(res.gpu)

    def probe(path: str, period: int, failures: int) -> dict[str, Any]:
        return {
            "httpGet": {"path": path, "port": "http"},
            "periodSeconds": period,
            "timeoutSeconds": 5,
            "failureThreshold": failures,
        }

    return {
        "name": "service",
        "image": release.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": res.cpu, "memory": res.memory}, "limits": limits},
        # the process starts listening before the model is loaded: /livez answers, /readyz waits
        "startupProbe": probe("/livez", 5, 60),
        "livenessProbe": probe("/livez", 10, 3),
        "readinessProbe": probe("/readyz", 5, 3),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": name, "mountPath": path} for name, path, _ in _writable(release)],
    }


def _writable(release: Release) -> tuple[tuple[str, str, str], ...]:
    """The writable volumes of a replica of ``release``: ``WRITABLE``, and shared memory for vLLM."""
    return (*WRITABLE, VLLM_SHM) if release.engine == "vllm" else WRITABLE


def _volume(name: str, size: str) -> dict[str, Any]:
    source = {"medium": "Memory", "sizeLimit": size} if name == VLLM_SHM[0] else {"sizeLimit": size}
    return {"name": name, "emptyDir": source}


def _deployment(spec: DeploymentSpec, env: Environment, release: Release, track: str, replicas: int | None) -> dict:
    res = spec.service.resources
    pod: dict[str, Any] = {
        "terminationGracePeriodSeconds": int(spec.service.traffic.timeout_s) + 10,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": BENTO_UID,
            "runAsGroup": BENTO_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(spec, release)],
        "volumes": [_volume(name, size) for name, _, size in _writable(release)],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": _labels(spec, env, track)},
            }
            for key in SPREAD_KEYS
        ],
    }
    if res.gpu > 0:
        if res.gpu_type not in KUBERNETES_GPU_PRODUCTS:
            raise ProjectError(f"kubernetes does not know GPU type {res.gpu_type!r}; run `validate`")
        pod["nodeSelector"] = {"nvidia.com/gpu.product": KUBERNETES_GPU_PRODUCTS[res.gpu_type]}
        pod["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    name = spec.service.name if track == "stable" else f"{spec.service.name}-{track}"
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, spec, env, track=track, annotations=release.annotations()),
        "spec": {
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": _labels(spec, env, track)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": {**_labels(spec, env, track), "app.kubernetes.io/version": release.run_id},
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": pod,
            },
        },
    }
    if replicas is not None:  # the stable Deployment's replicas belong to the HPA
        body["spec"] = {"replicas": replicas, **body["spec"]}
    return body


def min_available(env: Environment) -> int:
    """Pods a voluntary disruption must leave running: all but one of ``min_replicas``, and at least one."""
    return max(1, env.scaling.min_replicas - 1)


def canary_replicas(env: Environment, weight: int) -> int:
    return max(1, round(env.scaling.max_replicas * weight / (100 - weight)))


def manifests(spec: DeploymentSpec, env: Environment, plan: Plan) -> dict[str, dict[str, Any]]:
    """File name -> Kubernetes object, for the environment running ``plan``."""
    name = spec.service.name
    if env.scaling.min_replicas < 1:
        raise ProjectError(
            f"environment {env.name!r}: a HorizontalPodAutoscaler cannot scale to zero; set min_replicas >= 1"
        )
    out = {"deployment.yaml": _deployment(spec, env, plan.stable, "stable", None)}
    if plan.canary is not None:
        canary = _deployment(spec, env, plan.canary, "canary", canary_replicas(env, plan.weight))
        canary["metadata"]["annotations"][PREFIX + "canary-weight"] = str(plan.weight)
        out["deployment-canary.yaml"] = canary
    out["service.yaml"] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, spec, env),
        "spec": {
            "type": "ClusterIP",
            "selector": _labels(spec, env),  # both tracks: the canary gets its share of replicas
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    out["hpa.yaml"] = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(name, spec, env),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": env.scaling.min_replicas,
            "maxReplicas": env.scaling.max_replicas,
            "metrics": [
                {
                    "type": "Pods",
                    "pods": {
                        "metric": {"name": IN_FLIGHT_METRIC},
                        "target": {"type": "AverageValue", "averageValue": str(spec.service.traffic.concurrency)},
                    },
                }
            ],
        },
    }
    out["pdb.yaml"] = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(name, spec, env),
        # one eviction at a time, never the last pod: a one-replica environment's only pod stays
        "spec": {"minAvailable": min_available(env), "selector": {"matchLabels": _labels(spec, env)}},
    }
    return out


def validate(objects: dict[str, dict[str, Any]], versions: tuple[str, ...] = KUBERNETES_VERSIONS[-1:]) -> None:
    """Check every object against the schemas of ``versions`` (strict: unknown fields fail).

    ``render`` checks against the newest supported version (about 0.5 s per version); the
    project's tests check the same shapes against every version in ``KUBERNETES_VERSIONS``.
    """
    import kubernetes_validate

    problems = []
    for version in versions:
        for file_name, body in objects.items():
            try:
                kubernetes_validate.validate(body, version, strict=True)
            except kubernetes_validate.ValidationError as err:
                where = "/".join(str(p) for p in err.absolute_path)
                problems.append(f"{file_name}: {where}: {err.message} (Kubernetes {version} schema)")
    if problems:
        raise ProjectError("; ".join(problems))


def current_plan(files: dict[str, Any]) -> Plan | None:
    """What the rendered ``files`` (file name -> loaded YAML) run now; ``None`` when nothing is recorded."""

    def release(body: Any) -> Release | None:
        try:
            meta = body["metadata"]
            image = body["spec"]["template"]["spec"]["containers"][0]["image"]
        except (KeyError, IndexError, TypeError):
            return None
        return Release.from_annotations(meta.get("annotations"), image)

    stable = release(files.get("deployment.yaml"))
    if stable is None:
        return None
    canary = release(files.get("deployment-canary.yaml"))
    return Plan(stable=stable, canary=canary)
