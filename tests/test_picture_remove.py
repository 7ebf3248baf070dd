"""Removing the burned-in line: inpaint, blur, box, avoid, checked by reading the band again with the real OCR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from localize import media
from localize.asr.source import PictureOptions, PictureText
from localize.config import load_config
from localize.errors import InputFormatError, MediaError, UnknownNameError
from localize.paths import EpisodePaths
from localize.picture import cv
from localize.picture.cues import subtitle_mask
from localize.picture.ocr import load_engine
from localize.picture.remove import (
    RemovalOptions,
    clean_frame,
    clean_i420,
    clean_picture,
    remove_lines,
    residual,
    shown_boxes,
)
from localize.pipeline import RunSettings, band_rows, clean_episode_picture, cover_for, picture_facts
from localize.sample import video as sample_video
from localize.store import ResultStore
from localize.subtitle import CoverBox, VerticalLayout, write_subtitles
from localize.types import Box, MediaInfo, OcrCue, Segment, TextBand, Transcript

FPS = 25
DURATION_MS = 3200
# (start_ms, end_ms, text): frames 0-9, 40-49 and 75-79 show no line.
LINES = [(400, 1600, "协议我已经签好了"), (2000, 3000, "林晓你回来了")]
BAND = Box(0, 1400, 1080, 1600)


def _render(folder: Path) -> Path:
    """A 3.2 s clip in the sample season's style: the painted scene with two lines burned in at y 1500."""
    sample_video.check_font()
    script = sample_video.ass_script([Segment(s, e, t) for s, e, t in LINES], 1, "千金归来", DURATION_MS)
    ass = folder / "lines.ass"
    ass.write_text(script, encoding="utf-8")
    audio = folder / "silence.wav"
    media.run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", f"{DURATION_MS / 1000}", str(audio)])
    still = sample_video.write_background(folder / "scene.ppm", 2)
    return media.render_still(still, audio, ass, folder / "clip.mp4", duration_ms=DURATION_MS, fps=FPS,
                              fonts_dir=sample_video.FONT_FILE.parent)


