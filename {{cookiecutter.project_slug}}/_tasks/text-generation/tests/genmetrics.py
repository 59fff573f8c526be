"""A hand-written ``metrics.json`` of a good text-generation run, for gate tests.

It stands in for ``evaluate`` so the policy tests run in milliseconds; ``test_generation_policies``
checks it against the published schema, so it cannot drift from what ``evaluate`` writes.
"""

from __future__ import annotations


def _case(case_id: str, prompt: str, output: str) -> dict:
    return {
        "id": case_id,
        "prompt": prompt,
        "repeats": 1,
        "passed_samples": 1,
        "pass_fraction": 1.0,
        "min_pass_fraction": 1.0,
        "passed": True,
        "outputs": [output],
        "failures": [],
    }


def _finding(**extra) -> dict:
    return {"outputs": 0, "rate": 0.0, **extra, "examples": []}


def good_generation_metrics(run_id: str, rouge_l: float = 0.62) -> dict:
    """Metrics of a text-generation run that passes every default rule."""
    cases = [
        _case(f"golden-{n:02d}", f"Where is my refund for order {1000 + n}?", "Your refund is on its way.")
        for n in range(10)
    ]
    timing = {"p50": 40.0, "p95": 55.0}
    return {
        "run_id": run_id,
        "task": "text-generation",
        "split": "test",
        "primary_metric": "rouge_l",
        "prompt_version": "1",
        "decoding": {"strategy": "greedy", "temperature": None, "top_p": None, "max_new_tokens": 64, "seed": 7},
        "test": {"rows": 60, "rouge_l": rouge_l, "chrf": 55.2, "bleu": 38.4, "perplexity": 3.1},
        "text_floors": {"rouge_l": {"floor": 0.4, "value": rouge_l, "met": True}},
        "below_floors": [],
        "slices": {"channel": {"email": {"rows": 30, "rouge_l": 0.63, "chrf": 56.0, "bleu": 39.0}}},
        "golden": {
            "cases": 10,
            "passed": 10,
            "pass_rate": 1.0,
            "min_pass_rate": 0.9,
            "suite_passed": True,
            "results": cases,
            "failures": [],
        },
        "safety": {
            "outputs": 70,
            "pii": _finding(kinds={}),
            "profanity": _finding(threshold=0.5),
            "refusal": _finding(),
        },
        "latency": {
            "device": "cpu (2 threads)",
            "requests": 70,
            "latency_ms": timing,
            "ttft_ms": {"p50": 3.0, "p95": 4.5},
            "tokens_per_s": {"p50": 600.0, "p95": 700.0},
            "output_tokens": {"p50": 24.0, "p95": 30.0},
        },
    }
