"""Reading burned-in subtitles with the real bundled OCR models, on frames rendered here by ffmpeg + libass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from localize import media
from localize.asr.source import PictureOptions, read_picture
from localize.picture.band import choose_band, sample_frame_numbers
from localize.picture.cues import join_lines, subtitle_mask
from localize.picture.ocr import TextLine, load_engine, verify_models
from localize.sample import furniture
from localize.sample import video as sample_video
from localize.types import Box, MediaInfo, Segment

FPS = 25
# (start_ms, end_ms, text): the second line is on screen for 0.5 s only.
LINES = [(600, 2400, "林晓，你回来了"), (2400, 2900, "快走"), (3400, 5600, "协议我已经签好了"),
         (6200, 7600, "好，我跟你回去")]
DURATION_MS = 8000
WATERMARK = "短剧工厂出品"


def _ass(lines: list[tuple[int, int, str]], duration_ms: int, extra_events: tuple[str, ...] = ()) -> str:
    """The sample season's style: a title card, a static series tag, the lines; plus a static watermark."""
    segments = [Segment(start, end, text) for start, end, text in lines]
    script = sample_video.ass_script(segments, 1, "千金归来", duration_ms, extra_styles=furniture.extra_styles(),
                                     extra_events=extra_events)
    end = sample_video._ass_time(duration_ms)
    return script + f"Dialogue: 3,0:00:00.00,{end},Tag,,0,0,0,,{{\\pos(700,1760)}}{WATERMARK}\n"


