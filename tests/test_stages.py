"""The stage table: one declaration per stage, the code a stage depends on derived from imports, and a
change redoing that stage and those fed by it, nothing else."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import pytest

import localize.store
from localize.code_graph import ROOT
from localize.stages import BY_NAME, STAGES, code_version, get_stage, stage_code_files
from localize.store import ResultStore, content_key


def stage_names_run_in(folder: Path) -> set[str]:
    """The stage names the code passes to `store.run(...)` (string literals, as written)."""
    found = set()
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "store"):
                found.add(node.args[0].value)
    return found


def test_every_stage_the_pipeline_runs_is_in_the_table_and_every_row_is_run() -> None:
    assert stage_names_run_in(ROOT / "localize") == set(BY_NAME)
    for stage in STAGES:
        function = stage.work.partition(":")[2]
        assert function and stage_code_files(stage.name)[0].is_file()
        assert f"def {function}(" in "".join(f.read_text(encoding="utf-8") for f in stage_code_files(stage.name))


def test_a_key_with_inputs_the_table_does_not_declare_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'subtitles' keyed on .*'x'.*declares"):
        content_key("subtitles", {"x": 1})


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's code to edit."""
    for package in ("localize", "flows"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def versions(root: Path) -> dict[str, str]:
    code_version.cache_clear()
    return {stage.name: code_version(stage.name, root) for stage in STAGES}


@pytest.mark.parametrize(("edited", "redone"), [
    ("localize/subtitle/layout.py", {"subtitles"}),
    ("localize/speakers/diarize.py", {"diarize"}),  # a stage a hand-kept list once forgot
    ("localize/picture/ocr.py", {"read-picture", "clean-picture"}),
    ("localize/translate/term_repair.py", {"translate"}),
    ("localize/dub/mix.py", {"dub"}),
    ("localize/types.py", set(BY_NAME) - {"diarize"}),  # what the stages pass around; diarize works on audio
])
def test_editing_a_module_changes_the_code_of_the_stages_that_import_it_and_no_other(
        tree: Path, edited: str, redone: set[str]) -> None:
    before = versions(tree)
    with (tree / edited).open("a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    after = versions(tree)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == redone


def keyed(stage: str, **given: Any) -> dict[str, Any]:
    return {name: given.get(name) for name in get_stage(stage).inputs}


def test_a_changed_input_or_code_redoes_that_stage_and_those_fed_by_it_and_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A three-stage chain through the real store and table, with stand-in work."""
    store = ResultStore(tmp_path)

    def season(options: str) -> None:
        audio = store.run("extract-audio", keyed("extract-audio", video="ep01", rate=16000), lambda: "audio")
        heard = store.run("transcribe", keyed("transcribe", audio=audio, options=options),
                          lambda: f"transcript with {options}")
        lines = store.run("translate", keyed("translate", transcript=heard), lambda: f"lines of {heard}")
        store.run("subtitles", keyed("subtitles", translation=lines), lambda: f"subtitles of {lines}")

    def ran() -> dict[str, int]:
        counts = dict(store.ran)
        store.ran.clear()
        return counts

    season("beam 5")
    assert ran() == {"extract-audio": 1, "transcribe": 1, "translate": 1, "subtitles": 1}
    season("beam 5")
    assert ran() == {}  # nothing changed: everything reused
    season("beam 1")  # an input of transcribe: it and what it feeds, not the audio
    assert ran() == {"transcribe": 1, "translate": 1, "subtitles": 1}
    original = localize.store.code_version
    monkeypatch.setattr(localize.store, "code_version",
                        lambda name: "edited" if name == "subtitles" else original(name))
    season("beam 1")  # the subtitles' code changed: only they are made again
    assert ran() == {"subtitles": 1}


def test_the_architecture_notes_draw_every_stage_of_the_table() -> None:
    notes = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for stage in STAGES:
        assert f"`{stage.name}`" in notes, f"docs/architecture.md does not mention the stage {stage.name}"
        assert ", ".join(stage.inputs) in notes, f"docs/architecture.md: inputs of {stage.name} out of date"


# Modules that run or use a whole season: only they may import the run's bookkeeping.
ABOVE = {"localize/pipeline.py", "localize/season_run.py", "localize/kit.py", "localize/takes.py",
         "localize/config.py", "localize/cli.py", "localize/cli_dub.py", "localize/cli_kit.py", "localize/cli_cast.py",
         "localize/cli_memory.py", "localize/cli_glossary.py",
         "localize/review/app.py",  # the review page: a front end of the season run, as the CLI is
         "localize/run_request.py", "localize/uptodate.py"}  # a run as asked, and whether it has anything to do
BOOKKEEPING = {"localize.store", "localize.ledger", "localize.journal", "localize.pipeline", "localize.season_run"}


def test_no_module_below_the_season_run_imports_its_bookkeeping() -> None:
    """The library's stages never reach up to the store, ledger, journal, pipeline or season run."""
    offenders = []
    for file in sorted((ROOT / "localize").rglob("*.py")):
        name = file.relative_to(ROOT).as_posix()
        if name in ABOVE:
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{name} imports {module}" for module in modules if module in BOOKKEEPING]
    assert offenders == []
