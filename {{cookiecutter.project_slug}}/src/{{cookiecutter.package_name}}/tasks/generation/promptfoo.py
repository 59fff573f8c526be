"""The golden set as a promptfoo configuration (``promptfooconfig.yaml``), run against the served API.

Teams that use promptfoo run the same cases with ``npx promptfoo eval -c promptfooconfig.yaml``
against a running ``serve``. The file holds:

- ``providers``: promptfoo's ``http`` provider posting to the service's OpenAI-compatible
  ``/v1/chat/completions`` with the prompts spec's system prompt, the evaluation's decoding
  settings, and ``choices[0].message.content`` as the output;
- ``prompts``: the prompt template, its ``{field}`` variables written as Nunjucks ``{{field}}``;
- ``tests``: one per golden case, its fields as ``vars`` and its assertions under ``assert``
  (``max-length`` becomes promptfoo's ``javascript`` check ``output.length <= N``; ``latency``
  keeps its ``threshold``);
- ``evaluateOptions.repeat``: the cases' repeats under sampled decoding.

promptfoo has no per-case minimum pass fraction nor a suite threshold in its configuration: the
header comment states them, and ``evaluate`` stays the gate's source.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

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
    system: str,
    template: str,
    cases: Sequence[Case],
    decoding: Mapping[str, Any],
    repeats: int = 1,
    description: str = "",
) -> dict:
    """The promptfoo configuration as a dict (see the module docstring).

    ``decoding`` holds ``max_tokens`` and, when sampling, ``temperature``/``top_p``; ``seed`` is
    passed when present. Greedy decoding is sent as ``temperature: 0``.
    """
    body: dict[str, Any] = {
        "model": model,
        "messages": [
            {"role": "system", "content": literal(system)},
            {"role": "user", "content": "{{prompt}}"},
        ],
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
    if repeats > 1:
        out["evaluateOptions"] = {"repeat": repeats}
    return out


def dump(document: dict, header: Sequence[str]) -> str:
    """``document`` as YAML text after ``header`` comment lines (a schema modeline for editors first)."""
    import yaml

    lines = ["# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json", *(f"# {h}" for h in header)]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    return "\n".join(lines) + "\n" + body
