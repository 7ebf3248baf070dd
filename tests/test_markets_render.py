"""Each market's subtitles as a viewer sees them: frames rendered by ffmpeg + libass from the ASS the
pipeline writes, checked by pixels (safe area, two rows, Arabic shaping and direction, Thai words)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from localize.markets import Market, get_market, market_codes
from localize.subtitle import read_cues, write_subtitles
from localize.subtitle.bidi import strip_marks
from localize.subtitle.deliver import deliver_subtitles
from localize.subtitle.layout import VerticalLayout
from localize.types import Cue, Line

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

# One sentence per language, a little longer than one line of the market (written for these tests).
TWO_LINES = {
    "en": "I told you, Lin Xiao, never come back to this house again tonight.",
    "es": "Te lo dije, Lin Xiao, no vuelvas nunca más a esta casa esta noche.",
    "pt": "Eu te disse, Lin Xiao, nunca mais volte para esta casa hoje à noite.",
    "fr": "Je te l'ai dit, ne reviens plus jamais dans cette maison.",
    "de": "Ich habe es dir gesagt, komm nie wieder in dieses Haus.",
    "id": "Sudah kubilang, jangan pernah kembali ke rumah ini lagi.",
    "vi": "Tôi đã nói rồi, đừng bao giờ quay lại ngôi nhà này nữa.",
    "tr": "Sana söyledim Lin Xiao, bu eve bir daha asla geri dönme.",
    "ar": "لقد قلت لك يا لين شياو، لا تعودي أبدًا إلى هذا البيت الليلة!",
    "th": "ฉันไม่อยากกลับบ้านคืนนี้เพราะฝนตกหนักมากและฉันก็เหนื่อยมากด้วย",
    "ja": "林暁、どうして昨日は仕事に来なかったの？",
    "ko": "린샤오, 어제 왜 출근 안 했어? 다들 걱정했잖아.",
}


def _render(ass: Path, out: Path) -> np.ndarray:
    """The first frame of `ass` over black, 1080x1920 grey levels (our text is white, its outline black)."""
    from localize.media import run_ffmpeg

    run_ffmpeg(["-f", "lavfi", "-i", "color=black:s=1080x1920:d=1", "-vf", f"ass=filename={ass}",
                "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", str(out)])
    return np.fromfile(out, dtype=np.uint8).reshape(1920, 1080)


def _bands(mask: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """Runs of indices where `mask` is set, runs closer than `min_gap` merged."""
    bands: list[tuple[int, int]] = []
    for i in np.flatnonzero(mask):
        if bands and i - bands[-1][1] <= min_gap:
            bands[-1] = (bands[-1][0], int(i))
        else:
            bands.append((int(i), int(i)))
    return bands


def _deliver(market: Market, text: str, tmp: Path) -> tuple[Path, tuple[str, ...]]:
    lines = [Line(index=0, start_ms=0, end_ms=6000, source="源", target=text)]
    delivery = deliver_subtitles(lines, market, fps=25.0, duration_ms=6000, out_dir=tmp, stem="ep", cover=None,
                                 formats=("ass",))
    (cue,) = delivery.cues
    return delivery.files[0], cue.lines


@pytest.mark.slow
@pytest.mark.parametrize("code", market_codes())
def test_a_two_line_cue_renders_as_two_rows_inside_the_safe_area(code: str, tmp_path: Path) -> None:
    market = get_market(code)
    ass, rows = _deliver(market, TWO_LINES[market.language], tmp_path)
    assert len(rows) == 2
    frame = _render(ass, tmp_path / "frame.raw")
    layout = VerticalLayout.for_market(market)
    ys, xs = np.nonzero(frame > 128)
    assert len(ys) > 500, "no text drawn"
    assert layout.safe_left <= xs.min() and xs.max() <= layout.safe_right, (xs.min(), xs.max())
    assert layout.safe_top <= ys.min() and ys.max() <= layout.safe_bottom, (ys.min(), ys.max())
    # Two rows of text, as written: libass did not wrap a row the layout thought would fit.
    text_rows = _bands((frame > 128).any(axis=1), min_gap=layout.font_size // 8)
    assert len(text_rows) == 2, text_rows
    if market.language == "th":  # the written rows start and end on the segmenter's word boundaries
        from localize.subtitle.thai import boundaries

        (cue,) = read_cues(ass)
        text = TWO_LINES["th"]
        assert "".join(cue.lines) == text and len(cue.lines[0]) in boundaries(text)


def _ink_width(market: Market, text: str, tmp: Path, name: str) -> int:
    ass = write_subtitles([Cue(0, 2000, (text,))], tmp / f"{name}.ass", "ass",
                          layout=VerticalLayout.for_market(market), cover=None, episode_duration_ms=2000)
    xs = np.nonzero((_render(ass, tmp / f"{name}.raw") > 128).any(axis=0))[0]
    return int(xs.max() - xs.min() + 1)


def _hb_ink_width(font_file: Path, text: str) -> int:
    """Ink width of `text` shaped by HarfBuzz with the same font file (font units)."""
    hb = pytest.importorskip("uharfbuzz")
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(font_file))))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    left, right, pen = float("inf"), float("-inf"), 0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        extents = font.get_glyph_extents(info.codepoint)
        if extents.width:
            x = pen + pos.x_offset + extents.x_bearing
            left, right = min(left, x), max(right, x + extents.width)
        pen += pos.x_advance
    return int(right - left)


@pytest.mark.slow
def test_arabic_letters_are_joined_as_harfbuzz_shapes_them(tmp_path: Path) -> None:
    from localize.fonts import match_font

    market = get_market("ar")
    word = "تستطيع"  # joined forms are 0.6 of the isolated letters' width
    font_file = match_font(market.font).file
    joined_px = _ink_width(market, word, tmp_path, "joined")
    letters_px = [_ink_width(market, letter, tmp_path, f"letter{i}") for i, letter in enumerate(word)]
    joined_units = _hb_ink_width(font_file, word)
    letters_units = [_hb_ink_width(font_file, letter) for letter in word]
    scale = sum(letters_px) / sum(letters_units)  # pixels per font unit, from the isolated letters
    # Unshaped text would be as wide as its isolated letters side by side; shaped, it is much narrower,
    # and as wide as HarfBuzz's shaping of the same string with the same font says.
    assert joined_px < 0.8 * sum(letters_px)
    assert joined_px == pytest.approx(joined_units * scale, rel=0.06)


def _thinnest_at(frame: np.ndarray) -> str:
    """Which end of the text ("left", "right" or "inside") the thinnest inked column run (the "!") is at."""
    runs = _bands((frame > 128).any(axis=0), min_gap=1)
    widths = [b - a + 1 for a, b in runs]
    at = widths.index(min(widths))
    return "left" if at == 0 else "right" if at == len(runs) - 1 else "inside"


@pytest.mark.slow
def test_arabic_punctuation_lands_on_the_left(tmp_path: Path) -> None:
    market = get_market("ar")
    text = "سلام!"  # "!" is the thinnest stroke of the rendered text
    marked, rows = _deliver(market, text, tmp_path)
    assert [strip_marks(r) for r in rows] == [text]
    assert _thinnest_at(_render(marked, tmp_path / "marked.raw")) == "left"  # where Arabic readers expect it
    plain = write_subtitles([Cue(0, 2000, (text,))], tmp_path / "plain.ass", "ass",
                            layout=VerticalLayout.for_market(market), cover=None, episode_duration_ms=2000)
    # Without the mark libass (LTR base for Encoding 1 styles) puts it on the right: the mark is what fixes it.
    assert _thinnest_at(_render(plain, tmp_path / "plain.raw")) == "right"
