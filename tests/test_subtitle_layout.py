"""The 9:16 layout: margins inside the safe area, the cover box, and what libass really draws."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from localize.markets import SubtitleRules, get_market
from localize.subtitle import CoverBox, InvalidSettingError, VerticalLayout, write_subtitles
from localize.types import Cue


def test_margins_put_bottom_centred_text_in_the_safe_area() -> None:
    layout = VerticalLayout()
    margins = layout.margins()
    assert (margins.left, margins.right, margins.vertical) == (120, 192, 672)
    assert (layout.safe_width, layout.safe_height) == (768, 960)
    assert 54 <= layout.font_size <= 60


def test_layout_for_a_market_takes_its_font_and_direction() -> None:
    layout = VerticalLayout.for_market(get_market("es-419"))
    assert layout.font == get_market("es-419").font and layout.rtl is False


def test_fit_rules_lowers_the_line_limit_to_what_fits() -> None:
    layout = VerticalLayout()
    fitted = layout.fit_rules(SubtitleRules(max_chars_per_line=42))
    assert fitted.max_chars_per_line == layout.chars_per_line() < 42
    assert fitted.max_cps == 17.0  # nothing else changes
    small = VerticalLayout(font_size=30)
    assert small.fit_rules(SubtitleRules(max_chars_per_line=42)).max_chars_per_line == 42


@pytest.mark.parametrize("kwargs", [
    {"safe_left": 900}, {"safe_bottom": 2000}, {"font_size": 0}, {"text_rgb": (0, 0, 300)},
])
def test_impossible_layouts_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidSettingError):
        VerticalLayout(**kwargs)  # type: ignore[arg-type]


def test_cover_box_values() -> None:
    box = CoverBox()
    assert (box.x0, box.y0, box.x1, box.y1) == (0, 1380, 1080, 1620)
    assert box.ass_alpha == 0 and box.inside(VerticalLayout())
    assert not box.overlaps_safe_area(VerticalLayout())
    assert CoverBox(y0=1000, y1=1300).overlaps_safe_area(VerticalLayout())
    assert CoverBox(opacity=0.5).ass_alpha == 128
    with pytest.raises(InvalidSettingError):
        CoverBox(y0=1700, y1=1600)
    with pytest.raises(InvalidSettingError):
        CoverBox(opacity=2.0)


def _render(ass: Path, out: Path) -> np.ndarray:
    from localize.media import run_ffmpeg

    run_ffmpeg(["-f", "lavfi", "-i", "color=white:s=1080x1920:d=1", "-vf", f"ass=filename={ass}",
                "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", str(out)])
    return np.fromfile(out, dtype=np.uint8).reshape(1920, 1080)


def test_libass_draws_the_cover_and_keeps_text_in_the_safe_area(tmp_path: Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    layout = VerticalLayout(text_rgb=(0, 0, 0), outline_px=0, shadow_px=0)  # black text on white
    ass = write_subtitles([Cue(0, 2000, ("I told you, Lin Xiao,", "never come back"))], tmp_path / "t.ass",
                          "ass", layout=layout, cover=CoverBox(), episode_duration_ms=2000)
    frame = _render(ass, tmp_path / "frame.raw")
    assert (frame[1380:1620] < 40).all()  # the band is covered edge to edge
    assert (frame[1340:1380] == 255).all() and (frame[1620:1660] == 255).all()
    ys, xs = np.nonzero(frame[:1380] < 128)  # our text, above the cover
    assert len(ys) > 0
    assert layout.safe_top <= ys.min() and ys.max() <= layout.safe_bottom
    assert layout.safe_left <= xs.min() and xs.max() <= layout.safe_right
