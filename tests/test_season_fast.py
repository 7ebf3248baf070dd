"""The season's logic end to end in seconds: the real season run (localize.season_run) on threads, the
real stage table, store, journal and summary, with stand-in stages for the models (tests/stub_stages.py)
and a stub translation engine. The same logic with real models: test_flows.py, test_resume.py (slow).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import stub_stages
from stub_engines import EchoEngine

import localize.store
from localize import media
from localize.findings import catalogue
from localize.journal import read_status
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.paths import SeasonPaths
from localize.pipeline import RunSettings
from localize.season_run import SeasonResult, ThreadSubmitter, preflight, run_season
from localize.speakers.diarize import DiarizeOptions
from localize.stages import replaced
from localize.translate import engines

SUFFIXES = ("srt", "vtt", "ass", "ttml", "m4a", "mp4", "qa.json", "qa.html")


class Broken:
    name = "broken-stub"

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        raise RuntimeError("the translation server fell over")


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 3-second 9:16 episodes with different sound (so their keys differ)."""
    folder = tmp_path_factory.mktemp("fast-season")
    for number, tone in ((1, 440), (2, 660)):
        media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x203040:s=270x480:r=25:d=3", "-f", "lavfi", "-i",
                          f"sine=frequency={tone}:sample_rate=48000:duration=3", "-c:v", "libx264", "-preset",
                          "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-shortest",
                          str(folder / f"ep{number:02d}.mp4")])
    return folder


@pytest.fixture(autouse=True)
def stubs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(engines.ENGINES, EchoEngine.name, lambda spec: EchoEngine())
    monkeypatch.setitem(engines.ENGINES, Broken.name, lambda spec: Broken())
    stub_stages.CALLS.clear()
    stub_stages.FAIL_FOR.clear()
    with replaced(stub_stages.STAND_INS):
        yield


def markets(es_engine: str = EchoEngine.name) -> list[Market]:
    return [with_engine(get_market("en-US"), EngineSpec(EchoEngine.name, "none")),
            with_engine(get_market("es-419"), EngineSpec(es_engine, "none"))]


def run(season: Path, out: Path, chosen: Sequence[Market], only: Sequence[str] = (),
        speakers: bool = False) -> SeasonResult:
    episodes = [video for video in preflight(season, chosen, out) if not only or video.stem in only]
    settings = RunSettings(out_dir=out, speakers=DiarizeOptions(enabled=speakers))
    submit = ThreadSubmitter(workers=2)
    try:
        return run_season(episodes, chosen, settings, submit)
    finally:
        submit.close()


