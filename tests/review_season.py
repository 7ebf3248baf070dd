"""A small season delivered in seconds for the review page's tests: two 4-second 9:16 episodes, one
market (en-US) translated by a stub engine, stand-in stages for the models (tests/stub_stages.py),
real subtitles, QA and previews (ffmpeg), a translation memory, and a glossary that forbids the word
"characters", which every stub line uses: every line is flagged until a reviewer fixes it.
"""

from __future__ import annotations

from pathlib import Path

import stub_stages
from stub_engines import EchoEngine

from localize import media
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.pipeline import RunSettings
from localize.release import ReleaseSettings
from localize.season_run import SeasonResult, ThreadSubmitter, preflight, run_season
from localize.speakers.diarize import DiarizeOptions
from localize.stages import replaced

MARKET = "en-US"
STAND_INS = {k: v for k, v in stub_stages.STAND_INS.items() if k != "preview"}  # real previews: a player plays them


def make_season(folder: Path, forbid: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number, tone in ((1, 440), (2, 660)):
        video = folder / f"ep{number:02d}.mp4"
        if not video.is_file():
            media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x305070:s=270x480:r=25:d=4", "-f", "lavfi", "-i",
                              f"sine=frequency={tone}:sample_rate=48000:duration=4", "-c:v", "libx264", "-preset",
                              "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-shortest",
                              str(video)])
    if forbid:
        glossaries = folder / "glossaries"
        glossaries.mkdir(exist_ok=True)
        (glossaries / f"{MARKET}.tsv").write_text(
            "source\ttarget\tkind\tnote\n\tcharacters\tforbidden\tsay letters\n", encoding="utf-8")
    return folder


def market() -> Market:
    return with_engine(get_market(MARKET), EngineSpec(EchoEngine.name, "none"))


def deliver(season: Path, out: Path, *, force: bool = False, release: ReleaseSettings | None = None) -> SeasonResult:
    """Run the season into `out` with the stand-ins (the caller registers the stub engine, with monkeypatch)."""
    chosen = [market()]
    episodes = preflight(season, chosen, out, force=force)
    settings = RunSettings(out_dir=out, speakers=DiarizeOptions(enabled=False), memory=out.parent / "memory.sqlite",
                           release=release or ReleaseSettings())
    submit = ThreadSubmitter(workers=2)
    try:
        with replaced(STAND_INS):
            return run_season(episodes, chosen, settings, submit, keep_approved=not force)
    finally:
        submit.close()
