"""The render command: desired state that validates, is byte-stable, and names only gated builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.serving import kubernetes
from {{ cookiecutter.package_name }}.serving.release_state import Plan, Release
from {{ cookiecutter.package_name }}.specs.gpus import KUBERNETES_GPU_PRODUCTS
from {{ cookiecutter.package_name }}.specs.project import load_project

from .tiny_run import RUN_ID, clone_run, copy_project, write_gate, write_run

NEXT_RUN = "20260105-000000-0001"
DIGEST = "sha256:" + "ab" * 32


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def built(root: Path, target: str | None = None) -> Path:
    """``root`` with a tiny run that passed the release gate, built (for ``target`` when given)."""
    copy_project(root)
    if target:
        spec = root / "specs" / "deployment.yaml"
        text = spec.read_text()
        spec.write_text(text.replace(f"target: {load_project(root).deployment.target}", f"target: {target}", 1))
    write_run(root)
    assert main(["--project", str(root), "build"]) == 0
    return root


def build_next(root: Path) -> None:
    """A second gated run, built: the next release (``latest`` stays on the first: pass ``--run``)."""
    clone_run(root, NEXT_RUN)
    assert main(["--project", str(root), "build", "--run", NEXT_RUN]) == 0


@pytest.fixture(scope="module")
def k8s_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory.mktemp("k8s"), "kubernetes")


@pytest.fixture
def k8s(tmp_path: Path, k8s_root: Path) -> Path:
    """A scratch copy of the built kubernetes project."""
    shutil.copytree(k8s_root, tmp_path / "p", symlinks=True)
    return tmp_path / "p"


@pytest.mark.slow
def test_kubernetes_state_validates_and_is_byte_stable(k8s: Path, tmp_path: Path):
    project = load_project(k8s)
    spec, [staging, _] = project.deployment.service, project.deployment.environments
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 0
    out = k8s / "deploy" / "staging"
    assert sorted(p.name for p in out.iterdir()) == ["deployment.yaml", "hpa.yaml", "pdb.yaml", "service.yaml"]
    objects = {path.name: load(path) for path in out.iterdir()}
    for body in objects.values():
        kubernetes_validate.validate(body, kubernetes_validate.utils.latest_version(), strict=True)
    deployment = objects["deployment.yaml"]
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == f"{spec.image}:{RUN_ID}"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == str(spec.resources.gpu)
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": KUBERNETES_GPU_PRODUCTS[spec.resources.gpu_type]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert deployment["metadata"]["annotations"]["gated-ml/run-id"] == RUN_ID
    assert deployment["metadata"]["namespace"] == "staging"
    hpa = objects["hpa.yaml"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (staging.scaling.min_replicas, staging.scaling.max_replicas)
    both_tracks = {k: v for k, v in deployment["spec"]["selector"]["matchLabels"].items() if k != "track"}
    assert objects["pdb.yaml"]["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": both_tracks},
    }, "a drain never evicts the only pod of a one-replica environment"
    first = snapshot(out)
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 0
    assert snapshot(out) == first, "same inputs, same bytes"
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(k8s, elsewhere, symlinks=True, ignore=shutil.ignore_patterns("deploy"))
    assert main(["--project", str(elsewhere), "render", "--env", "staging"]) == 0
    assert snapshot(elsewhere / "deploy" / "staging") == first, "the output does not depend on where the project is"


@pytest.mark.slow
def test_canary_runs_beside_stable_until_promoted(k8s: Path):
    out = k8s / "deploy" / "production"
    assert main(["--project", str(k8s), "render", "--env", "production"]) == 0
    assert not (out / "deployment-canary.yaml").exists(), "the first release has nothing to be a canary of"
    build_next(k8s)
    render_next = ["--project", str(k8s), "render", "--env", "production", "--run", NEXT_RUN]
    assert main([*render_next, "--digest", DIGEST]) == 0
    stable, canary = load(out / "deployment.yaml"), load(out / "deployment-canary.yaml")
    assert stable["metadata"]["annotations"]["gated-ml/run-id"] == RUN_ID
    assert canary["metadata"]["annotations"]["gated-ml/run-id"] == NEXT_RUN
    assert canary["metadata"]["annotations"]["gated-ml/canary-weight"] == "10"
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{NEXT_RUN}@{DIGEST}")
    assert canary["spec"]["replicas"] == 1
    assert load(out / "service.yaml")["spec"]["selector"] == {
        k: v for k, v in stable["spec"]["selector"]["matchLabels"].items() if k != "track"
    }, "the Service sends traffic to both tracks"
    during = snapshot(out)
    assert main([*render_next, "--digest", DIGEST]) == 0
    assert snapshot(out) == during
    assert main([*render_next, "--promote"]) == 0
    assert not (out / "deployment-canary.yaml").exists()
    image = load(out / "deployment.yaml")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(f":{NEXT_RUN}@{DIGEST}"), "promoting keeps the digest the canary ran"


@pytest.mark.slow
def test_bentocloud_config_names_the_bento_and_the_canary(tmp_path: Path, capsys):
    from bentoml._internal.cloud.schemas.schemasv2 import CreateDeploymentSchema
    from bentoml._internal.utils.cattr import bentoml_cattr

    root = built(tmp_path, "bentocloud")
    project = load_project(root)
    service, production = project.deployment.service, project.deployment.environments[1]
    assert main(["--project", str(root), "render", "--env", "production"]) == 0
    out = root / "deploy" / "production"
    assert sorted(p.name for p in out.iterdir()) == ["bentocloud.yaml"]
    config = load(out / "bentocloud.yaml")
    assert config["bento"] == f"{service.name}:{RUN_ID}"
    assert config["services"][service.name]["scaling"] == {
        "min_replicas": production.scaling.min_replicas,
        "max_replicas": production.scaling.max_replicas,
    }
    bentoml_cattr.structure(config, CreateDeploymentSchema)  # the shape `bentoml deploy -f` reads
    build_next(root)
    # the release workflow passes the pushed digest whatever the target: a bento is deployed by its tag
    assert main(["--project", str(root), "render", "--env", "production", "--run", NEXT_RUN, "--digest", DIGEST]) == 0
    assert "--digest not used" in capsys.readouterr().err
    config = load(out / "bentocloud.yaml")
    assert config["bento"] == f"{service.name}:{RUN_ID}"
    assert config["canary"]["versions"]["canary"] == {"bento": f"{service.name}:{NEXT_RUN}", "weight": 10}
    bentoml_cattr.structure(config, CreateDeploymentSchema)


@pytest.mark.slow
def test_render_defaults_to_the_run_built_last(k8s: Path, capsys):
    (k8s / "artifacts" / "latest").unlink()  # as in CI, where a job downloads the run directory alone
    build_next(k8s)
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 0
    deployment = load(k8s / "deploy" / "staging" / "deployment.yaml")
    assert deployment["metadata"]["annotations"]["gated-ml/run-id"] == NEXT_RUN
    for build in (k8s / "artifacts").glob("*/build.json"):
        build.unlink()
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 1
    assert "has been built; run `build` first" in capsys.readouterr().err


@pytest.mark.slow
def test_render_names_only_builds_of_gated_runs(k8s: Path, capsys):
    clone_run(k8s, NEXT_RUN)
    assert main(["--project", str(k8s), "render", "--env", "staging", "--run", NEXT_RUN]) == 1
    assert "was never built" in capsys.readouterr().err
    assert not (k8s / "deploy").exists()
    gate = k8s / "artifacts" / RUN_ID / "gate.json"
    genuine = gate.read_text()
    gate.write_text(json.dumps({**json.loads(genuine), "passed": False, "verdict": "blocked"}))
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 2
    assert "gate.json was edited after `gate` wrote it" in capsys.readouterr().err
    gate.write_text(json.dumps({"run_id": RUN_ID, "stage": "release", "passed": True}))
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 2
    assert "gate.json has no seal, so `gate` did not write it" in capsys.readouterr().err
    write_gate(k8s, gate.parent, {"run_id": RUN_ID, "evaluated_at": "2026-01-02T12:00:00+00:00"})  # gated again
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 2
    assert f"the gate of run {RUN_ID} changed since it was built" in capsys.readouterr().err
    assert not (k8s / "deploy").exists()


@pytest.mark.slow
def test_render_refuses_specs_changed_since_the_build_and_unknown_input(k8s: Path, capsys):
    assert main(["--project", str(k8s), "render", "--env", "qa"]) == 2
    err = capsys.readouterr().err
    assert "specs/deployment.yaml:" in err and "environments: no environment 'qa' (known: staging, production)" in err
    assert main(["--project", str(k8s), "render", "--env", "staging", "--digest", "sha256:nope"]) == 2
    assert "is not a sha256 digest" in capsys.readouterr().err
    spec = k8s / "specs" / "deployment.yaml"
    spec.write_text(spec.read_text().replace("max_concurrency: 128", "max_concurrency: 256"))
    assert main(["--project", str(k8s), "render", "--env", "staging"]) == 1
    assert "specs/deployment.yaml changed since run" in capsys.readouterr().err
    assert not (k8s / "deploy").exists()


def test_manifests_pick_gpu_nodes_for_every_gpu_type():
    from .conftest import ROOT

    project = load_project(ROOT)
    release = Release(run_id=RUN_ID, bento=f"svc:{RUN_ID}", image=f"ghcr.io/acme/svc:{RUN_ID}")
    env = project.deployment.environments[-1]
    for gpu_type, product in KUBERNETES_GPU_PRODUCTS.items():
        project.deployment.service.resources.gpu_type = gpu_type
        objects = kubernetes.manifests(project.deployment, env, Plan(stable=release, canary=release, weight=25))
        for name in ("deployment.yaml", "deployment-canary.yaml"):
            assert objects[name]["spec"]["template"]["spec"]["nodeSelector"] == {"nvidia.com/gpu.product": product}
    kubernetes.validate(objects)


def test_manifests_on_cpu_ask_for_no_gpu():
    from .conftest import ROOT

    project = load_project(ROOT)
    project.deployment.service.resources.gpu = 0
    release = Release(run_id=RUN_ID, bento=f"svc:{RUN_ID}", image=f"ghcr.io/acme/svc:{RUN_ID}")
    objects = kubernetes.manifests(project.deployment, project.deployment.environments[0], Plan(stable=release))
    kubernetes.validate(objects)
    pod = objects["deployment.yaml"]["spec"]["template"]["spec"]
    assert "nodeSelector" not in pod and "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]


def test_a_vllm_release_gets_shared_memory_and_records_its_engine():
    """vLLM's workers share tensors through /dev/shm: a memory-backed volume, only for a vLLM release."""
    from .conftest import ROOT

    project = load_project(ROOT)
    env = project.deployment.environments[0]
    lineage = {"model": f"svc:{RUN_ID}", "git_commit": "0" * 40, "gate_policy": "f" * 64}
    vllm = Release(RUN_ID, f"svc:{RUN_ID}", f"ghcr.io/acme/svc:{RUN_ID}", **lineage, engine="vllm")
    plain = Release(run_id=NEXT_RUN, bento=f"svc:{NEXT_RUN}", image=f"ghcr.io/acme/svc:{NEXT_RUN}")
    objects = kubernetes.manifests(project.deployment, env, Plan(stable=plain, canary=vllm, weight=25))
    kubernetes.validate(objects)
    stable, canary = objects["deployment.yaml"], objects["deployment-canary.yaml"]
    assert canary["metadata"]["annotations"]["gated-ml/engine"] == "vllm"
    assert stable["metadata"]["annotations"]["gated-ml/engine"] == "transformers"
    pod = canary["spec"]["template"]["spec"]
    assert {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}} in pod["volumes"]
    assert {"name": "shm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]
    assert all(v["name"] != "shm" for v in stable["spec"]["template"]["spec"]["volumes"])
    recorded = Release.from_annotations(canary["metadata"]["annotations"], pod["containers"][0]["image"])
    assert recorded == vllm, "a rendered release reads back with its engine"


def test_pods_run_hardened_on_a_read_only_root(tmp_path: Path):
    """Read-only root with a writable volume for each place the server writes, no API token, spread out."""
    from .conftest import ROOT

    project = load_project(ROOT)
    release = Release(run_id=RUN_ID, bento=f"svc:{RUN_ID}", image=f"ghcr.io/acme/svc:{RUN_ID}")
    for env in project.deployment.environments:
        objects = kubernetes.manifests(project.deployment, env, Plan(stable=release, canary=release, weight=25))
        for name in ("deployment.yaml", "deployment-canary.yaml"):
            pod = objects[name]["spec"]["template"]["spec"]
            [container] = pod["containers"]
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert pod["automountServiceAccountToken"] is False
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/tmp", "/home/bentoml/prometheus_multiproc_dir", "/home/bentoml/bento/monitoring"} <= mounts
            assert {m["name"] for m in container["volumeMounts"]} == {v["name"] for v in pod["volumes"]}
            assert all("emptyDir" in v for v in pod["volumes"])
            spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
            assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
            track = objects[name]["spec"]["selector"]["matchLabels"]
            assert all(c["labelSelector"]["matchLabels"] == track for c in spread.values())
        assert objects["pdb.yaml"]["spec"]["minAvailable"] == max(1, env.scaling.min_replicas - 1)
    kubernetes.validate(objects, kubernetes.KUBERNETES_VERSIONS)  # every supported version
    broken = {"pdb.yaml": {**objects["pdb.yaml"], "spec": {**objects["pdb.yaml"]["spec"], "minAvaliable": 1}}}
    with pytest.raises(ProjectError, match="minAvaliable.*Kubernetes 1.32.0 schema"):
        kubernetes.validate(broken, kubernetes.KUBERNETES_VERSIONS)


def test_bentoml_writes_where_the_manifests_mount_volumes():
    """The mounts follow what BentoML's image and server use: BENTOML_HOME, the bento path, the metrics dir."""
    from bentoml._internal.configuration.containers import BentoMLContainer
    from bentoml._internal.container.generate import BENTO_HOME, BENTO_PATH, BENTO_UID_GID

    ours = (kubernetes.BENTO_HOME, kubernetes.BENTO_PATH, kubernetes.BENTO_UID)
    assert (BENTO_HOME.rstrip("/"), BENTO_PATH, BENTO_UID_GID) == ours
    multiproc = BentoMLContainer.prometheus_multiproc_dir.get()
    assert Path(multiproc).name == Path(dict((n, p) for n, p, _ in kubernetes.WRITABLE)["prometheus"]).name
    assert Path(multiproc).parent == Path(BentoMLContainer.bentoml_home.get())
