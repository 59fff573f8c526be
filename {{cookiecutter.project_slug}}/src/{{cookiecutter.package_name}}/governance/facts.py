"""Build the policy input document (``facts.json``) for one run.

It gathers the validated specs, the run's metrics, production's metrics (the baseline) and the
deltas to them, the data scan, model-card completeness, lineage (``run.json`` against the specs
and data as they are now), git facts, license and GPU-budget checks, and the stage and time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .. import gitinfo
from ..errors import ProjectError
from ..files import read_json, sha256_file
from ..specs.model import ScratchBase
from ..specs.project import Project
from . import datafacts
from .card import completeness
from .policy.inputs import PolicyInput
from .policy.pack import PolicyPack

#: production's metrics, committed by the release that deployed it
PRODUCTION_METRICS = "deploy/production/metrics.json"
#: metrics for which a lower value is better; every other metric is better higher
LOWER_IS_BETTER = {"ece", "max_slice_gap", "max_robustness_drop", "perplexity"}


#: metrics.json sections the gate and the card read, and the JSON type each must have
METRICS_SHAPE = {
    "test": dict,
    "slices": dict,
    "slice_gaps": dict,
    "golden": dict,
    "robustness": dict,
    "latency": dict,
    "safety": dict,  # text generation: checks of the generated outputs
    "decoding": dict,
}
NESTED_SHAPE = {
    ("test", "per_class"): dict,
    ("golden", "failures"): list,
    ("golden", "results"): list,
    ("safety", "pii"): dict,
    ("safety", "profanity"): dict,
    ("safety", "refusal"): dict,
}


def check_metrics(metrics: dict, source: str) -> dict:
    """``metrics`` when its sections have the contract's JSON types; exits 2 naming the first that does not."""
    for key, kind in METRICS_SHAPE.items():
        if key in metrics and not isinstance(metrics[key], kind):
            raise ProjectError(f"{source}: `{key}` must be a JSON {'object' if kind is dict else 'array'}")
    for (outer, inner), kind in NESTED_SHAPE.items():
        value = (metrics.get(outer) or {}).get(inner)
        if value is not None and not isinstance(value, kind):
            raise ProjectError(f"{source}: `{outer}.{inner}` must be a JSON {'object' if kind is dict else 'array'}")
    for key in ("slices", "slice_gaps", "robustness"):
        for name, value in (metrics.get(key) or {}).items():
            if not isinstance(value, dict):
                raise ProjectError(f"{source}: `{key}.{name}` must be a JSON object")
    return metrics


def read_metrics(path: Path) -> dict | None:
    """A run's metrics.json (``None`` when absent), checked with ``check_metrics``."""
    metrics = read_json(path)
    return None if metrics is None else check_metrics(metrics, str(path))


def load_baseline(root: Path, choice: str | None, *, from_git: bool = False) -> tuple[dict | None, str]:
    """Production's metrics: ``(baseline section, "")`` or ``(None, why there is none)``.

    ``choice`` is a metrics.json path, or a git revision whose committed ``PRODUCTION_METRICS``
    is read; ``None`` reads ``PRODUCTION_METRICS`` from the working tree when present. With
    ``from_git`` it is a git revision only (a file of that name in the tree is never read: a pull
    request's baseline comes from its base). Exits 2 for a malformed file, or a ``choice`` that
    is neither a file nor a git revision.
    """
    if choice is None:
        path = root / PRODUCTION_METRICS
        if not path.is_file():
            return None, f"no production baseline: {PRODUCTION_METRICS} does not exist (the first release writes it)"
        return _baseline(read_json(path), PRODUCTION_METRICS), ""
    path = Path(choice)
    if not from_git and path.is_file():
        return _baseline(read_json(path), choice), ""
    if not gitinfo.is_repo(root):
        raise ProjectError(f"--baseline {choice!r}: no such file, and {root} is not a git repository")
    try:
        commit = gitinfo.resolve(root, choice)
    except ProjectError:
        raise ProjectError(f"--baseline {choice!r} is neither a metrics.json file nor a known git revision") from None
    raw = gitinfo.show(root, commit, PRODUCTION_METRICS)
    if raw is None:
        return None, f"no production baseline: {PRODUCTION_METRICS} does not exist at {choice}"
    source = f"{choice}:{PRODUCTION_METRICS}"
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ProjectError(f"{source}: not valid JSON ({err})") from None
    return _baseline(data, source), ""


