"""One market's subtitle deliverables for one episode: cues, files in every format, lint findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from localize.markets import Market
from localize.subtitle.bidi import mark_rtl
from localize.subtitle.formats import write_subtitles
from localize.subtitle.layout import DEFAULT_COVER, CoverBox, VerticalLayout
from localize.subtitle.lint import check_cues
from localize.subtitle.platforms import SCREEN, Platform
from localize.subtitle.segment import make_cues
from localize.subtitle.timing import apply_timing
from localize.types import Cue, Finding, Line

DELIVERY_FORMATS = ("srt", "vtt", "ass", "ttml")


@dataclass(frozen=True)
class SubtitleDelivery:
    cues: tuple[Cue, ...]
    files: tuple[Path, ...]
    findings: tuple[Finding, ...]


def deliver_subtitles(lines: Sequence[Line], market: Market, *, fps: float, duration_ms: int,
                      out_dir: Path, stem: str, cover: CoverBox | None = DEFAULT_COVER,
                      formats: Sequence[str] = DELIVERY_FORMATS,
                      clear_of: tuple[int, int] | None = None, platform: Platform | str | None = None,
                      frame: tuple[int, int] | None = None) -> SubtitleDelivery:
    """Segment, time and lay out `lines` by the market's rules (narrowed to what the 9:16 layout
    shows on one line), write `<stem>.<fmt>` for each format, and lint the result.
    `cover=None` draws no box over the burned-in Chinese (for clean masters); `clear_of` (top, bottom
    rows of the 1080x1920 canvas) keeps the text clear of a burned-in band left in the picture.
    `platform` picks the safe-area preset (`platforms.py`, default micro-drama) and `frame` (the episode's
    width, height; default 1080x1920) the canvas: the cover and `clear_of` follow it."""
    layout = VerticalLayout.for_market(market, platform, frame)
    sx, sy = layout.play_res_x / SCREEN[0], layout.play_res_y / SCREEN[1]
    if cover is not None and (sx, sy) != (1.0, 1.0):
        cover = replace(cover, x0=round(cover.x0 * sx), y0=round(cover.y0 * sy),
                        x1=round(cover.x1 * sx), y1=round(cover.y1 * sy))
    if clear_of is not None:
        layout = layout.clear_of(round(clear_of[0] * sy), round(clear_of[1] * sy))
    rules = layout.fit_rules(market.rules)
    cues = apply_timing(make_cues(lines, rules, fps, market.language), rules, fps, duration_ms)
    written = mark_rtl(cues) if market.rtl else cues  # direction marks for the players (bidi.py)
    files = tuple(
        write_subtitles(written, out_dir / f"{stem}.{fmt}", fmt, layout=layout,
                        cover=cover, episode_duration_ms=duration_ms, language=market.code)
        for fmt in formats
    )
    findings = tuple(check_cues(cues, rules, fps, language=market.language))
    return SubtitleDelivery(cues, files, findings)
