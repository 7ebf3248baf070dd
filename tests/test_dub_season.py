"""The built-in sample season dubbed per market by the season flow (real ASR, diarization, dialogue removal,
voices, fitting, mixing): loudness and true peak read by ffmpeg's own EBU R128 meter, no overlapping lines,
the speed limit, and each character keeping one voice (the one `characters.json` casts) in every episode.

Translations come from the season's hand-written references (`stub_engines.ReferenceEngine`), so the lines
have realistic lengths and the test does not depend on what a model says."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from prefect.testing.utilities import prefect_test_harness
from stub_engines import ReferenceEngine, sample_references

from localize import media
from localize.dub import enhance
from localize.markets import EngineSpec, get_market, with_engine
from localize.pipeline import MarketResult, RunSettings

pytestmark = pytest.mark.slow
MARKETS = ("en-US", "es-419", "pt-BR")


@pytest.fixture(scope="module")
def season_run(tmp_path_factory: pytest.TempPathFactory, sample_season: Any) -> Iterator[dict[str, Any]]:
    from flows.season import localize_season
    from localize.asr.source import PictureOptions
    from localize.translate import engines

    root = tmp_path_factory.mktemp("sample-dub-season")
    season = sample_season
    references = sample_references(season.episodes)
    engines.ENGINES[ReferenceEngine.name] = lambda spec: ReferenceEngine(references)
    markets = [with_engine(get_market(code), EngineSpec(ReferenceEngine.name, "none")) for code in MARKETS]
    out = root / "out"
    try:
        with prefect_test_harness(server_startup_timeout=120):
            result = localize_season(season.out_dir, markets, out, RunSettings(
                out_dir=out, preview=False, picture=PictureOptions(enabled=False)))
    finally:
        engines.ENGINES.pop(ReferenceEngine.name, None)
    assert not result.failures, result.failures
    yield {"out": out, "results": result.results, "episodes": [e.video.stem for e in season.episodes],
           "markets": {m.code: m for m in markets}}


def _results(run: dict[str, Any], code: str) -> list[MarketResult]:
    found = sorted((r for r in run["results"] if r.market == code), key=lambda r: r.episode)
    assert [r.episode for r in found] == run["episodes"]
    return found


@pytest.mark.parametrize("code", MARKETS)
def test_every_episode_meets_loudness_speed_and_timing(season_run: dict[str, Any], code: str) -> None:
    market = season_run["markets"][code]
    for result in _results(season_run, code):
        dub = result.dub
        assert dub is not None
        lufs, peak = media.ebur128(dub.path)  # ffmpeg's meter, not ours
        assert abs(lufs - market.loudness_lufs) <= 1.0, (result.episode, lufs)
        assert peak <= market.true_peak_dbtp, (result.episode, peak)
        ordered = sorted(dub.placements, key=lambda p: p.start_ms)
        for first, second in itertools.pairwise(ordered):
            assert first.end_ms <= second.start_ms  # no two dub lines overlap
        within = [p for p in dub.placements if p.speed <= market.max_dub_speed + 1e-3 and not p.truncated_ms]
        assert len(within) >= 0.95 * len(dub.placements), result.episode
        flagged = {f.start_ms for f in result.report.findings if f.code in ("dub-too-fast", "dub-truncated")}
        assert all(p.start_ms in flagged for p in dub.placements if p not in within)  # the rest flagged
        assert all(p.early_ms <= 100 for p in dub.placements)
        assert dub.dialogue_mode == ("subtract" if enhance.available() else "duck")
        assert dub.residual_dialogue_db is not None and dub.residual_dialogue_db < -12.0


@pytest.mark.parametrize("code", MARKETS)
def test_each_character_keeps_the_voice_cast_for_them(season_run: dict[str, Any], code: str) -> None:
    registry = json.loads((season_run["out"] / "characters.json").read_text(encoding="utf-8"))
    characters = registry["characters"]
    cast = {c["name"]: c["voices"][code] for c in characters if code in c.get("voices", {})}
    voices: dict[str, set[str]] = defaultdict(set)
    episodes: dict[str, set[str]] = defaultdict(set)
    for result in _results(season_run, code):
        assert result.dub is not None
        for p in result.dub.placements:
            assert p.speaker, f"{result.episode} line {p.line_index + 1} has no character"
            voices[p.speaker].add(p.voice)
            episodes[p.speaker].add(result.episode)
    recurring = [name for name, seen in episodes.items() if len(seen) > 1]
    assert len(recurring) >= 2  # the sample's main characters speak in several episodes
    for name, used in voices.items():
        assert used == {cast[name]}, (name, used)  # one voice, in every episode: the cast one
    assert len({cast[name] for name in voices}) == len(voices)  # no two characters share a voice


def test_qa_reports_each_line_and_the_episode_loudness(season_run: dict[str, Any]) -> None:
    out = season_run["out"]
    for code, episode in itertools.product(MARKETS, season_run["episodes"]):
        report = json.loads((out / code / f"{episode}.qa.json").read_text(encoding="utf-8"))
        facts = report.get("facts", report)
        assert {"dub_lufs", "dub_true_peak_dbtp", "dub_residual_dialogue_db"} <= facts.keys()
        rows = facts["dub_line_details"]
        assert rows and all({"start", "character", "voice", "speed", "borrowed_ms", "start_offset_ms", "shortened",
                             "flagged", "text"} <= row.keys() for row in rows)
        assert all(row["character"] and row["voice"] and row["text"] for row in rows)
        page = (out / code / f"{episode}.qa.html").read_text(encoding="utf-8")
        assert "<h2>Dub, line by line</h2>" in page and f"<td>{rows[0]['voice']}</td>" in page
