"""Timing rules: frame snapping, durations, gaps, chaining, media end (properties and examples)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localize.markets import SubtitleRules
from localize.subtitle import FrameClock, InvalidSettingError, apply_timing, frame_rate
from localize.types import Cue

RULES = SubtitleRules()  # 833 ms min, 7 s max, 2-frame gaps, chaining at 12 frames
FPS = [23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0]

_fps = st.sampled_from(FPS)
_any_cue = st.builds(
    lambda start, length, text, index: Cue(start_ms=start, end_ms=start + length, lines=(text,),
                                           line_index=index),
    st.integers(-500, 120_000), st.integers(-200, 12_000), st.sampled_from(["a", "b", "c"]),
    st.integers(0, 50))
_cues = st.lists(_any_cue, max_size=40)
_rules = st.builds(SubtitleRules, min_duration_ms=st.integers(0, 2000),
                   max_duration_ms=st.integers(100, 9000), min_gap_frames=st.integers(0, 4),
                   chain_gap_frames=st.integers(0, 15), end_pad_frames=st.integers(0, 15))


@settings(max_examples=200, deadline=None)
@given(frame=st.integers(0, 10_000_000), ms=st.integers(0, 10_000_000), fps=_fps)
def test_frame_clock_round_trips(frame: int, ms: int, fps: float) -> None:
    clock = FrameClock.from_fps(fps)
    assert clock.frame_at_or_before(clock.ms(frame)) == frame
    assert clock.frame_at_or_after(clock.ms(frame)) == frame
    before = clock.frame_at_or_before(ms)
    assert clock.ms(before) <= ms < clock.ms(before + 1)
    after = clock.frame_at_or_after(ms)
    assert clock.ms(after - 1) < ms <= clock.ms(after)


def test_frame_rates_are_exact() -> None:
    assert frame_rate(29.97) == Fraction(30000, 1001)
    assert frame_rate(23.976) == Fraction(24000, 1001)
    assert frame_rate(float(Fraction(60000, 1001))) == Fraction(60000, 1001)
    assert frame_rate(25) == 25
    for bad in (0, -25, float("nan"), float("inf"), 5000):
        with pytest.raises(InvalidSettingError, match="frame rate"):
            frame_rate(bad)


@settings(max_examples=200, deadline=None)
@given(cues=_cues, fps=_fps, rules=st.one_of(st.just(RULES), _rules),
       media=st.one_of(st.none(), st.integers(0, 130_000)))
def test_timed_cues_obey_every_hard_rule(cues: list[Cue], fps: float, rules: SubtitleRules,
                                         media: int | None) -> None:
    clock = FrameClock.from_fps(fps)
    timed = apply_timing(cues, rules, fps, media)
    if media is None:  # every cue kept, only re-timed
        assert sorted((c.line_index, c.lines) for c in timed) == sorted((c.line_index, c.lines) for c in cues)
    max_frames = clock.frames_at_most(rules.max_duration_ms)
    originals = sorted(cues, key=lambda c: (c.start_ms, c.end_ms, c.line_index, c.lines))
    for k, (original, cue) in enumerate(zip(originals, timed, strict=False)):
        start_f, end_f = clock.frame_at_or_before(cue.start_ms), clock.frame_at_or_after(cue.end_ms)
        assert clock.ms(start_f) == cue.start_ms and clock.ms(end_f) == cue.end_ms  # on frames
        assert 0 <= cue.start_ms < cue.end_ms
        assert cue.duration_ms <= rules.max_duration_ms
        if media is not None:
            assert cue.end_ms <= media
        nxt = timed[k + 1] if k + 1 < len(timed) else None
        if nxt is not None:
            gap_frames = clock.frame_at_or_before(nxt.start_ms) - end_f
            assert nxt.start_ms >= cue.start_ms  # sorted
            assert gap_frames >= rules.min_gap_frames  # never overlapping, never cramped
            if gap_frames <= rules.chain_gap_frames:
                # chained, unless the cue may not stretch that far (max duration, or pad after speech)
                speech_end = clock.frame_at_or_after(original.end_ms)
                min_end = start_f + clock.frames_at_least(rules.min_duration_ms)
                unchained_end = max(speech_end, start_f + 1, min_end)
                beyond_pad = end_f + gap_frames - rules.min_gap_frames > unchained_end + rules.end_pad_frames
                assert gap_frames == rules.min_gap_frames or end_f - start_f == max_frames or beyond_pad
        if cue.duration_ms < rules.min_duration_ms:
            # too short only where the next cue, the media end or the max duration stop it
            limited_by_next = nxt is not None and (
                clock.frame_at_or_before(nxt.start_ms) - end_f == rules.min_gap_frames)
            limited_by_media = media is not None and end_f == clock.frame_at_or_before(media)
            limited_by_max = end_f - start_f == clock.frames_at_most(rules.max_duration_ms)
            assert limited_by_next or limited_by_media or limited_by_max


@settings(max_examples=200, deadline=None)
@given(cues=_cues, fps=_fps, rules=st.one_of(st.just(RULES), _rules),
       media=st.one_of(st.none(), st.integers(0, 130_000)))
def test_timing_is_idempotent(cues: list[Cue], fps: float, rules: SubtitleRules, media: int | None) -> None:
    once = apply_timing(cues, rules, fps, media)
    assert apply_timing(once, rules, fps, media) == once
    # input order does not matter, except among pieces of one line at the same times (reading order):
    # a reverse sort keeps those in their given order (Python's sort is stable with reverse=True too)
    shuffled = sorted(cues, key=lambda c: (c.start_ms, c.end_ms, c.line_index), reverse=True)
    assert apply_timing(shuffled, rules, fps, media) == once


@settings(max_examples=200, deadline=None)
@given(cues=_cues, fps=_fps)
def test_cues_start_on_the_frame_of_their_speech_unless_pushed(cues: list[Cue], fps: float) -> None:
    clock = FrameClock.from_fps(fps)
    timed = apply_timing(cues, RULES, fps)
    originals = sorted(cues, key=lambda c: (c.start_ms, c.end_ms, c.line_index, c.lines))
    previous_start = None
    for before, after in zip(originals, timed, strict=True):
        speech_frame = max(0, clock.frame_at_or_before(before.start_ms))
        start_frame = clock.frame_at_or_before(after.start_ms)
        assert start_frame >= speech_frame
        if start_frame > speech_frame:  # pushed: only to make room after the previous cue
            assert previous_start is not None
            assert start_frame == previous_start + 1 + RULES.min_gap_frames
        previous_start = start_frame


def _cue(start: int, end: int, text: str = "x") -> Cue:
    return Cue(start_ms=start, end_ms=end, lines=(text,))


def test_snaps_to_25_fps_frames() -> None:
    (cue,) = apply_timing([_cue(1010, 2999)], RULES, 25.0)
    assert (cue.start_ms, cue.end_ms) == (1000, 3000)


def test_short_cue_extends_into_the_gap() -> None:
    (cue,) = apply_timing([_cue(1000, 1200)], RULES, 25.0)
    assert cue.duration_ms == 840  # 21 frames: the first whole frame count >= 833 ms


def test_short_cue_extends_only_as_far_as_the_next_allows() -> None:
    first, second = apply_timing([_cue(1000, 1200), _cue(1400, 3000)], RULES, 25.0)
    assert first.end_ms == 1400 - 80  # two frames before the next cue
    assert second.start_ms == 1400


def test_small_gap_is_chained_and_large_gap_is_kept() -> None:
    a, b, c = apply_timing([_cue(0, 2000), _cue(2400, 4000), _cue(4520, 6000)], RULES, 25.0)
    assert b.start_ms - a.end_ms == 80  # 10 frames closed to 2
    assert c.start_ms - b.end_ms == 520  # 13 frames: more than 12, not chained


def test_overlapping_speech_is_separated() -> None:
    a, b = apply_timing([_cue(0, 3000), _cue(1000, 2500)], RULES, 25.0)
    assert a.end_ms == 1000 - 80
    assert b.start_ms == 1000


def test_cues_on_the_same_frame_are_pushed_apart() -> None:
    a, b = apply_timing([_cue(1000, 2000, "a"), _cue(1005, 2000, "b")], RULES, 25.0)
    assert a.start_ms == 1000 and a.end_ms == 1040  # one frame
    assert b.start_ms == 1040 + 80


def test_long_cue_is_cut_to_the_maximum() -> None:
    (cue,) = apply_timing([_cue(0, 20_000)], RULES, 29.97)
    assert cue.duration_ms <= 7000
    assert cue.duration_ms > 7000 - 34


def test_media_end_clips_and_drops(caplog: pytest.LogCaptureFixture) -> None:
    timed = apply_timing([_cue(0, 1000), _cue(9000, 12_000), _cue(12_000, 13_000)], RULES, 25.0, 10_000)
    assert [c.end_ms for c in timed] == [1000, 10_000]
    assert "dropped" in caplog.text


def test_ntsc_gap_is_exactly_two_frames() -> None:
    clock = FrameClock.from_fps(29.97)
    a, b = apply_timing([_cue(0, 1000), _cue(1200, 3000)], RULES, 29.97)
    assert clock.frame_at_or_before(b.start_ms) - clock.frame_at_or_after(a.end_ms) == 2


def test_input_is_not_mutated_and_empty_is_fine() -> None:
    cues = (_cue(5, 10),)
    apply_timing(cues, RULES, 25.0)
    assert cues == (_cue(5, 10),)
    assert apply_timing([], RULES, 25.0) == ()


def test_impossible_rules_are_rejected() -> None:
    with pytest.raises(InvalidSettingError, match="max_duration_ms"):
        apply_timing([_cue(0, 10)], SubtitleRules(max_duration_ms=10), 25.0)
    with pytest.raises(InvalidSettingError, match="min_gap_frames"):
        apply_timing([_cue(0, 10)], SubtitleRules(min_gap_frames=-1), 25.0)


def test_chaining_stretches_a_cue_at_most_the_pad_past_its_speech() -> None:
    rules = SubtitleRules(chain_gap_frames=12, end_pad_frames=4)
    a, b = apply_timing([_cue(0, 2000), _cue(2400, 4000)], rules, 25.0)  # 10-frame gap, pad 4
    assert a.end_ms == 2000 and b.start_ms == 2400
    a, b = apply_timing([_cue(0, 2000), _cue(2240, 4000)], rules, 25.0)  # 6-frame gap: 4 to close
    assert b.start_ms - a.end_ms == 80


def test_pieces_of_a_line_starting_together_keep_their_reading_order() -> None:
    # A line too short for its text: its pieces arrive with the same times; they are shown in the order
    # they are read, not sorted by their text.
    pieces = [Cue(1000, 1000, (text,), line_index=3) for text in ("zeta", "alpha", "mid")]
    timed = apply_timing(pieces, RULES, 25.0)
    assert [c.lines[0] for c in timed] == ["zeta", "alpha", "mid"]
    assert timed[0].start_ms < timed[1].start_ms < timed[2].start_ms
    assert apply_timing(timed, RULES, 25.0) == timed