def _cues(video: Path) -> tuple[OcrCue, ...]:
    """The cues as read_cues finds them: text, frames, and the box of the strokes (from the stroke mask,
    so the test spends its OCR time on the check)."""
    cues = []
    for start, end, text in LINES:
        first, last = start * FPS // 1000, end * FPS // 1000 - 1
        _, grey = next(media.video_frames(video, 1080, 1920, gray=True, frame_numbers=[(first + last) // 2],
                                          crop=(BAND.x0, BAND.y0, BAND.x1, BAND.y1)))
        ys, xs = np.nonzero(subtitle_mask(grey, step=1))
        box = Box(int(xs.min()), BAND.y0 + int(ys.min()), int(xs.max()) + 1, BAND.y0 + int(ys.max()) + 1)
        cues.append(OcrCue(start, end, text, box, 0.99, first_frame=first, last_frame=last))
    return tuple(cues)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[MediaInfo, TextBand, tuple[OcrCue, ...], Path]:
    folder = tmp_path_factory.mktemp("remove")
    video = _render(folder)
    return media.probe(video), TextBand(BAND, 1080, 1920), _cues(video), folder


def _frames(video: Path, numbers: list[int]) -> dict[int, np.ndarray]:
    info = media.probe(video)
    assert info.width and info.height
    size = media.preview_size(info.width, info.height)
    return {n: f.astype(np.int16) for n, f in media.video_frames(video, info.width, info.height, size=size,
                                                                  frame_numbers=numbers)}


@pytest.mark.slow
def test_inpaint_leaves_almost_nothing_readable_and_touches_only_the_lines(clip) -> None:  # type: ignore[no-untyped-def]
    info, band, cues, folder = clip
    engine = load_engine()
    before = residual(info.path, cues, band, engine)
    assert before.characters == 14 and before.share >= 0.8  # the check can read the original at preview size
    # Through the pipeline's stage: once per episode, into OUT/.work/<episode>/, reused when unchanged.
    store, settings = ResultStore(folder / "results"), RunSettings(out_dir=folder / "out")
    paths = EpisodePaths(settings.out_dir, info.path.stem)
    done = clean_episode_picture(store, info, PictureText(band, cues), settings, paths)
    assert done.path == paths.clean_picture and done.residual_share is not None
    assert done.residual_share <= 0.05
    assert picture_facts(done) == {"picture_removal": "inpaint", "residual_chinese_share": done.residual_share}
    assert clean_episode_picture(store, info, PictureText(band, cues), settings, paths) == done
    assert store.ran["clean-picture"] == 1 and store.reused["clean-picture"] == 1
    cleaned = media.probe(done.path)
    assert (cleaned.width, cleaned.height) == (540, 960) and cleaned.audio_streams == 0
    original, after = _frames(info.path, [5, 25, 78]), _frames(done.path, [5, 25, 78])
    # Outside the band, and in frames without a line, only the codec's rounding differs.
    assert np.abs(original[25] - after[25])[:690].mean() < 2.0
    assert np.abs(original[25] - after[25])[810:].mean() < 2.0
    for quiet in (5, 78):
        assert np.abs(original[quiet] - after[quiet]).mean() < 2.0
    assert np.abs(original[25] - after[25])[700:800].mean() > 4.0  # the line itself did change


@pytest.mark.slow
def test_blur_and_box_hide_the_line_and_avoid_keeps_it_readable_above_the_new_text(clip) -> None:  # type: ignore[no-untyped-def]
    info, band, cues, folder = clip
    engine = load_engine()
    blurred = clean_picture(info, band, cues, folder / "blur.mp4", RemovalOptions(mode="blur"), engine)
    assert blurred.residual_share is not None and blurred.residual_share <= 0.05
    # box: the picture is left alone and the ASS draws the box; read the rendered preview.
    cover = cover_for(_transcript(band), CoverBox(), _picture_on(), cover_auto=True, removal="box")
    assert cover is not None
    ass = write_subtitles([], folder / "box.ass", "ass", cover=cover, episode_duration_ms=DURATION_MS)
    preview = media.render_preview(info.path, info.path, ass, folder / "box.mp4")
    assert residual(preview, cues, band, engine).share <= 0.05
    # avoid: nothing is removed, so OCR still reads the line; the new text moves above the band.
    assert clean_picture(info, band, cues, folder / "avoid.mp4", RemovalOptions(mode="avoid")).path is None
    assert residual(info.path, cues, band, engine).share >= 0.8
    for removal in ("inpaint", "blur", "avoid"):
        assert cover_for(_transcript(band), CoverBox(), _picture_on(), cover_auto=True, removal=removal) is None


def _transcript(band: TextBand) -> Transcript:
    return Transcript(language="zh", segments=(), duration_ms=DURATION_MS, band=band)


def _picture_on() -> PictureOptions:
    return PictureOptions()


def test_avoid_places_the_new_text_above_a_band_in_the_safe_area() -> None:
    layout = VerticalLayout()
    # The sample's band (lower third, below the safe area) needs no move.
    assert layout.clear_of(1406, 1598) == layout
    moved = layout.clear_of(1100, 1300)
    assert moved.safe_bottom == 1076 and moved.margins().vertical == 1920 - 1076
    assert moved.safe_bottom - moved.text_height(2) >= moved.safe_top  # two lines still in the safe area
    # A band high in the safe area leaves the bottom-aligned text where it was.
    assert layout.clear_of(400, 600) == layout
    # A band near the safe top: the text keeps one line's room inside the safe area.
    assert layout.clear_of(300, 1200).safe_bottom == layout.safe_top + round(layout.text_height(1))
    assert band_rows(_transcript(TextBand(Box(0, 703, 540, 799), 540, 960))) == (1406, 1598)


def _frame_with_line() -> tuple[np.ndarray, Box]:
    """A 540x960 frame: a smooth gradient, and white strokes outlined in black (a line of 'text')."""
    rows, cols = np.mgrid[0:960, 0:540]
    frame = np.stack([rows * 0.1 + 40, cols * 0.1 + 60, np.full_like(rows, 90.0)], axis=2).astype(np.uint8)
    for x in range(150, 390, 30):
        frame[730:770, x - 4:x + 9] = 0  # outline
        frame[732:768, x - 1:x + 6] = 255  # stroke
    return frame, Box(290, 1456, 790, 1544)  # the line's box in the original 1080x1920 frame


def test_clean_frame_fills_the_strokes_and_nothing_else() -> None:
    frame, box = _frame_with_line()
    for mode in ("inpaint", "blur"):
        out = clean_frame(frame, [box], RemovalOptions(mode=mode), scale=0.5)
        assert np.array_equal(out[:700], frame[:700]) and np.array_equal(out[800:], frame[800:])
        assert not (out[720:780] >= 190).all(axis=2).any()  # no white stroke left
    assert not (clean_frame(frame, [box], RemovalOptions(mode="inpaint"), 0.5)[720:780] <= 20).all(axis=2).any()
    assert clean_frame(frame, [], RemovalOptions(), 0.5) is frame  # frames without a line: untouched
    assert clean_frame(frame, [box], RemovalOptions(mode="box"), 0.5) is frame
    assert clean_frame(frame, [box], RemovalOptions(mode="avoid"), 0.5) is frame


def test_an_i420_frame_is_cleaned_as_its_rgb_picture_and_only_around_the_line() -> None:
    """The removal works on the decoder's planes: the rows of the line go to RGB and back, cleaned as
    clean_frame cleans the RGB picture; every other row of every plane is left exactly as it was."""
    rgb, box = _frame_with_line()
    frame = cv.rgb_to_i420(rgb)
    for mode in ("inpaint", "blur"):
        options = RemovalOptions(mode=mode)
        out = clean_i420(frame, [box], options, scale=0.5)
        assert out.shape == frame.shape and not np.array_equal(out, frame)
        assert np.array_equal(out[:700], frame[:700]) and np.array_equal(out[800:960], frame[800:960])
        expected = cv.i420_to_rgb(cv.rgb_to_i420(clean_frame(cv.i420_to_rgb(frame), [box], options, 0.5)))
        assert np.abs(cv.i420_to_rgb(out).astype(int) - expected).max() <= 3  # colour rounding only
        assert not (cv.i420_to_rgb(out)[720:780] >= 190).all(axis=2).any()  # no white stroke left
    assert clean_i420(frame, [], RemovalOptions(), 0.5) is frame
    assert clean_i420(frame, [box], RemovalOptions(mode="box"), 0.5) is frame


def test_lines_are_removed_only_in_the_frames_they_are_shown() -> None:
    cue = OcrCue(0, 400, "快走", Box(300, 1460, 700, 1540), 0.9, first_frame=3, last_frame=5)
    assert sorted(shown_boxes([cue])) == [3, 4, 5]


def test_removal_settings_are_checked() -> None:
    with pytest.raises(UnknownNameError, match="blurr"):
        RemovalOptions(mode="blurr")
    with pytest.raises(UnknownNameError, match="fast"):
        RemovalOptions(method="fast")


def test_config_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "localize.toml"
    path.write_text('[picture]\nremoval = "erase"\n', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"localize\.toml.*picture\.removal = 'erase'.*inpaint, blur"):
        load_config(path)
    path.write_text("[picture]\nremoval = 1\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"localize\.toml.*picture\.removal"):
        load_config(path)
    path.write_text('[picture]\nremoval = "avoid"\nenabled = true\n', encoding="utf-8")
    config = load_config(path)
    assert config.removal.mode == "avoid" and config.picture.enabled
    assert load_config(None).removal.mode == "inpaint"


def test_remove_lines_refuses_a_file_without_picture(tmp_path: Path) -> None:
    info = MediaInfo(path=tmp_path / "a.wav", duration_ms=1000, width=None, height=None, fps=None,
                     audio_streams=1, video_codec=None, audio_codec="pcm_s16le")
    with pytest.raises(ValueError, match="no picture"):
        remove_lines(info, [], tmp_path / "out.mp4", RemovalOptions())
    odd = MediaInfo(path=tmp_path / "odd.mp4", duration_ms=1000, width=540, height=959, fps=25.0,
                    audio_streams=1, video_codec="h264", audio_codec="aac")
    with pytest.raises(MediaError, match=r"odd\.mp4.*540x959.*even width and height"):
        remove_lines(odd, [], tmp_path / "out.mp4", RemovalOptions())
    assert not (tmp_path / "out.mp4").exists()


def test_the_cleaning_takes_its_frames_from_the_reading_s_decode(clip, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Each frame decoded once: the pass over the band keeps the frames at preview size (a spill), the
    removal reads them instead of decoding the episode again, and its picture is the one a second decode
    gives (up to colour rounding). A spill of another size, or an unfinished one, is not taken."""
    info, band, cues, folder = clip
    spill = media.Spill(folder / "frames.i420", 540, 960)
    box = band.box
    greys = dict(media.video_frames(info.path, 1080, 1920, crop=(box.x0, box.y0, box.x1, box.y1), gray=True,
                                    spill=spill))
    assert spill.path.is_file() and not spill.partial.exists()
    assert spill.path.stat().st_size == len(greys) * 540 * 960 * 3 // 2 and len(greys) == 80
    plain = folder / "decoded-again.mp4"
    remove_lines(info, cues, plain, RemovalOptions(mode="blur"))
    decodes = []
    real = media.video_frames
    monkeypatch.setattr(media, "video_frames", lambda *a, **k: decodes.append(a[0]) or real(*a, **k))
    kept = folder / "from-spill.mp4"
    written = remove_lines(info, cues, kept, RemovalOptions(mode="blur"), spill, keep=[25])
    assert decodes == []  # the episode was not decoded again
    assert set(written) == {25} and written[25].shape == (960, 540, 3)
    a, b = _frames(plain, [5, 25]), _frames(kept, [5, 25])
    for number in (5, 25):
        assert np.abs(a[number] - b[number]).mean() < 2.5
    monkeypatch.setattr(media, "video_frames", real)
    assert media.Spill(spill.path, 270, 480).frames(info.path) is None  # another size
    assert spill.frames(folder / "decoded-again.mp4") is None  # another video
    with spill.path.open("ab") as handle:
        handle.write(b"\0")
    assert spill.frames(info.path) is None  # not what the decode wrote
    spill.remove()
    assert not spill.path.exists()
    # A pass stopped early leaves no spill behind.
    frames = media.video_frames(info.path, 1080, 1920, gray=True, spill=spill)
    next(frames)
    frames.close()
    assert not spill.path.exists() and not spill.partial.exists()
