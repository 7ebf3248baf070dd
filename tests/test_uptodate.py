"""A re-run with nothing to do: recognised from what the last finished run depended on; any change to
one of those things, a missing delivery or --force makes it run."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import review_season
from stub_engines import EchoEngine

from localize import uptodate
from localize.decisions import Decisions
from localize.run_request import PreparedRun, RunRequest, prepare
from localize.translate import engines
from localize.translate.memory import TranslationMemory

MARKET = review_season.MARKET


def prepared(season: Path, out: Path, force: bool = False) -> PreparedRun:
    return prepare(RunRequest(season=season, markets=MARKET, out=out, force=force))


def test_an_unchanged_season_is_recognised_and_any_change_is_not(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    season = review_season.make_season(tmp_path / "season")
    out = tmp_path / "out"
    assert uptodate.unchanged(prepared(season, out)) is None  # never run
    assert not review_season.deliver(season, out).failures
    uptodate.remember(prepared(season, out), 2, 4, ["ep01 [en-US]", "ep02 [en-US]"])
    last = uptodate.unchanged(prepared(season, out))
    assert last is not None and last.deliveries == 2 and last.needs_review == ("ep01 [en-US]", "ep02 [en-US]")
    assert json.loads((out / ".work" / "digests.json").read_text(encoding="utf-8"))  # videos hashed once, kept
    assert uptodate.unchanged(prepared(season, out, force=True)) is None

    glossary = season / "glossaries" / f"{MARKET}.tsv"
    kept = glossary.read_text(encoding="utf-8")
    glossary.write_text(kept + "\tdarn\tforbidden\t\n", encoding="utf-8")
    assert uptodate.unchanged(prepared(season, out)) is None  # a glossary edit
    glossary.write_text(kept, encoding="utf-8")
    assert uptodate.unchanged(prepared(season, out)) is not None

    memory = prepared(season, out).settings.memory
    assert memory is not None and not memory.exists()
    with TranslationMemory(memory) as tm:
        tm.add_machine("你好", "Hello", MARKET, engine=EchoEngine.name)
    assert uptodate.unchanged(prepared(season, out)) is None  # the memory appeared
    uptodate.remember(prepared(season, out), 2, 4, ["ep01 [en-US]", "ep02 [en-US]"])
    before = memory.read_bytes()
    with closing(sqlite3.connect(memory)) as conn:  # the file rewritten, every entry the same (as a checkpoint)
        conn.execute("VACUUM")
    assert memory.read_bytes() != before
    assert uptodate.unchanged(prepared(season, out)) is not None
    with TranslationMemory(memory) as tm:
        tm.approve("你好", "Hi there", MARKET)
    assert uptodate.unchanged(prepared(season, out)) is None  # a translator's approval in the memory
    uptodate.remember(prepared(season, out), 2, 4, ["ep01 [en-US]", "ep02 [en-US]"])

    Decisions(out).decide("ep01", MARKET, "approved")
    assert uptodate.unchanged(prepared(season, out)) is None  # a reviewer's decision
    uptodate.remember(prepared(season, out), 2, 4, [])
    assert uptodate.unchanged(prepared(season, out)) is not None
    script = season / "ep02.script.tsv"
    script.write_text("start\tend\tspeaker\ttext\n0:00.5\t0:01.5\t林晓\t你好\n", encoding="utf-8")
    assert uptodate.unchanged(prepared(season, out)) is None  # a script beside an episode
    script.unlink()
    uptodate.remember(prepared(season, out), 2, 4, [])
    (out / MARKET / "ep02.vtt").unlink()
    assert uptodate.unchanged(prepared(season, out)) is None  # a delivery gone
