"""Finding codes defined once: every code written in the code is in the catalogue, and `localize findings`
lists them for a reviewer."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from localize.asr import flags
from localize.cli import main
from localize.findings import catalogue

REPO = Path(__file__).resolve().parents[1]


def written_codes() -> set[str]:
    """Code strings the project writes: Finding(code="..."), _finding("..."), source_flag("...")."""
    found: set[str] = set()
    for file in (REPO / "localize").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name == "Finding":
                found |= {f"{kw.value.value}" for kw in node.keywords
                          if kw.arg == "code" and isinstance(kw.value, ast.Constant)}
            elif name == "_finding" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
            elif name == "source_flag" and node.args and isinstance(node.args[0], ast.Constant):
                assert node.args[0].value in flags.CODES, (file, node.args[0].value)
                found.add(f"source-{node.args[0].value}")
    return found


def test_every_code_written_in_the_code_is_in_the_catalogue() -> None:
    codes = written_codes()
    assert len(codes) > 20  # the scan sees the stages' codes
    assert codes <= set(catalogue()), codes - set(catalogue())


def test_a_code_defined_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from localize.dub import dub

    monkeypatch.setitem(dub.CODES, "overlap", dub.CODES["dub-borrowed"])  # a subtitle code's name
    with pytest.raises(ValueError, match="'overlap' is defined twice"):
        catalogue()


def test_localize_findings_lists_codes_for_a_reviewer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings"]) == 0
    out = capsys.readouterr().out
    assert "mt-term-placed" in out and "dub-true-peak" in out and "cps-too-high" in out
    assert main(["findings", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["code"] for row in rows} == set(catalogue())
    assert next(r for r in rows if r["code"] == "glossary-forbidden")["severity"] == "error"