def _baseline(metrics: object, source: str) -> dict:
    if not isinstance(metrics, dict) or not isinstance(metrics.get("test"), dict):
        raise ProjectError(f"{source}: not a metrics.json (it has no `test` metrics)")
    run_id = metrics.get("run_id")
    return {
        "source": source,
        "run_id": run_id if isinstance(run_id, str) else None,
        "metrics": check_metrics(metrics, source),
    }


def _headline(metrics: dict) -> dict[str, float]:
    """Every number the deltas compare: test metrics, golden pass rate and the worst gaps."""
    out = {
        k: float(v)
        for k, v in (metrics.get("test") or {}).items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "rows"
    }
    golden = metrics.get("golden") or {}
    if isinstance(golden.get("pass_rate"), (int, float)):
        out["golden_pass_rate"] = float(golden["pass_rate"])
    for key in ("max_slice_gap", "max_robustness_drop"):
        if isinstance(metrics.get(key), (int, float)):
            out[key] = float(metrics[key])
    return out


def deltas(metrics: dict, baseline: dict, primary: str) -> dict:
    """The ``deltas`` section: the run minus production for every number both have."""
    now, then = _headline(metrics), _headline(baseline)
    out = {}
    for name in now.keys() & then.keys():
        delta = now[name] - then[name]
        out[name] = {
            "current": round(now[name], 6),
            "baseline": round(then[name], 6),
            "delta": round(delta, 6),
            "regression": round(delta if name in LOWER_IS_BETTER else -delta, 6),
        }
    return {"primary_metric": primary, "primary": out.get(primary), "metrics": dict(sorted(out.items()))}


def _lineage(project: Project, run_info: dict, run_id: str, metrics: dict | None) -> dict:
    trained_specs = run_info.get("specs") if isinstance(run_info.get("specs"), dict) else {}
    trained_data = run_info.get("data") if isinstance(run_info.get("data"), dict) else {}
    specs = {}
    mismatches = []
    for stem in project.specs:
        current = sha256_file(project.spec_path(stem))
        trained = trained_specs.get(stem)
        specs[stem] = {"trained": trained, "current": current, "match": trained == current}
        if trained is None:
            mismatches.append(f"run.json records no hash of specs/{stem}.yaml")
        elif trained != current:
            mismatches.append(f"specs/{stem}.yaml changed since the run was trained")
    data = {}
    for split, entry in project.data.splits:
        if entry is None:
            continue
        trained = trained_data.get(split)
        data[split] = {"trained": trained, "current": entry.sha256, "match": trained == entry.sha256}
        if trained is None:
            mismatches.append(f"run.json records no hash of the {split} split")
        elif trained != entry.sha256:
            mismatches.append(f"the {split} split ({entry.path}) changed since the run was trained")
    metrics_run = (metrics or {}).get("run_id")
    metrics_run = metrics_run if isinstance(metrics_run, str) or metrics_run is None else str(metrics_run)
    if metrics is not None and metrics_run != run_id:
        mismatches.append(f"metrics.json belongs to run {metrics_run!r}, not {run_id!r}")
    return {"run_id": run_id, "metrics_run_id": metrics_run, "specs": specs, "data": data, "mismatches": mismatches}


def git_facts(root: Path) -> dict:
    """Whether ``root`` is a git repository, its commit, branch and uncommitted changes."""
    if not gitinfo.is_repo(root):
        return {"repository": False}
    changed = gitinfo.dirty_files(root) or []
    return {
        "repository": True,
        "commit": gitinfo.head(root),
        "branch": gitinfo.branch(root),
        "dirty": bool(changed),
        "changed": changed[: datafacts.MAX_LISTED],
    }


def _licenses(project: Project, allowed: list[str]) -> dict:
    data = project.data
    base = project.model.base
    out = {
        "allowed": allowed,
        "dataset": {"id": data.license, "allowed": data.license in allowed, "declared_in": "specs/data.yaml license"},
        "base_model": None,
    }
    if not isinstance(base, ScratchBase):
        out["base_model"] = {
            "id": base.license,
            "allowed": base.license in allowed,
            "declared_in": "specs/model.yaml base.license",
        }
    return out


