"""The promptfoo configuration has the shape promptfoo documents, and says what the golden set says."""

from __future__ import annotations

import yaml

from {{ cookiecutter.package_name }}.tasks.generation.promptfoo import Case, config, dump, nunjucks


def nj(text: str) -> str:
    """``text`` with ``<<``/``>>`` and ``<%``/``%>`` turned into Nunjucks' double-brace and brace-percent
    delimiters (this file is itself a template when the project is baked, so it cannot hold them literally)."""
    pairs = (("<<", "{" * 2), (">>", "}" * 2), ("<%", "{" + "%"), ("%>", "%" + "}"))
    for short, long in pairs:
        text = text.replace(short, long)
    return text


CASES = [
    Case(
        "refund-1",
        {"subject": "Refund", "body": "Where is my refund?"},
        [
            {"type": "icontains", "value": "refund"},
            {"type": "not-contains", "value": "sorry"},
            {"type": "contains-any", "value": ["days", "today"]},
            {"type": "is-json", "value": {"type": "object"}},
            {"type": "max-length", "value": 200},
            {"type": "latency", "threshold": 2000},
        ],
    )
]


def _document(**overrides) -> dict:
    arguments = {
        "base_url": "http://localhost:3000/",
        "model": "support-replier",
        "system": nj("You answer support tickets. Never write <<secrets>>."),
        "template": nj("Subject: {subject}\n\n{body} <<not a field>>"),
        "cases": CASES,
        "decoding": {"max_tokens": 64, "temperature": 0, "seed": 7},
        **overrides,
    }
    text = dump(config(**arguments), ["Golden set of support-replier", "every case must pass"])
    assert text.startswith("# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json\n")
    return yaml.safe_load(text)


def test_the_documented_top_level_shape():
    document = _document()
    assert set(document) == {"description", "prompts", "providers", "tests"}
    assert all(isinstance(prompt, str) for prompt in document["prompts"])
    for test in document["tests"]:
        assert isinstance(test["vars"], dict)
        assert all(isinstance(a["type"], str) and ({"value", "threshold"} & set(a)) for a in test["assert"])


def test_the_provider_posts_to_the_served_chat_completions():
    (provider,) = _document()["providers"]
    assert provider["id"] == "http"
    cfg = provider["config"]
    assert (cfg["url"], cfg["method"], cfg["transformResponse"]) == (
        "http://localhost:3000/v1/chat/completions",
        "POST",
        "json.choices[0].message.content",
    )
    assert cfg["body"]["messages"] == [
        {"role": "system", "content": nj("<% raw %>You answer support tickets. Never write <<secrets>>.<% endraw %>")},
        {"role": "user", "content": nj("<<prompt>>")},
    ]
    assert (cfg["body"]["model"], cfg["body"]["max_tokens"], cfg["body"]["temperature"], cfg["body"]["seed"]) == (
        "support-replier",
        64,
        0,
        7,
    )


def test_prompts_and_tests_carry_the_templates_and_assertions():
    document = _document()
    assert document["prompts"] == [nj("Subject: <<subject>>\n\n<<body>> {not a field}")]
    (test,) = document["tests"]
    assert test["description"] == "refund-1"
    assert test["vars"] == {"subject": "Refund", "body": "Where is my refund?"}
    assert test["assert"] == [
        {"type": "icontains", "value": "refund"},
        {"type": "not-contains", "value": "sorry"},
        {"type": "contains-any", "value": ["days", "today"]},
        {"type": "is-json", "value": {"type": "object"}},
        {"type": "javascript", "value": "output.length <= 200"},
        {"type": "latency", "threshold": 2000},
    ]


def test_default_assertions_and_no_system_prompt():
    document = _document(system=None, default_assertions=[{"type": "not-contains", "value": "As an AI"}])
    assert document["defaultTest"] == {"assert": [{"type": "not-contains", "value": "As an AI"}]}
    assert document["providers"][0]["config"]["body"]["messages"] == [{"role": "user", "content": nj("<<prompt>>")}]


def test_repeats_only_under_sampling():
    assert "evaluateOptions" not in _document()
    assert _document(repeats=5)["evaluateOptions"] == {"repeat": 5}


def test_nunjucks_keeps_literal_text_literal():
    assert nunjucks("{a} and {b}") == nj("<<a>> and <<b>>")
    assert nunjucks("plain") == "plain"
    assert nunjucks(nj("<<%")) == nj("<% raw %><%<% endraw %>")
    assert nunjucks(nj("<<<<x>>>> {y}")) == nj("<% raw %><<x>> <% endraw %><<y>>")
