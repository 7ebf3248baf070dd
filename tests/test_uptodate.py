"""A re-run with nothing to do: recognised from what the last finished run depended on; any change to
one of those things, a missing delivery or --force makes it run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import review_season
from stub_engines import EchoEngine

from localize import uptodate
from localize.decisions import Decisions
from localize.run_request import PreparedRun, RunRequest, prepare
from localize.translate import engines

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
