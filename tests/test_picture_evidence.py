"""The dialogue band chosen by evidence, jittery reads merged, and the picture set aside when speech contradicts it.

Fast: OCR reads are given as TextLine values (what the engine returns), speech as word-timed segments.
The real-OCR checks of the same rules are in test_picture.py and test_source_real.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from localize.asr.fuse import check_picture, fuse
from localize.asr.source import PictureText, combine
from localize.config import load_config
from localize.errors import InputFormatError
from localize.picture.band import BandSpec, choose_band, han_share
from localize.picture.cues import CueOptions, _read, _Run, runs_to_cues
from localize.picture.ocr import TextLine
from localize.picture.vote import vote
from localize.qa import source_findings
from localize.types import Box, OcrCue, Segment, Severity, TextBand, Transcript, Word

WIDTH, HEIGHT = 1080, 1920
LINES = ["林晓你回来了", "", "协议我已经签好了", "好我跟你回去", "", "三年了", "你还记得我吗", "快走"]
TIMES = [1000 + 2000 * i for i in range(len(LINES))]
# The voice is heard exactly while a line is shown (dialogue in step with speech).
SPEECH = tuple((t - 500, t + 500) for t, text in zip(TIMES, LINES, strict=True) if text)


def at(y: int, text: str, x: int | None = None, height: int = 56) -> TextLine:
    width = 50 * len(text)
    x0 = (WIDTH - width) // 2 if x is None else x
    return TextLine(Box(x0, y, x0 + width, y + height), text, 0.98)


def timecode(index: int) -> str:
    return f"00:00:{index * 2:02d}:{index * 3 % 25:02d}"


def dialogue(y: int = 1480) -> list[list[TextLine]]:
    return [[at(y, text)] if text else [] for text in LINES]


def reasons(band: TextBand) -> dict[str, str]:
    return {item.text: item.reason for item in band.ignored}


def test_a_running_timecode_is_not_the_dialogue_and_is_listed_as_ignored() -> None:
    frames = [[*lines, at(90, timecode(i), x=760, height=44)] for i, lines in enumerate(dialogue())]
    band = choose_band(frames, WIDTH, HEIGHT, times=TIMES, speech=SPEECH)
    assert band is not None and band.box.y0 <= 1480 and band.box.y1 >= 1536 and band.box.y0 > 200
    ignored = reasons(band)
    assert any("not Chinese" in reason for reason in ignored.values()), ignored
    assert "6 different Chinese lines" in band.reason and "with the voice in 100%" in band.reason


def test_only_a_timecode_and_no_subtitles_gives_no_band() -> None:
    frames = [[at(90, timecode(i), x=760, height=44)] for i in range(len(LINES))]
    assert choose_band(frames, WIDTH, HEIGHT, times=TIMES, speech=SPEECH) is None


def test_a_ticker_running_off_the_frame_is_not_the_dialogue() -> None:
    news = "本台消息明日全市有小到中雨请市民出行注意安全交通部门提醒"
    frames = [[*lines, TextLine(Box(0 if i % 2 else 300, 1780, WIDTH, 1826), news[i:i + 18], 0.97)]
              for i, lines in enumerate(dialogue())]
    band = choose_band(frames, WIDTH, HEIGHT, times=TIMES, speech=SPEECH)
    assert band is not None and band.box.y0 <= 1480 <= band.box.y1 < 1780
    assert any("ticker" in reason for reason in reasons(band).values())


def test_a_sign_shown_for_one_scene_is_not_the_dialogue() -> None:
    frames = [lines + ([at(400, "福满楼茶餐厅", height=90)] if i < 4 else []) for i, lines in enumerate(dialogue())]
    band = choose_band(frames, WIDTH, HEIGHT, times=TIMES, speech=SPEECH)
    assert band is not None and band.box.y0 > 600
    assert reasons(band)["福满楼茶餐厅"].startswith("shows one text only")


def test_of_two_changing_chinese_bands_the_one_in_step_with_the_voice_wins() -> None:
    # High in the frame: the real dialogue, shown while the voice is heard. Low: captions shown in the silences.
    captions = ["", "第一章", "", "", "回忆", "", "", ""]
    frames = [[at(1150, text)] * bool(text) + [at(1600, cap)] * bool(cap)
              for text, cap in zip(LINES, captions, strict=True)]
    band = choose_band(frames, WIDTH, HEIGHT, times=TIMES, speech=SPEECH)
    assert band is not None and band.box.y0 <= 1150 < band.box.y1 <= 1600
    assert reasons(band)["第一章"].startswith("less like dialogue than the band taken")


def test_a_band_a_person_names_is_taken_as_given() -> None:
    frames = [[*lines, at(90, timecode(i), x=760, height=44)] for i, lines in enumerate(dialogue())]
    band = choose_band(frames, WIDTH, HEIGHT, named=BandSpec.parse("0.70-0.85"))
    assert band is not None and (band.box.y0, band.box.y1) == (1344, 1632)
    assert band.reason == "set by hand (0.7-0.85)"
    pixels = choose_band(frames, 720, 1280, named=BandSpec.parse("900-1100"))
    assert pixels is not None and (pixels.box.y0, pixels.box.y1) == (900, 1100)


@pytest.mark.parametrize("text", ["", "x", "0.9-0.7", "0.5-1200", "1-2-3", "a-b"])
def test_a_malformed_band_says_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="TOP-BOTTOM"):
        BandSpec.parse(text)


def test_a_malformed_band_in_localize_toml_names_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "localize.toml"
    config.write_text('[picture]\nband = "bottom third"\n', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"picture\.band") as caught:
        load_config(config)
    assert str(config) in str(caught.value)
    config.write_text('[picture]\nband = "0.7-0.86"\n', encoding="utf-8")
    assert load_config(config).picture.band == "0.7-0.86"


def test_chinese_share_of_a_read() -> None:
    assert han_share("00:00:03:12") == 0.0 and han_share("林晓你回来了") == 1.0
    assert han_share("OK我们走") == pytest.approx(3 / 5)


def run(start: int, end: int, text: str, x: int = 300, confidence: float = 0.95) -> _Run:
    return _Run(start, end, text, confidence, Box(x, 1480, x + 50 * len(text), 1536), True)


def test_jittery_reads_of_one_line_give_one_cue_with_the_best_supported_text() -> None:
    # One line on screen for frames 0-99; the busy background made the mask change twice,
    # so it was read three times, twice one way and once with two characters wrong.
    runs = [run(0, 40, "你自己小心的"), run(43, 60, "你自包小心哟"), run(62, 100, "你自己小心的"),
            run(110, 160, "我们明天见", x=330)]
    cues = runs_to_cues(runs, 25.0, CueOptions())
    assert [c.text for c in cues] == ["你自己小心的", "我们明天见"]
    assert (cues[0].first_frame, cues[0].last_frame) == (0, 99)
    assert len(cues[0].reads) == 3


def test_reads_far_apart_elsewhere_or_too_different_stay_separate_lines() -> None:
    # Two short lines in a row at the same place, two of four characters shared: two lines, not jitter.
    assert [c.text for c in runs_to_cues([run(0, 40, "知无不言"), run(41, 60, "言无不尽")], 25.0)] == [
        "知无不言", "言无不尽"]
    later = [run(0, 40, "你自己小心的"), run(80, 120, "你自包小心哟")]  # 1.6 s apart: said twice
    assert len(runs_to_cues(later, 25.0)) == 2
    elsewhere = [run(0, 40, "你自己小心的"), run(42, 80, "你自包小心哟", x=700)]
    assert len(runs_to_cues(elsewhere, 25.0)) == 2


def test_the_speech_settles_a_tie_between_reads() -> None:
    reads = (("你自己小心的", 20.0), ("你自包小心哟", 30.0))
    assert vote(reads) == "你自包小心哟"
    assert vote(reads, heard="你自己小心的") == "你自己小心的"
    assert vote((("我们走吧", 10.0), ("我门走吧", 10.0), ("我们走", 10.0))) == "我们走吧"


class FakeEngine:
    def __init__(self, lines: list[TextLine]) -> None:
        self.lines = lines

    def read(self, image: np.ndarray, scale: float = 1.0, min_confidence: float = 0.5) -> list[TextLine]:
        return self.lines


def test_a_read_that_is_not_chinese_is_dropped_from_the_line() -> None:
    band = TextBand(Box(0, 1400, WIDTH, 1640), WIDTH, HEIGHT)
    engine = FakeEngine([TextLine(Box(300, 20, 700, 76), "我跟你回去", 0.97),
                         TextLine(Box(300, 100, 800, 150), "I'll go back with you", 0.96)])
    text, _, box = _read(engine, np.zeros((240, WIDTH), np.uint8), band, CueOptions())  # type: ignore[arg-type]
    assert text == "我跟你回去" and box is not None and box.y1 == 1476


def heard(start: int, end: int, text: str) -> Segment:
    span = end - start
    words = tuple(Word(start + span * i // len(text), start + span * (i + 1) // len(text), ch, 0.9)
                  for i, ch in enumerate(text))
    return Segment(start, end, text, words=words, confidence=0.9)


SPOKEN = ["林晓你回来了", "协议我已经签好了", "好我跟你回去", "三年了", "你还记得我吗"]


def speech_only() -> Transcript:
    segments = tuple(heard(2000 * i, 2000 * i + 1500, text) for i, text in enumerate(SPOKEN))
    return Transcript("zh", segments, 12_000, model="base", speech=tuple((s.start_ms, s.end_ms) for s in segments))


def cues(texts: list[str]) -> list[OcrCue]:
    return [OcrCue(2000 * i, 2000 * i + 1500, text, Box(0, 1480, WIDTH, 1536), 0.97) for i, text in enumerate(texts)]


def test_a_picture_that_contradicts_the_speech_all_episode_is_set_aside_and_qa_says_so() -> None:
    wrong = cues(["本台消息明日", "全市有小到中雨", "请市民出行注意", "交通部门提醒", "注意路况"])
    assert not check_picture(speech_only(), wrong).trusted
    fused = fuse(speech_only(), wrong)
    assert [s.text for s in fused.segments] == SPOKEN and fused.model == "base"
    assert [note.code for note in fused.notes] == ["picture-set-aside"]
    assert "0 of 5 burned-in lines" in fused.notes[0].message
    finding = next(f for f in source_findings(fused) if f.code == "source-picture-set-aside")
    assert finding.severity is Severity.WARNING and "0%" in finding.message


def test_a_picture_that_agrees_with_the_speech_is_kept_even_with_a_few_misreads() -> None:
    mostly = cues(["林晓，你回来了", "协议我已经签好了", "好，我跟你回去", "天气不错", "你还记得我吗"])
    check = check_picture(speech_only(), mostly)
    assert check.trusted and (check.lines, check.agreeing) == (5, 4)
    fused = fuse(speech_only(), mostly)
    assert fused.segments[0].text == "林晓，你回来了" and not fused.notes


def test_a_band_set_aside_is_not_carried_so_nothing_covers_or_removes_text_there() -> None:
    band = TextBand(Box(0, 1760, WIDTH, 1840), WIDTH, HEIGHT, reason="8 different Chinese lines")
    wrong = cues(["本台消息明日", "全市有小到中雨", "请市民出行注意", "交通部门提醒", "注意路况"])
    fused = combine(speech_only(), PictureText(band=band, cues=tuple(wrong)), None)
    assert fused.band is None and [s.text for s in fused.segments] == SPOKEN
    assert "rows 1760-1840" in fused.notes[0].message
    kept = combine(speech_only(), PictureText(band=band, cues=tuple(cues(SPOKEN))), None)
    assert kept.band == band and not kept.notes
