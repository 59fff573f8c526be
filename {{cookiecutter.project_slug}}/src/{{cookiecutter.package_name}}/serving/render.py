"""``render --env NAME [--run ID] [--digest sha256:HEX] [--promote]``: write an environment's desired state.

Writes ``deploy/<env>/`` for the spec's target: plain Kubernetes manifests validated against the
Kubernetes schemas, or the BentoCloud deployment config. It deploys ``--run``, by default the run
built last, and names only a release that exists: the run must have a ``build.json`` and a passed
release gate, and the specs must be those it was built from (exit 1 otherwise); its chain must
hold: the run's files as train and evaluate wrote them, gate.json as the gate wrote it and as
build.json records it (exit 2 otherwise). The image is
pinned by the run id tag, and by digest with ``--digest`` (the bentocloud target deploys the bento
by its tag and does not use the digest: the release workflow passes it whatever the target). With the environment's
``canary_weight`` a new release first runs beside the current one; ``--promote`` gives it all
the traffic. Same inputs, same bytes; each file is replaced atomically, and files of the other
target or of an ended canary are removed (other files in ``deploy/<env>/`` are left alone).
Rolling back is reverting the commit that changed ``deploy/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import ProjectError
from ..files import atomic_write_text
from ..specs.deployment import Environment
from ..specs.problems import located
from ..specs.project import Project, find_root, load_project
from ..specs.yamlio import load_yaml
from ..training.runs import resolve_run
from . import bentocloud, kubernetes
from .release import (
    latest_build,
    read_build,
    read_run,
    require_built_gate,
    require_release_gate,
    require_same_specs,
)
from .release_state import Plan, Release, plan

DEPLOY = "deploy"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
#: every file render owns, whatever the target: the ones it no longer produces are removed
OWNED = (*kubernetes.FILES, *bentocloud.FILES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="NAME", help="environment of specs/deployment.yaml")
    parser.add_argument("--run", metavar="ID", help="built run to deploy (default: the one built last)")
    parser.add_argument("--digest", metavar="sha256:HEX", help="pin the image by this digest as well (kubernetes)")
    parser.add_argument("--promote", action="store_true", help="end a canary: the new release takes all the traffic")


def environment(project: Project, name: str) -> Environment:
    for env in project.deployment.environments:
        if env.name == name:
            return env
    known = ", ".join(env.name for env in project.deployment.environments)
    problem = located(project.docs["deployment"], ("environments",), f"no environment {name!r} (known: {known})")
    raise ProjectError([problem])


def dump(body: dict[str, Any], header: str) -> str:
    """YAML in Kubernetes' usual layout, keys in the order written, preceded by ``header``."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(body, stream)
    return header + stream.getvalue()


def rendered(out_dir: Path, root: Path) -> dict[str, Any]:
    """The desired state written before: file name -> loaded YAML."""
    files = {}
    for name in OWNED:
        path = out_dir / name
        if path.is_file():
            files[name] = load_yaml(path, str(path.relative_to(root))).data
    return files


def new_release(root: Path, run_id: str | None, digest: str | None) -> Release:
    """The release of a built, gated run whose specs are unchanged since it was built."""
    run_dir = resolve_run(root, run_id) if run_id else latest_build(root)
    run = read_run(run_dir, root)
    build = read_build(run_dir, run, root)
    gate = require_release_gate(run_dir, run, root)
    require_built_gate(build, gate)
    require_same_specs(build.get("specs") or {}, root, f"run {run['run_id']} was built")
    image = build["image"] + (f"@{digest}" if digest else "")
    return Release(
        run_id=run["run_id"],
        bento=build["bento"],
        image=image,
        model=build["model"],
        git_commit=str((run.get("git") or {}).get("commit") or "unknown"),
        gate_policy=str(gate.get("policy_hash") or "unknown"),
        engine=str(build.get("engine") or "transformers"),
    )


def render(root: Path, env_name: str, run_id: str | None = None, digest: str | None = None, promote: bool = False):
    """Write ``deploy/<env>/``; returns (output directory, written file names, plan)."""
    project = load_project(root)
    spec = project.deployment
    env = environment(project, env_name)
    if digest and not DIGEST.match(digest):
        raise ProjectError(f"--digest {digest!r} is not a sha256 digest (sha256: and 64 lower-case hex digits)")
    if digest and spec.target != "kubernetes":
        print(f"--digest not used: the {spec.target} target deploys the bento by its tag", file=sys.stderr)
        digest = None
    new = new_release(root, run_id, digest)
    out_dir = root / DEPLOY / env.name
    target = kubernetes if spec.target == "kubernetes" else bentocloud
    current: Plan | None = target.current_plan(rendered(out_dir, root))
    if not digest and current is not None:  # keep the digest a release was first rendered with (e.g. --promote)
        for known in (current.stable, current.canary):
            if known is not None and known.run_id == new.run_id and known.image.startswith(new.image + "@"):
                new = dataclasses.replace(new, image=known.image)
    chosen = plan(new, current, env.canary_weight, promote)
    if spec.target == "kubernetes":
        objects = kubernetes.manifests(spec, env, chosen)
        kubernetes.validate(objects)
    else:
        objects = bentocloud.config(spec, env, chosen)
    header = (
        f"# Desired state of {env.name!r}, written by `render --env {env.name}` from specs/deployment.yaml\n"
        f"# and the release gate of run {chosen.stable.run_id}"
        + (f" (canary: run {chosen.canary.run_id})" if chosen.canary else "")
        + ". Do not edit: change the specs and render again.\n"
    )
    texts = {name: dump(body, header) for name, body in objects.items()}
    for name, text in texts.items():
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write_text(path, text)
    for name in OWNED:
        if name not in texts:
            (out_dir / name).unlink(missing_ok=True)
    return out_dir, sorted(texts), chosen


def run(args: argparse.Namespace) -> int:
    root = args.project.resolve() if args.project else find_root()
    out_dir, names, chosen = render(root, args.env, args.run, args.digest, args.promote)
    shown = out_dir.relative_to(root)
    print(f"rendered {shown}/: {', '.join(names)}")
    print(f"  stable: run {chosen.stable.run_id} ({chosen.stable.image or chosen.stable.bento})")
    if chosen.canary:
        print(f"  canary: run {chosen.canary.run_id} ({chosen.canary.image or chosen.canary.bento}), {chosen.weight}%")
        print(f"  when it holds up: render --env {args.env} --run {chosen.canary.run_id} --promote")
    return 0