def test_a_season_delivers_every_episode_and_market_and_a_rerun_does_nothing_again(
        season: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run(season, out, markets())
    assert not first.failures, first.failures
    assert sorted((r.episode, r.market) for r in first.results) == [
        ("ep01", "en-US"), ("ep01", "es-419"), ("ep02", "en-US"), ("ep02", "es-419")]
    for market in ("en-US", "es-419"):
        for suffix in SUFFIXES:
            assert (out / market / f"ep01.{suffix}").is_file(), (market, suffix)
    assert stub_stages.CALLS == {"transcribe": 2, "read-picture": 2, "dialogue": 2, "dub": 4, "preview": 4}
    assert first.ran["translate"] == 4 and first.ran["extract-audio"] == 4
    status = read_status(SeasonPaths(out).journal)
    assert status is not None and status.finished and {e.state for e in status.entries} == {"done"}
    rows = json.loads((out / "season-summary.json").read_text(encoding="utf-8"))["deliveries"]
    assert len(rows) == 4 and all(row["status"] in ("passed", "needs review") for row in rows)

    again = run(season, out, markets())
    assert again.ran == {}  # every stage reused
    assert stub_stages.CALLS["transcribe"] == 2 and stub_stages.CALLS["dub"] == 4
    status = read_status(SeasonPaths(out).journal)
    assert status is not None and {e.state for e in status.entries} == {"cached"}
    assert [r.report.findings for r in again.results] == [r.report.findings for r in first.results]
    assert {f.code for r in first.results for f in r.report.findings} <= set(catalogue())  # every code defined


def test_a_failing_market_does_not_stop_the_others_and_the_next_run_does_only_what_failed(
        season: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = run(season, out, markets(es_engine=Broken.name))
    assert sorted((r.episode, r.market) for r in broken.results) == [("ep01", "en-US"), ("ep02", "en-US")]
    assert {(f.episode, f.market, f.fault) for f in broken.failures} == {("ep01", "es-419", "bug"),
                                                                         ("ep02", "es-419", "bug")}
    assert all("fell over" in f.error for f in broken.failures)
    rows = json.loads((out / "season-summary.json").read_text(encoding="utf-8"))["deliveries"]
    assert sorted(row["status"] for row in rows if row["market"] == "es-419") == ["failed", "failed"]

    fixed = run(season, out, markets())
    assert len(fixed.results) == 4 and not fixed.failures
    assert fixed.ran == {"translate": 2, "subtitles": 2, "dub": 2, "preview": 2}  # es-419 only; sources reused
    assert stub_stages.CALLS["transcribe"] == 2


def test_a_crash_in_one_episode_leaves_the_rest_done_and_resumes_there(season: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stub_stages.FAIL_FOR.add("read-picture")  # the source of both episodes crashes
    crashed = run(season, out, markets()[:1])
    assert not crashed.results and len(crashed.failures) == 2
    assert all("planted failure" in f.error for f in crashed.failures)
    stub_stages.FAIL_FOR.clear()
    resumed = run(season, out, markets()[:1])
    assert len(resumed.results) == 2
    assert "transcribe" not in resumed.ran  # finished before the crash: reused
    assert resumed.ran["read-picture"] == 2


def test_a_stages_new_code_redoes_that_stage_everywhere_and_nothing_it_does_not_feed(
        season: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    run(season, out, markets())
    original = localize.store.code_version
    monkeypatch.setattr(localize.store, "code_version",
                        lambda name: "new subtitle code" if name == "subtitles" else original(name))
    again = run(season, out, markets())
    assert again.ran == {"subtitles": 4}  # the same files come out, so the previews fed by them are reused


def test_a_glossary_edit_rerenders_that_markets_deliveries_only(season: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    series = season / "glossaries"
    run(season, out, markets())
    try:
        series.mkdir()
        (series / "es-419.tsv").write_text("source\ttarget\tkind\tnote\n林晓\tLin Xiao\tname\t\n", encoding="utf-8")
        again = run(season, out, markets())
    finally:
        (series / "es-419.tsv").unlink()
        series.rmdir()
    assert again.ran["translate"] == 2 and "transcribe" not in again.ran
    assert {r.market for r in again.results if r.ran} == {"es-419"}


def test_two_runs_over_different_episodes_leave_the_same_characters_whatever_the_order(
        season: Path, tmp_path: Path) -> None:
    def season_in(out: Path, *runs: Sequence[str], together: bool = False) -> dict[str, Any]:
        if together:  # two runs at once, each over its own episodes, sharing OUT
            with ThreadPoolExecutor(2) as pool:
                done = [pool.submit(run, season, out, markets()[:1], only, True) for only in runs]
                assert not any(handle.result().failures for handle in done)
        for only in runs if not together else ():
            assert not run(season, out, markets()[:1], only, speakers=True).failures
        return json.loads((out / "characters.json").read_text(encoding="utf-8"))

    first_ep01 = season_in(tmp_path / "a", ["ep01"], ["ep02"])
    first_ep02 = season_in(tmp_path / "b", ["ep02"], ["ep01"])
    at_once = season_in(tmp_path / "c", ["ep01"], ["ep02"], together=True)
    assert first_ep01 == first_ep02 == at_once
    characters = first_ep01["characters"]
    assert [c["name"] for c in characters] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert characters[0]["heard"] == ["ep01:S1", "ep02:S1"]  # the voice both episodes share: one character
    assert all(c["voices"]["en-US"] for c in characters)  # cast, one voice each
    assert len({c["voices"]["en-US"] for c in characters}) == 3
    transcript = json.loads((tmp_path / "b" / "source" / "ep02.transcript.json").read_text(encoding="utf-8"))
    assert transcript["segments"][0]["speaker"] == "Speaker 1"


def test_the_pieces_a_run_works_on_at_once_share_the_cores(season: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers on four cores: each model call may use two threads while the run works, four after."""
    from localize import cores

    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    for name in cores.ENV:
        monkeypatch.delenv(name, raising=False)
    seen: list[int] = []

    def transcribe(*args: Any, **kwargs: Any) -> Any:
        seen.append(cores.per_piece())
        return stub_stages.transcribe(*args, **kwargs)

    with replaced({"transcribe": transcribe}):
        result = run(season, tmp_path / "out", markets())
    assert not result.failures
    assert seen == [2, 2]  # one per episode, each with half the cores
    assert cores.per_piece() == 4
