"""The box over the burned-in Chinese line follows the band found in the picture, unless set by hand."""

from __future__ import annotations

from localize.asr.source import PictureOptions
from localize.pipeline import cover_for
from localize.subtitle.layout import CoverBox
from localize.types import Box, TextBand, Transcript


def _transcript(band: TextBand | None) -> Transcript:
    return Transcript(language="zh", segments=(), duration_ms=1000, band=band)


def test_box_covers_the_band_found_scaled_to_the_layout() -> None:
    band = TextBand(Box(0, 700, 540, 800), frame_width=540, frame_height=960)  # a 540x960 episode
    cover = cover_for(_transcript(band), CoverBox(), PictureOptions(), cover_auto=True)
    assert cover is not None and (cover.y0, cover.y1) == (1400, 1600)  # on the 1080x1920 ASS canvas


def test_clean_master_gets_no_box_and_a_hand_set_box_wins() -> None:
    assert cover_for(_transcript(None), CoverBox(), PictureOptions(), cover_auto=True) is None
    band = TextBand(Box(0, 1400, 1080, 1600), frame_width=1080, frame_height=1920)
    mine = CoverBox(y0=1500, y1=1700)
    assert cover_for(_transcript(band), mine, PictureOptions(), cover_auto=False) is mine
    assert cover_for(_transcript(band), None, PictureOptions(), cover_auto=False) is None


def test_without_ocr_the_configured_box_stays() -> None:
    default = CoverBox()
    assert cover_for(_transcript(None), default, PictureOptions(enabled=False), cover_auto=True) is default
