"""Prefect flow for a whole season: every episode for every market, then a season summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.settings import configure_prefect

configure_prefect()

from prefect import flow  # noqa: E402

from flows.episode import MarketResult, localize_episode  # noqa: E402
from localize import media  # noqa: E402
from localize.asr import AsrOptions  # noqa: E402
from localize.asr.source import PictureOptions, episode_script  # noqa: E402
from localize.errors import LocalizeError, UnknownNameError  # noqa: E402
from localize.ledger import Ledger  # noqa: E402
from localize.markets import Market  # noqa: E402
from localize.progress import Progress  # noqa: E402
from localize.report import write_season_summary  # noqa: E402
from localize.subtitle import DELIVERY_FORMATS, CoverBox  # noqa: E402
from localize.subtitle.layout import DEFAULT_COVER  # noqa: E402
from localize.translate import engine_names  # noqa: E402

log = logging.getLogger("localize")

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".m4v")
DELIVERY_SUFFIXES = (*DELIVERY_FORMATS, "m4a", "mp4", "qa.json", "qa.html")


def find_episodes(season_dir: Path) -> list[Path]:
    """Episode videos in a season folder, in name order (ep01.mp4, ep02.mp4...)."""
    if not season_dir.is_dir():
        raise LocalizeError(f"{season_dir}: not a folder (a season is a folder of episode videos)")
    found = sorted(p for p in season_dir.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if not found:
        raise LocalizeError(f"{season_dir}: no episode videos ({', '.join(VIDEO_SUFFIXES)}) found")
    stems = [p.stem for p in found]
    twins = sorted({p.name for p in found if stems.count(p.stem) > 1})
    if twins:
        raise LocalizeError(f"{season_dir}: {', '.join(twins)} would write the same deliveries; keep one per episode")
    return found


def preflight(season_dir: Path, markets: Sequence[Market], out_dir: Path, force: bool = False) -> list[Path]:
    """Everything that can be checked in seconds, before hours of work: videos, scripts, engines, edited files."""
    episodes = find_episodes(season_dir)
    for video in episodes:
        media.require_audio(media.probe(video))
        episode_script(video)  # a malformed script stops the run here, naming file and line
    for market in markets:
        if market.engine.name not in engine_names():
            raise UnknownNameError(f"translation engine for {market.code}", market.engine.name, engine_names())
    if out_dir.exists() and not out_dir.is_dir():
        raise LocalizeError(f"{out_dir}: --out must be a folder")
    if not force:
        Ledger(out_dir).check(planned_outputs(episodes, markets, out_dir))
    return episodes


def planned_outputs(episodes: Sequence[Path], markets: Sequence[Market], out_dir: Path) -> list[Path]:
    planned = [out_dir / "season-summary.json", out_dir / "season-summary.html"]
    for video in episodes:
        planned.append(out_dir / "source" / f"{video.stem}.transcript.json")
        planned.extend(out_dir / m.code / f"{video.stem}.{suffix}" for m in markets for suffix in DELIVERY_SUFFIXES)
    return planned


@dataclass(frozen=True)
class SeasonResult:
    out_dir: Path
    results: tuple[MarketResult, ...]
    seconds: float

    @property
    def errors(self) -> int:
        return sum(r.report.errors for r in self.results)


def _summary_row(r: MarketResult) -> dict[str, Any]:
    return {
        "episode": r.episode, "market": r.market, "passed": r.report.errors == 0,
        "errors": r.report.errors, "findings": len(r.report.findings),
        "dub_lufs": round(r.dub.integrated_lufs, 1) if r.dub else None,
        "qa": f"{r.market}/{r.episode}.qa.html",
    }


@flow(name="localize-season", validate_parameters=False)
def localize_season(season_dir: Path, markets: Sequence[Market], out_dir: Path,
                    asr: AsrOptions | None = None, glossary_dir: Path | None = None,
                    preview: bool = True, show_progress: bool = False, force: bool = False,
                    cover: CoverBox | None = DEFAULT_COVER, cover_auto: bool = True,
                    picture: PictureOptions | None = None,
                    episodes: Sequence[Path] | None = None) -> SeasonResult:
    """Episodes x markets; writes OUT/<market>/<episode>.* and OUT/season-summary.{json,html}.

    Before any work, runs `preflight` (bad videos, unknown engines, and delivery files edited by a
    person or not written by localize, unless `force`); a caller that already ran it passes `episodes`.
    """
    started = time.perf_counter()
    if episodes is None:
        episodes = preflight(season_dir, markets, out_dir, force)
    ledger = Ledger(out_dir)
    results: list[MarketResult] = []
    with Progress(total=len(episodes) * len(markets), enabled=show_progress) as progress:
        for video in episodes:
            results.extend(localize_episode(video, markets, out_dir, asr=asr, glossary_dir=glossary_dir,
                                            preview=preview, on_step=progress.describe,
                                            on_market_done=progress.advance, ledger=ledger, cover=cover,
                                            picture=picture, cover_auto=cover_auto))
    ledger.record(write_season_summary([_summary_row(r) for r in results], out_dir))
    return SeasonResult(out_dir, tuple(results), time.perf_counter() - started)
