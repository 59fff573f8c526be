"""The golden set as a promptfoo configuration (``promptfooconfig.yaml``), run against the served API.

Teams that use promptfoo run the same cases with ``npx promptfoo eval -c promptfooconfig.yaml``
against a running ``serve``. The file holds:

- ``providers``: promptfoo's ``http`` provider posting to the service's OpenAI-compatible
  ``/v1/chat/completions`` with the prompts spec's system prompt, the evaluation's decoding
  settings, and ``choices[0].message.content`` as the output;
- ``prompts``: the prompt template, its ``{field}`` variables written as Nunjucks ``{{field}}``;
- ``tests``: one per golden case, its row's input columns as ``vars`` and its assertions under
  ``assert`` (``max-length`` becomes promptfoo's ``javascript`` check ``output.length <= N``;
  ``latency`` keeps its ``threshold``); the assertions every case gets go to ``defaultTest``;
- ``evaluateOptions.repeat``: the golden set's ``repeat`` under sampled decoding.

promptfoo's configuration has no per-case repeats, minimum pass fraction or suite pass rate: the
header comment states them, and ``evaluate`` stays the gate's source.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ...errors import ProjectError

#: where the served API answers chat completions, below the service's base URL
CHAT_PATH = "/v1/chat/completions"
#: promptfoo's expression for the reply text of an OpenAI-style chat completion
REPLY = "json.choices[0].message.content"
_NUNJUCKS = ("{{", "{%", "{#")


class Case(NamedTuple):
    """A golden case: its id, the data fields the template reads, and its assertions (type, value, threshold)."""

    id: str
    vars: Mapping[str, str]
    assertions: Sequence[Mapping[str, Any]]


def literal(text: str) -> str:
    """``text`` as Nunjucks renders it unchanged: wrapped in ``{% raw %}`` when it holds a Nunjucks delimiter."""
    if any(mark in text for mark in _NUNJUCKS):
        return "{% raw %}" + text.replace("{% endraw %}", "{% endraw %}{{ '{% endraw %}' }}{% raw %}") + "{% endraw %}"
    return text


def nunjucks(template: str) -> str:
    """A ``str.format``-style template (``{field}``, ``{{`` for a literal brace) as a Nunjucks template."""
    parts, text = [], ""
    for piece, field, _spec, _conversion in string.Formatter().parse(template):
        text += piece  # "{{" arrives as its own piece: join the literal text before escaping it
        if field is not None:
            parts += [literal(text), "{{" + field + "}}"]
            text = ""
    return "".join([*parts, literal(text)])


def assertion(item: Mapping[str, Any]) -> dict:
    """One of our assertions in promptfoo's words."""
    kind = item["type"]
    negated = kind.startswith("not-")
    base = kind[4:] if negated else kind
    if base == "max-length":
        return {"type": ("not-" if negated else "") + "javascript", "value": f"output.length <= {int(item['value'])}"}
    if base == "latency":
        return {"type": kind, "threshold": item["threshold"]}
    out = {"type": kind}
    if item.get("value") is not None:
        out["value"] = item["value"]
    return out


def config(
    *,
    base_url: str,
    model: str,
    system: str | None,
    template: str,
    cases: Sequence[Case],
    decoding: Mapping[str, Any],
    default_assertions: Sequence[Mapping[str, Any]] = (),
    repeats: int = 1,
    description: str = "",
) -> dict:
    """The promptfoo configuration as a dict (see the module docstring).

    ``decoding`` holds ``max_tokens`` and, when sampling, ``temperature``/``top_p``; ``seed`` is
    passed when present. Greedy decoding is sent as ``temperature: 0``.
    """
    system_message = [{"role": "system", "content": literal(system)}] if system else []
    body: dict[str, Any] = {
        "model": model,
        "messages": [*system_message, {"role": "user", "content": "{{prompt}}"}],
        **{key: value for key, value in decoding.items() if value is not None},
    }
    out: dict[str, Any] = {
        "description": description or f"Golden set of {model}",
        "prompts": [nunjucks(template)],
        "providers": [
            {
                "id": "http",
                "label": model,
                "config": {
                    "url": base_url.rstrip("/") + CHAT_PATH,
                    "method": "POST",
                    "headers": {"Content-Type": "application/json"},
                    "body": body,
                    "transformResponse": REPLY,
                },
            }
        ],
        "tests": [
            {
                "description": case.id,
                "vars": {name: str(value) for name, value in case.vars.items()},
                "assert": [assertion(a) for a in case.assertions],
            }
            for case in cases
        ],
    }
    if default_assertions:
        out["defaultTest"] = {"assert": [assertion(a) for a in default_assertions]}
    if repeats > 1:
        out["evaluateOptions"] = {"repeat": repeats}
    return out


def dump(document: dict, header: Sequence[str]) -> str:
    """``document`` as YAML text after ``header`` comment lines (a schema modeline for editors first)."""
    import yaml

    lines = ["# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json", *(f"# {h}" for h in header)]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(lines) + "\n" + body


def export(project, url: str) -> str:
    """``promptfooconfig.yaml`` for ``project``'s golden cases, calling the service served at ``url``."""
    from ...training.data import read_splits

    spec, prompts, columns = project.evaluation, project.specs["prompts"], project.data.columns
    if spec.golden is None:
        raise ProjectError("specs/evaluation.yaml declares no golden cases: there is nothing to export")
    by_id = {str(r[columns.id]): r for r in read_splits(project, ["golden"])["golden"].records}
    cases = [
        Case(
            case.id,
            {column: by_id[case.id][column] for column in columns.inputs},
            [a.model_dump(mode="json", by_alias=True) for a in case.assertions],
        )
        for case in spec.golden.cases
    ]
    decoding = spec.decoding
    sampled = decoding.strategy == "sample"
    document = config(
        base_url=url,
        model=project.model.name,
        system=prompts.system,
        template=prompts.templates[prompts.default],
        cases=cases,
        decoding={
            "max_tokens": decoding.max_new_tokens,
            "temperature": decoding.temperature if sampled else 0,
            "top_p": decoding.top_p if sampled else None,
            "seed": decoding.seed,
        },
        default_assertions=[a.model_dump(mode="json", by_alias=True) for a in spec.golden.defaults],
        repeats=spec.golden.repeat if sampled else 1,
        description=f"Golden set of {project.model.name}, prompts version {prompts.version}",
    )
    golden = spec.golden
    overrides = [c.id for c in golden.cases if c.repeat or c.min_pass_fraction]
    header = [
        f"Written by `export promptfoo` from specs/evaluation.yaml and specs/prompts.yaml (version {prompts.version}).",
        "Run it against `serve`: npx promptfoo eval -c promptfooconfig.yaml",
        f"The gate's own evaluation also requires: each case passes in at least {golden.min_pass_fraction:g} of its "
        f"repeats, and at least {golden.min_pass_rate:g} of the cases pass.",
    ]
    if overrides:
        header.append(f"Cases with their own repeat or pass fraction: {', '.join(overrides)}.")
    return dump(document, header)
