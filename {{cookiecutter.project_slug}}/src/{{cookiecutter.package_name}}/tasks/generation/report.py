"""``report.md`` of a text-generation run: the numbers of ``metrics.json`` for people, failing golden outputs shown."""

from __future__ import annotations

from ...evaluation.report import _cell, _table

HEADLINE = ("rouge_l", "chrf", "bleu", "perplexity")
SCALES = {"rouge_l": "0-1", "chrf": "0-100", "bleu": "0-100", "perplexity": "1 and up, lower is better"}


def render(metrics: dict, record: dict, model_name: str) -> str:
    """The whole report for ``metrics`` (a ``GenerationMetrics`` document) of the run ``record`` describes."""
    git = record.get("git") or {}
    commit = (git.get("commit") or "not in git")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    test, decoding = metrics["test"], metrics["decoding"]
    how = (
        f"sampled (temperature {decoding['temperature']}, top_p {decoding['top_p']}, seed {decoding['seed']})"
        if decoding["strategy"] == "sample"
        else f"greedy (seed {decoding['seed']})"
    )
    primary = metrics["primary_metric"]
    value = metrics["golden"]["pass_rate"] if primary == "golden_pass_rate" else test[primary]
    shown = [m for m in HEADLINE if test.get(m) is not None]
    floors = metrics["text_floors"]
    lines = [
        f"# Evaluation of run `{metrics['run_id']}`",
        "",
        f"- model: `{model_name}`, profile `{record.get('profile') or 'none'}`, trained {record['created']} "
        f"on {record['device']}",
        f"- code: {commit}",
        f"- prompts: version `{metrics['prompt_version']}`",
        f"- decoding: {how}, at most {decoding['max_new_tokens']} new tokens",
        f"- primary metric: **{primary} = {value}**",
        "",
        f"## {metrics['split'].capitalize()} split",
        "",
        f"One reply per row ({test['rows']} rows) against the reference reply.",
        "",
        *_table(
            ["metric", "value", "scale", "floor"],
            [[m, test[m], SCALES[m], _floor(floors.get(m)) if m in floors else "-"] for m in shown],
        ),
        "",
    ]
    for column, values in metrics["slices"].items():
        names = [m for m in HEADLINE if m in next(iter(values.values()), {})]
        lines += [
            f"## Slices by `{column}`",
            "",
            *_table([column, "rows", *names], [[v, s["rows"], *(s[m] for m in names)] for v, s in values.items()]),
            "",
        ]
    lines += _golden(metrics["golden"])
    lines += _safety(metrics["safety"])
    latency = metrics["latency"]
    lines += [
        "## Latency",
        "",
        f"{latency['requests']} replies generated one at a time, greedy, on {latency['device']} "
        "(timings differ from run to run).",
        "",
        *_table(
            ["measure", "p50", "p95"],
            [
                [name, latency[key]["p50"], latency[key]["p95"]]
                for name, key in (
                    ("latency (ms)", "latency_ms"),
                    ("time to first token (ms)", "ttft_ms"),
                    ("tokens per second", "tokens_per_s"),
                    ("output tokens", "output_tokens"),
                )
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def _floor(floor: dict) -> str:
    return f"{floor['floor']} ({'met' if floor['met'] else '**not met**'})"


def _golden(golden: dict | None) -> list[str]:
    if not golden:
        return []
    verdict = "passes" if golden["suite_passed"] else "does **not** pass"
    lines = [
        "## Golden cases",
        "",
        f"{golden['passed']} of {golden['cases']} cases passed ({golden['pass_rate']:.1%}); the suite {verdict} "
        f"its minimum of {golden['min_pass_rate']:.0%}.",
        "",
        *_table(
            ["case", "samples passed", "needed", "result"],
            [
                [c["id"], f"{c['passed_samples']}/{c['repeats']}", f"{c['min_pass_fraction']:.0%}", _mark(c["passed"])]
                for c in golden["results"]
            ],
        ),
        "",
    ]
    for case in (c for c in golden["results"] if not c["passed"]):
        lines += [f"### Failing case `{case['id']}`", "", f"Prompt: {_cell(case['prompt'])}", ""]
        rows = [[f["sample"], f["assertion"], f["reason"], f["output"]] for f in case["failures"]]
        lines += [*_table(["sample", "assertion", "why", "output"], rows), ""]
    return lines


def _safety(safety: dict | None) -> list[str]:
    if not safety:
        return []
    names = {"pii": "personal data", "profanity": "offensive language", "refusal": "refusals"}
    checks = [(name, key) for key, name in names.items() if safety[key] is not None]
    lines = [
        "## Safety",
        "",
        f"Offline checks of all {safety['outputs']} generated outputs.",
        "",
        *_table(
            ["check", "outputs flagged", "rate"],
            [[name, safety[key]["outputs"], safety[key]["rate"]] for name, key in checks],
        ),
        "",
    ]
    examples = [
        f"- {name}: `{_cell(e['id'])}`: {_cell(', '.join(e['kinds']) if key == 'pii' else e['output'])}"
        for name, key in checks
        for e in safety[key]["examples"]
    ]
    return [*lines, *examples, ""] if examples else lines


def _mark(passed: bool) -> str:
    return "pass" if passed else "**fail**"