def _render(folder: Path, background: str, lines: list[tuple[int, int, str]], duration_ms: int,
            extra_events: tuple[str, ...] = ()) -> Path:
    sample_video.check_font()
    ass = folder / "lines.ass"
    ass.write_text(_ass(lines, duration_ms, extra_events), encoding="utf-8")
    audio = folder / "silence.wav"
    media.run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", f"{duration_ms / 1000}", str(audio)])
    still = folder / "background.ppm"
    if background == "scene":
        sample_video.write_background(still, 2)
    else:  # a busy test pattern: colour bars and a fine checkerboard behind the line
        rows, cols = np.mgrid[0:sample_video.HEIGHT, 0:sample_video.WIDTH]
        pixels = np.zeros((sample_video.HEIGHT, sample_video.WIDTH, 3), np.uint8)
        pixels[..., 0] = (cols // 135 * 37) % 256
        pixels[..., 1] = np.where((rows // 24 + cols // 24) % 2 == 0, 230, 40)
        pixels[..., 2] = (rows // 60 * 53) % 256
        still.write_bytes(f"P6\n{sample_video.WIDTH} {sample_video.HEIGHT}\n255\n".encode() + pixels.tobytes())
    dst = folder / f"{background}.mp4"
    return media.render_still(still, audio, ass, dst, duration_ms=duration_ms, fps=FPS,
                              fonts_dir=sample_video.FONT_FILE.parent)


@pytest.fixture(scope="module")
def scene_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _render(tmp_path_factory.mktemp("ocr"), "scene", LINES, DURATION_MS)


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def test_bundled_ocr_models_match_their_pinned_hashes() -> None:
    assert sorted(p.name for p in verify_models().glob("*_infer.onnx")) >= ["ch_PP-OCRv4_det_infer.onnx",
                                                                           "ch_PP-OCRv4_rec_infer.onnx"]


@pytest.mark.slow
def test_band_is_found_and_static_title_and_watermark_are_ignored(scene_video: Path) -> None:
    picture = read_picture(media.probe(scene_video), PictureOptions())
    assert picture.band is not None
    band = picture.band.box
    # The sample style centres the line at y 1500: the band holds it, and not the tag (y 120) or watermark (y 1760).
    assert band.y0 <= 1470 and band.y1 >= 1530
    assert band.y1 < 1740 and band.y0 > 300
    static = {_letters(text) for _, text in picture.band.static}
    assert _letters(WATERMARK) in static
    assert any(text.startswith("千金归来") for text in static)
    read = [_letters(cue.text) for cue in picture.cues]
    assert read == [_letters(text) for _, _, text in LINES]  # neither title nor watermark is dialogue


@pytest.mark.slow
def test_each_line_is_read_with_its_frames_including_a_half_second_line(scene_video: Path) -> None:
    cues = read_picture(media.probe(scene_video)).cues
    assert len(cues) == len(LINES)
    for cue, (start, end, _) in zip(cues, LINES, strict=True):
        assert abs(cue.start_ms - start) <= 1000 / FPS + 1  # the first frame, give or take one
        assert abs(cue.end_ms - end) <= 1000 / FPS + 1
        assert cue.confidence > 0.8
    short = cues[1]
    assert short.last_frame - short.first_frame + 1 == pytest.approx(0.5 * FPS, abs=1)


@pytest.mark.slow
def test_line_over_a_busy_test_pattern_is_read(tmp_path: Path) -> None:
    lines = [(500, 2500, "董事长让我接你回家"), (3000, 5000, "你一个孤儿配不上我儿子")]
    video = _render(tmp_path, "pattern", lines, 5500)
    picture = read_picture(media.probe(video))
    assert [_letters(c.text) for c in picture.cues] == [_letters(text) for _, _, text in lines]


@pytest.mark.slow
def test_a_running_timecode_is_ignored_and_the_subtitle_band_read(tmp_path: Path) -> None:
    # A screener's timecode in its own row at the top (beside the series tag it is read as one line: see furniture).
    timecode = tuple(furniture.timecode_events(DURATION_MS, FPS, place="\\an8\\pos(540,260)"))
    video = _render(tmp_path, "scene", LINES, DURATION_MS, extra_events=timecode)
    picture = read_picture(media.probe(video))
    assert picture.band is not None and picture.band.box.y0 <= 1470 and picture.band.box.y1 >= 1530
    timecode_row = [item for item in picture.band.ignored if item.box.y0 <= 258 <= item.box.y1]
    assert [item.reason.split(" (")[0] for item in timecode_row] == ["not Chinese text"], picture.band.ignored
    assert [_letters(c.text) for c in picture.cues] == [_letters(text) for _, _, text in LINES]


@pytest.mark.slow
def test_only_a_timecode_on_screen_is_no_subtitle_band(tmp_path: Path) -> None:
    timecode = furniture.timecode_events(DURATION_MS, FPS, place="\\an8\\pos(540,260)")
    video = _render(tmp_path, "scene", [], DURATION_MS, extra_events=tuple(timecode))
    picture = read_picture(media.probe(video))
    assert picture.band is None and picture.cues == ()


@pytest.mark.slow
def test_clean_master_has_no_band(tiny_episode: Path) -> None:
    assert read_picture(media.probe(tiny_episode)) .band is None


def test_band_is_where_text_changes_not_where_it_stays() -> None:
    def line(y: int, text: str, x: int = 300) -> TextLine:
        return TextLine(Box(x, y, x + 40 * len(text), y + 50), text, 0.99)

    frames = [[line(100, "千金归来第1集", 50), line(1480, text), line(1760, WATERMARK, 700)]
              for text in ("你好", "我们走吧", "", "好的", "再见")]
    frames[2] = frames[2][:1] + frames[2][2:]  # a gap between lines: only static text on screen
    band = choose_band(frames, 1080, 1920)
    assert band is not None and band.box.y0 <= 1480 and band.box.y1 >= 1530 and band.box.y1 < 1760
    assert {text for _, text in band.static} == {"千金归来第1集", WATERMARK}
    only_static = [[line(100, "千金归来第1集", 50)] for _ in range(5)]
    assert choose_band(only_static, 1080, 1920) is None


def test_sampled_frames_stay_inside_the_episode() -> None:
    info = MediaInfo(Path("x.mp4"), duration_ms=60_000, width=1080, height=1920, fps=25.0, audio_streams=1)
    frames = sample_frame_numbers(info, 10)
    assert len(frames) == 10 and frames == sorted(frames)
    assert frames[0] >= 12 and frames[-1] <= 1500 - 12


def test_rows_are_joined_top_to_bottom_and_pauses_become_commas() -> None:
    lines = [TextLine(Box(560, 1500, 800, 1550), "您再等五分钟", 0.9),
             TextLine(Box(250, 1500, 500, 1550), "马上就好", 0.9), TextLine(Box(300, 1420, 700, 1470), "妈", 0.9)]
    assert join_lines(lines) == "妈马上就好，您再等五分钟"
    assert join_lines([TextLine(Box(0, 0, 400, 50), "大小姐　外面下雨了", 0.9)]) == "大小姐，外面下雨了"


def test_subtitle_mask_sees_outlined_text_not_flat_areas() -> None:
    grey = np.full((100, 400), 128, np.uint8)
    assert not subtitle_mask(grey).any()
    grey[40:60, 50:350] = 0
    grey[45:55, 60:340] = 255  # white strokes inside a black outline
    assert subtitle_mask(grey).sum() > 100
    grey2 = np.full((100, 400), 255, np.uint8)  # a white wall is not text
    assert not subtitle_mask(grey2).any()


def test_engine_is_loaded_once_per_process() -> None:
    assert load_engine() is load_engine()
