"""Fusing the burned-in lines (OCR), the speech (ASR words, VAD spans) and the script, on hand-made values."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localize.asr.fuse import FuseOptions, fuse, fuse_ocr, fuse_script, nearest_onset, similarity
from localize.asr.script import Script, ScriptLine
from localize.qa import source_findings
from localize.transcript_io import transcript_dict
from localize.types import Box, IgnoredText, OcrCue, Segment, Severity, Span, TextBand, TextOrigin, Transcript, Word

BAND = Box(0, 1420, 1080, 1580)
OPTIONS = FuseOptions()


def cue(start: int, end: int, text: str, confidence: float = 0.98) -> OcrCue:
    return OcrCue(start, end, text, BAND, confidence, first_frame=start * 25 // 1000, last_frame=end * 25 // 1000 - 1)


def heard(start: int, end: int, text: str, probability: float = 0.95) -> Segment:
    """An ASR segment whose characters are words spread evenly over [start, end)."""
    chars = [c for c in text if c.isalnum()]
    span = end - start
    words = tuple(Word(start + span * i // len(chars), start + span * (i + 1) // len(chars), c, probability)
                  for i, c in enumerate(chars))
    return Segment(start, end, text, words=words, confidence=probability)


def asr(*segments: Segment, speech: tuple[Span, ...] = (), duration_ms: int = 10_000) -> Transcript:
    return Transcript(language="zh", segments=segments, duration_ms=duration_ms, source="ep01.mp4",
                      model="base", speech=speech)


def codes(segment: Segment) -> list[str]:
    return [flag.code for flag in segment.flags]


def assert_in_order_without_overlap(segments: tuple[Segment, ...]) -> None:
    for seg in segments:
        assert seg.end_ms > seg.start_ms, seg
    for before, after in pairwise(segments):
        assert before.start_ms <= after.start_ms, (before, after)
        assert before.end_ms <= after.start_ms, (before, after)


# --- burned-in lines and speech ------------------------------------------------------------------

def test_agreeing_picture_and_speech_give_the_pictures_text_and_frames() -> None:
    cues = [cue(1000, 2400, "林晓，你回来了"), cue(3000, 4600, "协议我已经签好了")]
    speech = asr(heard(1120, 2300, "林晓你回来了"), heard(3090, 4500, "协议我已经签好了"),
                 speech=((1080, 2330), (3050, 4520)))
    segments = fuse_ocr(speech, cues)
    assert [s.text for s in segments] == ["林晓，你回来了", "协议我已经签好了"]
    assert [(s.start_ms, s.end_ms) for s in segments] == [(1000, 2400), (3000, 4600)]  # the frames, not the voice
    assert all(s.origin is TextOrigin.OCR and not s.flags for s in segments)
    assert segments[0].confidence == 0.98
    assert "".join(w.text for w in segments[0].words) == "林晓你回来了"  # the speech under the line is kept


def test_confident_sources_that_disagree_are_flagged() -> None:
    cues = [cue(1000, 2400, "协议我已经签好了", confidence=0.95)]
    segment, = fuse_ocr(asr(heard(1100, 2300, "今天天气很好", 0.9), speech=((1100, 2300),)), cues)
    assert similarity("协议我已经签好了", "今天天气很好") < OPTIONS.disagree_below
    assert codes(segment) == ["ocr-asr-disagree"]
    assert segment.text == "协议我已经签好了"  # the picture still wins
    assert "今天天气很好" in segment.flags[0].message


@pytest.mark.parametrize(("ocr_confidence", "asr_probability"), [(0.95, 0.4), (0.8, 0.9)])
def test_disagreement_is_not_flagged_when_either_source_is_unsure(ocr_confidence: float,
                                                                   asr_probability: float) -> None:
    cues = [cue(1000, 2400, "协议我已经签好了", confidence=ocr_confidence)]
    segment, = fuse_ocr(asr(heard(1100, 2300, "今天天气很好", asr_probability), speech=((1100, 2300),)), cues)
    assert segment.flags == ()


def test_homophones_are_not_a_disagreement() -> None:
    assert similarity("林晓，你回来了", "林小你回来了") == 1.0
    segment, = fuse_ocr(asr(heard(1100, 2300, "林小你回来了", 0.99), speech=((1100, 2300),)),
                        [cue(1000, 2400, "林晓，你回来了", 0.99)])
    assert segment.flags == () and segment.text == "林晓，你回来了"


def test_burned_in_line_without_speech_under_it_is_flagged() -> None:
    cues = [cue(1000, 2400, "林晓，你回来了"), cue(5000, 6000, "三年后")]  # a caption over silence
    segments = fuse_ocr(asr(heard(1100, 2300, "林晓你回来了"), speech=((1100, 2300), (8000, 9000))), cues)
    assert [codes(s) for s in segments] == [[], ["subtitle-without-speech"]]
    assert segments[1].origin is TextOrigin.OCR and (segments[1].start_ms, segments[1].end_ms) == (5000, 6000)


def test_speech_without_a_burned_in_line_is_kept_from_asr_and_flagged() -> None:
    cues = [cue(1000, 2400, "林晓，你回来了")]
    speech = asr(heard(1100, 2300, "林晓你回来了"), heard(4000, 5200, "快上车"), speech=((1100, 2300), (4000, 5200)))
    segments = fuse_ocr(speech, cues)
    assert [(s.origin, s.text) for s in segments] == [(TextOrigin.OCR, "林晓，你回来了"), (TextOrigin.ASR, "快上车")]
    extra = segments[1]
    assert codes(extra) == ["speech-without-subtitle"]
    assert (extra.start_ms, extra.end_ms) == (4000, 5200)


def test_speech_mostly_under_a_burned_in_line_is_not_duplicated() -> None:
    # Six of the seven words are under the line; the last one trails 600 ms after it.
    words = (*heard(1100, 2300, "林晓你回来了").words, Word(3000, 3200, "吗", 0.9))
    segments = fuse_ocr(asr(Segment(1100, 3200, "林晓你回来了吗", words=words), speech=((1100, 3200),)),
                        [cue(1000, 2400, "林晓，你回来了")])
    assert [s.origin for s in segments] == [TextOrigin.OCR]


def test_line_shown_well_before_the_voice_starts_where_the_voice_starts() -> None:
    early = OPTIONS.snap_ms + 200
    segment, = fuse_ocr(asr(heard(1000 + early, 2300, "林晓你回来了"), speech=((1000 + early, 2350),)),
                        [cue(1000, 2400, "林晓，你回来了")])
    assert (segment.start_ms, segment.end_ms) == (1000 + early, 2400)


def test_line_shown_just_before_the_voice_keeps_its_frame_time() -> None:
    close = OPTIONS.snap_ms - 100
    segment, = fuse_ocr(asr(heard(1000 + close, 2300, "林晓你回来了"), speech=((1000 + close, 2350),)),
                        [cue(1000, 2400, "林晓，你回来了")])
    assert (segment.start_ms, segment.end_ms) == (1000, 2400)


def test_nearest_onset_only_within_reach() -> None:
    spans = ((1000, 2000), (3000, 4000))
    assert nearest_onset(1200, spans, 400) == 1000
    assert nearest_onset(2600, spans, 400) == 3000  # exactly at reach
    assert nearest_onset(2599, spans, 400) == 2599
    assert nearest_onset(2100, spans, 400, end=True) == 2000
    assert nearest_onset(500, (), 400) == 500


# --- the script ----------------------------------------------------------------------------------

A = ScriptLine("林晓，你回来了。", "王桂芳", line_no=2)
B = ScriptLine("快上车。", "陈默", line_no=3)  # shares no syllable with A or C
C = ScriptLine("协议我已经签好了。", "张浩", line_no=4)


def script(*lines: ScriptLine) -> Script:
    return Script(Path("ep01.script.tsv"), lines)


def test_script_lines_take_the_burned_in_lines_times_and_keep_their_speakers() -> None:
    cues = [cue(1000, 2400, "林晓，你回来了"), cue(5000, 6600, "协议我已经签好了")]
    speech = asr(heard(1100, 2300, "林小你回来了"), heard(5080, 6500, "协议我已经签好了"),
                 speech=((1100, 2300), (5080, 6500)))
    segments = fuse_script(script(A, C), speech, cues)
    assert [(s.start_ms, s.end_ms) for s in segments] == [(1000, 2400), (5000, 6600)]
    assert [(s.text, s.speaker) for s in segments] == [(A.text, "王桂芳"), (C.text, "张浩")]
    assert all(s.origin is TextOrigin.SCRIPT and not s.flags and s.confidence == 1.0 for s in segments)


def test_script_line_not_burned_in_but_heard_takes_the_speech_times() -> None:
    cues = [cue(1000, 2400, "林晓，你回来了"), cue(5000, 6600, "协议我已经签好了")]
    speech = asr(heard(1100, 2300, "林晓你回来了"), heard(3000, 3900, "快上车"), heard(5080, 6500, "协议我已经签好了"),
                 speech=((1100, 2300), (3000, 3900), (5080, 6500)))
    segments = fuse_script(script(A, B, C), speech, cues)
    assert [s.flags for s in segments] == [(), (), ()]
    assert (segments[1].start_ms, segments[1].end_ms) == (3000, 3900)
    assert_in_order_without_overlap(segments)


def test_without_burned_in_lines_script_times_come_from_words_snapped_to_the_voice() -> None:
    # Whisper's word times drift ~0.1-0.2 s; the VAD's edges are the line's edges.
    speech = asr(heard(1150, 2250, "林晓你回来了"), heard(5200, 6400, "协议我已经签好了"),
                 speech=((1000, 2400), (5050, 6600)))
    segments = fuse_script(script(A, C), speech, [])
    assert [(s.start_ms, s.end_ms) for s in segments] == [(1000, 2400), (5050, 6600)]
    assert [s.speaker for s in segments] == ["王桂芳", "张浩"]
    assert all(s.origin is TextOrigin.SCRIPT and not s.flags for s in segments)


@pytest.mark.parametrize("with_cues", [True, False])
def test_script_line_found_nowhere_is_flagged_and_placed_between_its_neighbours(with_cues: bool) -> None:
    cues = [cue(1000, 2400, "林晓，你回来了"), cue(5000, 6600, "协议我已经签好了")] if with_cues else []
    speech = asr(heard(1100, 2300, "林晓你回来了"), heard(5080, 6500, "协议我已经签好了"),
                 speech=((1100, 2300), (5080, 6500)))
    segments = fuse_script(script(A, B, C), speech, cues)
    assert [codes(s) for s in segments] == [[], ["script-unmatched"], []]
    missing = segments[1]
    assert (missing.text, missing.speaker, missing.origin) == (B.text, "陈默", TextOrigin.SCRIPT)
    assert "line 3" in missing.flags[0].message
    assert segments[0].end_ms <= missing.start_ms < missing.end_ms <= segments[2].start_ms
    assert_in_order_without_overlap(segments)


def test_timed_script_line_found_nowhere_keeps_the_scripts_own_times() -> None:
    timed = script(replace(A, start_ms=1000, end_ms=2400), replace(B, start_ms=3100, end_ms=3800),
                   replace(C, start_ms=5000, end_ms=6600))
    speech = asr(heard(1100, 2300, "林晓你回来了"), heard(5080, 6500, "协议我已经签好了"),
                 speech=((1100, 2300), (5080, 6500)))
    segments = fuse_script(timed, speech, [cue(1000, 2400, "林晓，你回来了"), cue(5000, 6600, "协议我已经签好了")])
    assert codes(segments[1]) == ["script-unmatched"]
    assert (segments[1].start_ms, segments[1].end_ms) == (3100, 3800)
    assert_in_order_without_overlap(segments)


# Library bug (localize/asr/fuse.py, fuse_script without cues + _no_overlap): nearest_onset moves a
# matched line's start up to snap_ms EARLIER, past an unmatched line's interpolated start or onto
# the previous line's start; _no_overlap only trims the previous end and cannot undo either.


def test_script_line_snapped_earlier_stays_after_an_unmatched_line() -> None:
    speech = asr(heard(1000, 2000, "林晓你回来了"), heard(2200, 3000, "协议我已经签好了"),
                 speech=((1000, 1800), (1850, 3000)))  # C's voice starts 350 ms before Whisper's word
    segments = fuse_script(script(A, B, C), speech, [])  # B is not heard: placed in [2000, 2200]
    assert codes(segments[1]) == ["script-unmatched"]
    assert_in_order_without_overlap(segments)  # got A (1000, 1800), B (1996, 1997), C (1850, 3000)


def test_two_script_lines_near_one_voice_onset_do_not_overlap() -> None:
    quick = ScriptLine("快走！", "陈默", line_no=2)
    speech = asr(heard(1000, 1350, "快走"), heard(1400, 2600, "协议我已经签好了"), speech=((1150, 2700),))
    segments = fuse_script(script(quick, C), speech, [])
    assert_in_order_without_overlap(segments)  # got (1150, 1151) and (1150, 2700)


def test_fused_script_segments_never_overlap_when_snapping_pulls_lines_together() -> None:
    # Two short lines heard back to back, the VAD merging them into one span.
    speech = asr(heard(1000, 1600, "林晓你回来了"), heard(1600, 2400, "协议我已经签好了"), speech=((900, 2500),))
    segments = fuse_script(script(A, C), speech, [])
    assert_in_order_without_overlap(segments)


# --- fuse, QA and JSON ---------------------------------------------------------------------------

def test_fuse_with_nothing_but_speech_returns_it_unchanged() -> None:
    only = asr(heard(1100, 2300, "林晓你回来了"), speech=((1100, 2300),))
    assert fuse(only) is only
    assert fuse(only, (), None) is only


def test_fuse_names_what_it_used_in_the_model() -> None:
    speech = asr(heard(1100, 2300, "林晓你回来了"), speech=((1100, 2300),))
    cues = [cue(1000, 2400, "林晓，你回来了")]
    assert fuse(speech, cues).model == "base+ocr"
    assert fuse(speech, cues, script(A)).model == "base+script"
    assert fuse(speech, cues, script(A)).segments[0].speaker == "王桂芳"


def test_flags_become_source_findings_with_the_segments_times() -> None:
    cues = [cue(1000, 2400, "林晓，你回来了"), cue(5000, 6000, "三年后")]
    fused = fuse(asr(heard(1100, 2300, "林晓你回来了"), heard(7000, 8000, "快上车"),
                     speech=((1100, 2300), (7000, 8000))), cues)
    findings = source_findings(fused)
    assert [(f.code, f.start_ms, f.end_ms) for f in findings] == [
        ("source-subtitle-without-speech", 5000, 6000), ("source-speech-without-subtitle", 7000, 8000)]
    assert all(f.stage == "source" and f.severity is Severity.WARNING for f in findings)
    assert "line 2 (ocr)" in findings[0].message and "line 3 (asr)" in findings[1].message


def test_transcript_json_carries_origin_confidence_flags_and_band() -> None:
    band = TextBand(BAND, 1080, 1920, static=((Box(40, 100, 400, 160), "千金归来"),), reason="5 different lines",
                    ignored=(IgnoredText(Box(0, 90, 1080, 140), "00:00:01:02", "not Chinese text"),))
    fused = replace(fuse(asr(heard(1100, 2300, "林晓你回来了"), speech=((1100, 2300), (8000, 9000))),
                         [cue(1000, 2400, "林晓，你回来了", 0.9734), cue(5000, 6000, "三年后")]), band=band)
    doc = transcript_dict(fused)
    assert doc["subtitle_band"] == {"x0": 0, "y0": 1420, "x1": 1080, "y1": 1580, "frame_width": 1080,
                                    "frame_height": 1920, "reason": "5 different lines",
                                    "static_text_ignored": ["千金归来"],
                                    "other_text_ignored": [{"y0": 90, "y1": 140, "text": "00:00:01:02",
                                                            "reason": "not Chinese text"}]}
    first, second = doc["segments"]
    assert (first["source"], first["confidence"], first["flags"]) == ("ocr", 0.973, [])
    assert second["flags"][0]["code"] == "subtitle-without-speech"
    assert second["flags"][0]["severity"] == "warning"
    assert doc["model"] == "base+ocr"
    assert transcript_dict(replace(fused, band=None))["subtitle_band"] is None


# --- properties ----------------------------------------------------------------------------------

HAN = "林晓你回来了协议我已经签好大小姐外面下雨快上车"


@st.composite
def cue_lists(draw: st.DrawFn) -> list[OcrCue]:
    """Sorted, non-overlapping cues with distinct texts."""
    count = draw(st.integers(0, 6))
    texts = draw(st.lists(st.text(HAN, min_size=1, max_size=8), min_size=count, max_size=count, unique=True))
    cues, time = [], 0
    for text in texts:
        start = time + draw(st.integers(0, 2000))
        end = start + draw(st.integers(1, 3000))
        cues.append(cue(start, end, text, draw(st.floats(0.5, 1.0))))
        time = end
    return cues


@st.composite
def heard_transcripts(draw: st.DrawFn) -> Transcript:
    """ASR segments of Latin 'words' (never a cue's text) and sorted VAD spans, anywhere in 20 s."""
    segments = []
    for _ in range(draw(st.integers(0, 5))):
        times = sorted(draw(st.lists(st.integers(0, 20_000), min_size=2, max_size=10)))
        words = tuple(Word(a, b, draw(st.sampled_from("abcxyz")), draw(st.floats(0.0, 1.0)))
                      for a, b in pairwise(times))
        if words and draw(st.booleans()):
            segments.append(Segment(times[0], times[-1], "".join(w.text for w in words), words=words))
        else:  # a segment without word times
            segments.append(Segment(times[0], max(times[-1], times[0] + 1), "q"))
    edges = sorted(set(draw(st.lists(st.integers(0, 20_000), max_size=12))))
    speech = tuple((a, b) for a, b in zip(edges[::2], edges[1::2], strict=False))
    return asr(*segments, speech=speech, duration_ms=20_000)


@settings(max_examples=300, deadline=None)
@given(cues=cue_lists(), speech=heard_transcripts())
def test_fused_lines_are_sorted_timed_and_keep_every_cue_once(cues: list[OcrCue], speech: Transcript) -> None:
    segments = fuse_ocr(speech, cues)
    assert [s.start_ms for s in segments] == sorted(s.start_ms for s in segments)
    assert all(s.end_ms > s.start_ms for s in segments)
    texts = [s.text for s in segments]
    for c in cues:
        assert texts.count(c.text) == 1
    assert [s.text for s in segments if s.origin is TextOrigin.OCR] == [c.text for c in cues]


@st.composite
def scripts_and_speech(draw: st.DrawFn) -> tuple[Script, Transcript]:
    """Script lines, some of them heard (as ASR words at sorted times), over random VAD spans."""
    lines = draw(st.lists(st.text(HAN, min_size=2, max_size=8), min_size=1, max_size=6))
    segments, time = [], 0
    for text in lines:
        time += draw(st.integers(0, 1500))
        if draw(st.booleans()):
            length = draw(st.integers(150 * len(text), 400 * len(text)))
            segments.append(heard(time, time + length, text))
            time += length
    speech, edge = [], 0
    for _ in range(draw(st.integers(0, 8))):  # VAD spans of 0.2 s or more, 0.2 s or more apart
        start = edge + draw(st.integers(200, 3000))
        edge = start + draw(st.integers(200, 4000))
        speech.append((start, edge))
    return script(*(ScriptLine(text, line_no=i + 1) for i, text in enumerate(lines))), asr(
        *segments, speech=tuple(speech), duration_ms=max(time, edge, 20_000))


@settings(max_examples=300, deadline=None)
@given(case=scripts_and_speech())
def test_fused_script_lines_are_in_order_and_never_overlap(case: tuple[Script, Transcript]) -> None:
    lines, speech = case
    segments = fuse_script(lines, speech, [])
    assert [s.text for s in segments] == [line.text for line in lines.lines]
    assert_in_order_without_overlap(segments)