def _budget(project: Project, limit: int) -> dict:
    deployment = project.deployment
    per_replica = deployment.service.resources.gpu
    replicas = {env.name: env.scaling.max_replicas for env in deployment.environments}
    requested = per_replica * sum(replicas.values())
    return {
        "gpus": {
            "per_replica": per_replica,
            "max_replicas": replicas,
            "requested": requested,
            "limit": limit,
            "headroom": limit - requested,
        }
    }


def _typed(value: object, kind: type) -> object:
    """``value`` when it has the JSON type ``kind`` (a run.json field), else ``None``."""
    return value if isinstance(value, kind) else None


def with_governance(facts: dict, project: Project, pack: PolicyPack) -> dict:
    """``facts`` with the parts read from the governance file (licenses, GPU budget) taken from ``pack``."""
    return {
        **facts,
        "licenses": _licenses(project, list(pack.governance.licenses.allowed)),
        "budget": _budget(project, pack.governance.gpu_budget.max_gpus),
        "governance": pack.governance.model_dump(mode="json", by_alias=True),
    }


def build_facts(
    project: Project,
    pack: PolicyPack,
    run_dir: Path,
    *,
    stage: str,
    now: dt.datetime,
    baseline: str | None,
    baseline_from_git: bool = False,
) -> dict:
    """The policy input document for ``run_dir`` at ``stage``, checked against ``PolicyInput``."""
    run_info = read_json(run_dir / "run.json") or {}
    run_id = str(run_info.get("run_id") or run_dir.name)
    metrics = read_metrics(run_dir / "metrics.json")
    unavailable: dict[str, str] = {}
    if metrics is None:
        unavailable["metrics"] = f"no metrics.json in {os.path.relpath(run_dir, project.root)}; run `evaluate`"
    base, why = load_baseline(project.root, baseline, from_git=baseline_from_git)
    primary = str((metrics or {}).get("primary_metric") or project.evaluation.primary_metric)
    delta = deltas(metrics, base["metrics"], primary) if base and metrics else None
    if base is None:
        unavailable["baseline"] = unavailable["deltas"] = why
    elif metrics is None:
        unavailable["deltas"] = unavailable["metrics"]
    elif delta["primary"] is None:
        unavailable["deltas.primary"] = f"{primary} is missing from the run's or production's metrics"
    data = datafacts.scan(project)
    if not data["scanned"]:
        unavailable["data"] = f"data from a {data['source']} source is not scanned here; scan it where it lives"
    git = git_facts(project.root)
    if not git["repository"]:
        unavailable["git"] = "the project is not in a git repository"
    if isinstance(project.model.base, ScratchBase):
        unavailable["licenses.base_model"] = "trained from scratch: no pretrained weights"
    git_info = run_info.get("git") if isinstance(run_info.get("git"), dict) else {}
    if _typed(git_info.get("dirty"), bool) is None:
        unavailable["run.dirty"] = unavailable["run.commit"] = "run.json records no git state for the run"
    facts = {
        "apiVersion": "gated-ml/v1",
        "kind": "PolicyInput",
        "stage": stage,
        "now": now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "run": {
            "id": run_id,
            "created": _typed(run_info.get("created"), str),
            "profile": _typed(run_info.get("profile"), str),
            "commit": _typed(git_info.get("commit"), str),
            "dirty": _typed(git_info.get("dirty"), bool),
        },
        "specs": {stem: spec.model_dump(mode="json", by_alias=True) for stem, spec in project.specs.items()},
        "metrics": metrics,
        "baseline": base,
        "deltas": delta,
        "data": data,
        "card": completeness(project, metrics),
        "lineage": _lineage(project, run_info, run_id, metrics),
        "git": git,
        "licenses": _licenses(project, list(pack.governance.licenses.allowed)),
        "budget": _budget(project, pack.governance.gpu_budget.max_gpus),
        "governance": pack.governance.model_dump(mode="json", by_alias=True),
        "unavailable": unavailable,
    }
    return PolicyInput.model_validate(facts).model_dump(mode="json", by_alias=True)
