"""Contamination of the golden set: a golden prompt or reply in the train split is a data fact that DATA-008 blocks."""

from __future__ import annotations

import json
from pathlib import Path

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.governance.datafacts import scan
from {{ cookiecutter.package_name }}.governance.policy.engine import evaluate
from {{ cookiecutter.package_name }}.governance.policy.pack import load_policies
from {{ cookiecutter.package_name }}.specs.project import load_project


def _rule(project: Path, facts: dict):
    (entry,) = [e for e in load_policies(project / "policies").rules if e.rule.id == "DATA-008"]
    (result,) = evaluate([entry], {"data": facts}, root=project)
    return result


def _golden(project: Path) -> list[dict]:
    return [json.loads(line) for line in (project / "data" / "golden.jsonl").read_text().splitlines()]


def _add_to_train(project: Path, *rows: dict) -> None:
    train = project / "data" / "train.jsonl"
    train.write_text(train.read_text() + "".join(json.dumps(r) + "\n" for r in rows))
    assert main(["--project", str(project), "pin-data"]) == 0


def test_the_sample_data_is_not_contaminated(project: Path):
    facts = scan(load_project(project))
    assert facts["contamination"] == {
        "count": 0,
        "prompts": {"count": 0, "rows": []},
        "outputs": {"count": 0, "rows": []},
    }
    assert _rule(project, facts).status == "pass"


def test_a_golden_prompt_or_reply_in_train_fails_data_008(project: Path):
    first, second, third = _golden(project)[:3]
    copied = {**first, "id": "tr-copy-1", "reply": "A reply nobody wrote before."}  # the prompt, cased differently
    copied["ticket"] = copied["ticket"].upper()
    answered = {**second, "id": "tr-copy-2", "ticket": "An unrelated question about socks."}  # the reply
    _add_to_train(project, copied, answered)
    facts = scan(load_project(project))["contamination"]
    assert facts["prompts"]["rows"] == [f"golden:{first['id']}"]
    assert facts["outputs"]["rows"] == [f"golden:{second['id']}"]
    assert facts["count"] == 2 and f"golden:{third['id']}" not in str(facts)
    result = _rule(project, {"contamination": facts})
    assert result.status == "fail" and "2 golden rows can be passed by recall" in result.message
