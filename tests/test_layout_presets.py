"""Platform presets (localize.subtitle.platforms): one safe rectangle per player on 1080x1920, fitted to
other frame sizes; the layout places cues in it, the QA lint checks against it, the config chooses it.
Rendered checks draw the pipeline's ASS with libass on small frames and look at the ink."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from localize.config import load_config
from localize.errors import InputFormatError
from localize.markets import get_market
from localize.qa_lint import LintOptions, lint_file
from localize.subtitle import write_subtitles
from localize.subtitle.deliver import deliver_subtitles
from localize.subtitle.errors import InvalidSettingError
from localize.subtitle.layout import VerticalLayout, font_size_for
from localize.subtitle.placement import safe_area
from localize.subtitle.platforms import DEFAULT_PLATFORM, canvas_size, get_platform, platform_names
from localize.types import Cue, Line

FRAMES = ((1080, 1920), (720, 1280), (1080, 1350))
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
TWO_LINES = "I told you, Lin Xiao, never come back to this house again tonight."


def test_the_presets() -> None:
    assert platform_names() == ("micro-drama", "tiktok", "reels", "shorts")
    assert DEFAULT_PLATFORM == "micro-drama"
    default = VerticalLayout()  # the layout's own defaults are the default preset's
    assert (default.safe_left, default.safe_top, default.safe_right, default.safe_bottom) == (120, 288, 888, 1248)
    with pytest.raises(InvalidSettingError, match="micro-drama, tiktok, reels, shorts"):
        get_platform("snapchat")


@pytest.mark.parametrize("name", platform_names())
def test_frames_fit_the_screen_as_the_players_show_them(name: str) -> None:
    preset = get_platform(name)
    assert canvas_size(720, 1280) == canvas_size(2160, 3840) == (1080, 1920)
    assert preset.safe_area(720, 1280) == preset.safe_area(1080, 1920) == preset.screen_safe  # 9:16: exact
    # 4:5 sits between 285 px bars: the preset keeps its sides, rows move up by 285 and stop at the picture.
    s, four_five = preset.screen_safe, preset.safe_area(1080, 1350)
    assert canvas_size(1080, 1350) == (1080, 1350)
    assert (four_five.left, four_five.right) == (s.left, s.right)
    assert four_five.top == max(0, s.top - 285) and four_five.bottom == min(1350, s.bottom - 285)
    # 16:9 (1080x608 canvas, 656 px bars) and 1:1 (420 px bars): inside the picture, never empty.
    for frame in ((1920, 1080), (1080, 1080)):
        w, h = canvas_size(*frame)
        area = preset.safe_area(*frame)
        assert 0 <= area.left < area.right <= w and 0 <= area.top < area.bottom <= h
        assert area.height >= 2 * 1.2 * 56  # room for two lines at the layout's size
    # Taller than 9:16: scaled to the screen's height, bars at the sides.
    assert canvas_size(1080, 2400) == (864, 1920)
    assert preset.safe_area(1080, 2400).left == max(0, s.left - 108)


def test_layout_and_lint_agree_on_the_safe_area() -> None:
    market = get_market("en-US")
    for name in platform_names():
        for frame in (*FRAMES, (1920, 1080)):
            layout = VerticalLayout.for_market(market, name, frame)
            box = safe_area((layout.play_res_x, layout.play_res_y), name)
            assert (box.x0, box.y0, box.x1, box.y1) == (layout.safe_left, layout.safe_top, layout.safe_right,
                                                        layout.safe_bottom)
    # A script at a quarter of the size has the same area, a quarter of the size.
    assert safe_area((270, 480), "tiktok").y1 == pytest.approx(1248 / 4)


def test_arabic_is_set_larger_than_latin() -> None:
    assert font_size_for("Noto Sans Arabic") > font_size_for("Noto Sans") == 56
    assert VerticalLayout.for_market(get_market("ar")).font_size == font_size_for("Noto Sans Arabic")


def _ink(ass: Path, size: tuple[int, int], out: Path) -> np.ndarray:
    """The first frame of `ass` drawn by libass (through media.py's ffmpeg) over black at `size`."""
    from localize.media import run_ffmpeg

    w, h = size
    run_ffmpeg(["-f", "lavfi", "-i", f"color=black:s={w}x{h}:d=1", "-vf", f"ass=filename={ass}",
                "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", str(out)])
    return np.fromfile(out, dtype=np.uint8).reshape(h, w) > 128


@pytest.mark.slow
@needs_ffmpeg
@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: f"{f[0]}x{f[1]}")
@pytest.mark.parametrize("name", platform_names())
def test_a_two_line_cue_renders_inside_the_preset(name: str, frame: tuple[int, int], tmp_path: Path) -> None:
    market = get_market("en-US")
    lines = [Line(index=0, start_ms=0, end_ms=6000, source="源", target=TWO_LINES)]
    delivery = deliver_subtitles(lines, market, fps=25.0, duration_ms=6000, out_dir=tmp_path, stem="ep",
                                 cover=None, formats=("ass",), platform=name, frame=frame)
    assert len(delivery.cues[0].lines) == 2
    small = (frame[0] // 8 * 2, frame[1] // 8 * 2)  # a quarter (even sizes): a fraction of a second to render
    ink = _ink(delivery.files[0], small, tmp_path / "frame.raw")
    ys, xs = np.nonzero(ink)
    assert len(ys) > 100, "no text drawn"
    layout = VerticalLayout.for_market(market, name, frame)
    sx, sy = small[0] / layout.play_res_x, small[1] / layout.play_res_y
    left, right = layout.safe_left * sx, layout.safe_right * sx
    top, bottom = layout.safe_top * sy, layout.safe_bottom * sy
    assert left - 1 <= xs.min() and xs.max() <= right + 1, (xs.min(), xs.max(), left, right)
    assert top - 1 <= ys.min() and ys.max() <= bottom + 1, (ys.min(), ys.max(), top, bottom)
    assert ys.max() >= bottom - layout.font_size * sy  # bottom-aligned in this preset's area, not anywhere inside
    # The delivered file passes the lint of the same preset.
    result = lint_file(delivery.files[0], LintOptions(market=market, platform=name))
    assert not [f for f in result.report.findings if f.code == "outside-safe-area"]


def test_the_lint_flags_a_cue_outside_the_chosen_preset(tmp_path: Path) -> None:
    market = get_market("en-US")
    low = write_subtitles([Cue(0, 2000, ("Hello",))], tmp_path / "low.ass", "ass",
                          layout=VerticalLayout.for_market(market, "shorts"), cover=None, episode_duration_ms=2000)
    # Bottom at y 1440: inside Shorts' area, under TikTok's caption and Reels' profile rows.
    assert not _flags(low, "shorts")
    for name in ("micro-drama", "tiktok", "reels"):
        (message,) = _flags(low, name)
        assert "past the bottom" in message and name in message
    wide = write_subtitles([Cue(0, 2000, ("Hello",))], tmp_path / "wide.ass", "ass",
                           layout=VerticalLayout.for_market(market, "reels"), cover=None, episode_duration_ms=2000)
    line = "x" * 60  # wider than micro-drama's 768 px but within Reels' 950 px: libass would not wrap it
    wide.write_text(wide.read_text(encoding="utf-8").replace("Hello", line), encoding="utf-8")
    assert not _flags(wide, "reels")
    assert "past the left" in _flags(wide, "micro-drama")[0]


def _flags(ass: Path, platform: str) -> list[str]:
    result = lint_file(ass, LintOptions(market=get_market("en-US"), platform=platform))
    return [f.message for f in result.report.findings if f.code == "outside-safe-area"]


def test_the_config_chooses_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "localize.toml"
    path.write_text('[layout]\nplatform = "tiktok"\n', encoding="utf-8")
    assert load_config(path).platform == "tiktok"
    assert load_config(None).platform == DEFAULT_PLATFORM
    for text, key in (('[layout]\nplatform = "snapchat"\n', "layout.platform = 'snapchat'"),
                      ("[layout]\nplatform = 3\n", "layout.platform = 3"),
                      ('[layout]\nsafe = "wide"\n', "unknown key layout.'safe'"),
                      ('layout = "tiktok"\n', "layout must be a table")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputFormatError) as caught:
            load_config(path)
        assert str(path) in str(caught.value) and key in str(caught.value)


def test_run_platform_overrides_the_config(tmp_path: Path) -> None:
    from flows.launch import RunRequest, prepare

    season = tmp_path / "season"
    season.mkdir()
    (season / "localize.toml").write_text('[layout]\nplatform = "reels"\n', encoding="utf-8")
    with pytest.raises(InvalidSettingError, match="tiktok"):
        prepare(RunRequest(season=season, markets="en-US", out=tmp_path / "out", platform="vine"))


@pytest.mark.slow
@needs_ffmpeg
def test_arabic_letters_render_about_as_tall_as_latin(tmp_path: Path) -> None:
    """Alef against cap H, and a line against a line, at the preview size (540x960)."""

    def height(code: str, text: str) -> int:
        market = get_market(code)
        ass = write_subtitles([Cue(0, 2000, (text,))], tmp_path / f"{code}.ass", "ass",
                              layout=VerticalLayout.for_market(market), cover=None, episode_duration_ms=2000)
        rows = np.flatnonzero(_ink(ass, (540, 960), tmp_path / f"{code}.raw").any(axis=1))
        return int(rows.max() - rows.min() + 1)

    assert height("ar", "ااا") == pytest.approx(height("en-US", "HHH"), rel=0.15)
    assert height("ar", "لقد قلت لك يا لين شياو") == pytest.approx(height("en-US", "I told you, never go"), rel=0.15)
