"""The model card: Hugging Face front matter and sections from the specs and a run's metrics."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import ModelCard

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.governance.card import completeness
from {{ cookiecutter.package_name }}.specs.project import load_project

from .runfixtures import write_run


def _card(project: Path, *args: str) -> str:
    assert main(["--project", str(project), "card", *args]) == 0
    return (project / "artifacts" / "latest" / "MODEL_CARD.md").read_text()


def test_front_matter_is_a_hugging_face_model_card(project: Path):
    write_run(project)
    card = ModelCard(_card(project))
    data = card.data
    spec = load_project(project, check_data=False)
    assert data.license == spec.model.license.lower() or data.license == "other"
    assert data.datasets == ["support-tickets"]
    assert data.pipeline_tag == "text-classification" and data.library_name == "transformers"
    assert "text-classification" in data.tags and "base-scratch" in data.tags
    assert data.base_model is None  # trained from scratch: no base model
    scores = {(r.metric_type, (r.metric_args or {}).get("average")): r.metric_value for r in data.eval_results}
    assert scores[("f1", "macro")] == 0.91 and scores[("accuracy", None)] == 0.913
    assert {r.dataset_split for r in data.eval_results} == {"test"}


def test_sections_come_from_specs_and_metrics(project: Path):
    write_run(project)
    text = _card(project)
    body = text.split("\n---\n", 1)[1]
    model = load_project(project, check_data=False).model
    assert model.display_name and body.lstrip().startswith(f"# {model.display_name} {model.version}\n")
    for heading in (
        "## Intended use",
        "### Out of scope",
        "## Limitations",
        "## Training data",
        "## Evaluation",
        "### Per class",
        "### By channel",
        "### Golden set",
        "### Robustness",
        "## Ethical considerations",
    ):
        assert f"\n{heading}\n" in body, heading
    assert "Route incoming customer-support tickets" in body
    assert "| phone | 60 | 0.850 | 0.846 |" in body
    assert "40 of 40 hand-checked rows predicted exactly" in body
    assert "| train | 1000 |" in body
    assert "Largest gap in macro_f1: 0.102 (best email, worst phone)." in body


def test_a_pretrained_base_and_a_proprietary_license(project: Path):
    spec = project / "specs" / "model.yaml"
    text = spec.read_text()
    start, end = text.index("base:\n"), text.index("training:\n")
    base = "base:\n  type: huggingface\n  id: org/tiny-bert\n  revision: " + "a" * 40 + "\n  license: Apache-2.0\n"
    text = text[:start] + base + text[end:]
    text = "\n".join(
        "license: LicenseRef-Proprietary" if line.startswith("license:") else line for line in text.splitlines()
    )
    spec.write_text(text + "\n")
    write_run(project)
    data = ModelCard(_card(project)).data
    assert data.base_model == "org/tiny-bert"
    assert (data.license, data.license_name) == ("other", "proprietary")


def test_out_writes_a_second_copy(project: Path, tmp_path_factory):
    write_run(project)
    out = tmp_path_factory.mktemp("out")
    text = _card(project, "--out", str(out))
    assert (out / "MODEL_CARD.md").read_text() == text


def test_completeness_names_what_is_missing(project: Path, capsys):
    spec = project / "specs" / "model.yaml"
    spec.write_text(
        spec.read_text().replace("    Trained on synthetic English tickets.", "    TODO: write limitations.")
    )
    write_run(project, metrics={"run_id": "20261123-090000-abcd", "split": "test"})
    text = _card(project)
    out = capsys.readouterr().out
    assert "incomplete: specs/model.yaml card.limitations: placeholder text" in out
    assert "incomplete: metrics.json: the run has no test metrics; run `evaluate`" in out
    assert "This run has not been evaluated yet" in text
    facts = completeness(load_project(project, check_data=False), None)
    assert facts["complete"] is False and facts["sections"]["limitations"] is False
