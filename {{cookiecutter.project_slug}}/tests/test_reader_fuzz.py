"""Property: any mutation of the four specs or a data file ends in a valid result or a ``ProjectError``.

Mutations of the valid files: random bytes inserted, lines deleted or duplicated, random keys and
values added, other encodings, truncation. Runs in-process, derandomized, so it is quick and
repeatable; any other exception fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.specs import SPEC_KINDS
from {{ cookiecutter.package_name }}.specs.datarows import read_rows
from {{ cookiecutter.package_name }}.specs.project import load_project, validate_document
from {{ cookiecutter.package_name }}.specs.yamlio import decode_bytes, parse_yaml

from .conftest import ROOT

SPECS = {stem: (ROOT / "specs" / f"{stem}.yaml").read_bytes() for stem in SPEC_KINDS}
DATA = (ROOT / "data" / "golden.jsonl").read_bytes()
DATA_SPEC = load_project(ROOT, check_data=False).data
TOKENS = st.sampled_from(
    [b"", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\x1b[31m", b":", b"- ", b"{", b"[", b"&a", b"*a", b"<<: *a"]
    + [b"!!python/x", b'"', b"'", b"\t", b"\r", b"\n", b"  ", b"no", b"1e9", b"2026-02-30", b"~", b"? "]
    + [b"%YAML 1.1", b"---", b"#", b'{"id": 1}', b"null", b"[]", b"\\u0000"]
)


@st.composite
def mutated(draw, original: bytes) -> bytes:
    lines = original.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "token", "key", "truncate", "encode"]))
        if action == "insert":
            lines.insert(i, draw(st.binary(max_size=40)))
        elif action == "delete" and lines:
            del lines[i]
        elif action == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif action == "token" and lines:
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(TOKENS) + lines[i][at:]
        elif action == "key":
            key = draw(st.text(min_size=1, max_size=12)).encode("utf-8", "surrogatepass")
            value = draw(st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=10))).__repr__()
            lines.insert(i, draw(st.sampled_from([b"", b"  "])) + key + b": " + value.encode("utf-8", "surrogatepass"))
        elif action == "truncate":
            lines = lines[:i]
        elif action == "encode":
            text = b"\n".join(lines).decode("utf-8", "replace")
            lines = text.encode(draw(st.sampled_from(["utf-16", "latin-1", "cp1252"])), "replace").split(b"\n")
    return b"\n".join(lines)


@st.composite
def cases(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from([*SPECS, "data"]))
    return name, draw(mutated(SPECS[name] if name != "data" else DATA))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_mutated_specs_and_data_end_in_a_result_or_a_project_error(scratch: Path, case: tuple[str, bytes]):
    name, raw = case
    try:
        if name == "data":
            path = scratch / "golden.jsonl"
            path.write_bytes(raw)
            read_rows(path, "data/golden.jsonl", DATA_SPEC, split="golden", root=scratch).checked()
        else:
            shown = f"specs/{name}.yaml"
            doc = parse_yaml(decode_bytes(raw, shown), Path(shown), shown)
            validate_document(doc, SPEC_KINDS[name])
    except ProjectError as err:
        assert err.lines() and all(line.strip() for line in err.lines())
