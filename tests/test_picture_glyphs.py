"""Written-Cantonese glyphs recovered by composition, in every Chinese font installed and at subtitle sizes.

Fast: glyphs are drawn here with Pillow; the recogniser's reading of the right-hand part is given.
The whole path with the real recogniser is measured by bench/source_eval.py and test_source_real.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from localize.picture.glyphs import GlyphOptions, _composed, ink_level
from localize.picture.radicals import mouth_end

FONTS = [(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
         (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"), 2),
         (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
         (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 1)]
INSTALLED = [font for font in FONTS if font[0].is_file()]
SIZES = (32, 44, 64)  # a glyph's height in a 720x1280 frame, a small and a usual 1080x1920 line


def drawn(char: str, font: tuple[Path, int], size: int, colour: int = 255) -> np.ndarray:
    """One glyph as a burned-in subtitle cell: light text on a darker background, a little margin around."""
    face = ImageFont.truetype(str(font[0]), size, index=font[1])
    image = Image.new("L", (size + size // 3, size + size // 2), 60)
    ImageDraw.Draw(image).text((size // 6, size // 8), char, fill=colour, font=face)
    return np.asarray(image)


def reads(answer: str):  # the recogniser reading a right-hand part, as given
    return lambda image: answer


@pytest.mark.skipif(not INSTALLED, reason="no Chinese font installed")
@pytest.mark.parametrize("font", INSTALLED, ids=lambda font: font[0].stem)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("char", "right"), [("嘅", "既"), ("哋", "地"), ("咁", "甘"), ("啲", "的"), ("佢", "巨")])
def test_a_radical_and_a_known_right_hand_part_compose_the_cantonese_glyph(
        font: tuple[Path, int], size: int, char: str, right: str) -> None:
    grey = drawn(char, font, size)
    ink = grey >= ink_level(grey)
    assert _composed(ink, grey, mouth_end(ink), reads(right), frozenset(), GlyphOptions()) == char


@pytest.mark.skipif(not INSTALLED, reason="no Chinese font installed")
@pytest.mark.parametrize("font", INSTALLED, ids=lambda font: font[0].stem)
@pytest.mark.parametrize(("char", "right"), [("地", "也"), ("拒", "巨"), ("们", "门"), ("池", "也")])
def test_a_character_with_another_radical_is_left_as_it_is(font: tuple[Path, int], char: str, right: str) -> None:
    grey = drawn(char, font, 44)
    ink = grey >= ink_level(grey)
    assert _composed(ink, grey, mouth_end(ink), reads(right), frozenset(), GlyphOptions()) == ""


def test_a_yellow_line_keeps_its_thin_strokes() -> None:
    font = INSTALLED[0] if INSTALLED else pytest.skip("no Chinese font installed")
    grey = drawn("嘅", font, 44, colour=205)  # yellow text is about this bright in grey
    assert 120 <= ink_level(grey) < 190
    assert mouth_end(grey >= ink_level(grey)) is not None
