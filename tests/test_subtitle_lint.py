"""QA checks on subtitle cues: each rule on hand-made bad cues, and clean output from the pipeline."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localize.markets import SubtitleRules, get_market
from localize.subtitle import apply_timing, check_cues, format_timecode, make_cues
from localize.types import Cue, Finding, Line, Severity

RULES = SubtitleRules(max_chars_per_line=42, max_lines=2, max_cps=17.0)


def _check(*cues: Cue, fps: float = 25.0, language: str = "en") -> list[Finding]:
    return check_cues(list(cues), RULES, fps, language=language)


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_format_timecode() -> None:
    assert format_timecode(62_345) == "00:01:02.345"
    assert format_timecode(0) == "00:00:00.000"
    assert format_timecode(3_600_000 * 12 + 5) == "12:00:00.005"
    assert format_timecode(-40) == "-00:00:00.040"


def test_a_good_cue_has_no_findings() -> None:
    assert _check(Cue(1000, 3500, ("I told you, Lin Xiao,", "never come back."))) == []


def test_too_many_characters_is_an_error_naming_the_line() -> None:
    line = "x" * 47
    (finding,) = _check(Cue(62_345, 66_000, ("short", line)))
    assert finding.code == "line-too-long" and finding.severity is Severity.ERROR
    assert "cue 1 at 00:01:02.345: line 2 has 47 characters (max 42)" in finding.message
    assert (finding.start_ms, finding.end_ms, finding.stage) == (62_345, 66_000, "subtitle")


def test_too_many_lines_is_an_error() -> None:
    (finding,) = _check(Cue(0, 4000, ("one", "two", "three")))
    assert finding.code == "too-many-lines" and finding.severity is Severity.ERROR
    assert "3 lines (max 2)" in finding.message


def test_fast_reading_is_a_warning_counting_characters_without_line_breaks() -> None:
    # 36 characters (two lines of 18) in 2 s = 18 cps > 17; a line break would make it 37.
    (finding,) = _check(Cue(0, 2000, ("a" * 18, "b" * 18)))
    assert finding.code == "cps-too-high" and finding.severity is Severity.WARNING
    assert "18.0 characters per second (max 17)" in finding.message
    assert _check(Cue(0, 2000, ("a" * 17, "b" * 17))) == []  # 17 cps is allowed


def test_durations_short_warns_long_errs_and_non_positive_errs() -> None:
    (short,) = _check(Cue(0, 500, ("Hi",)))
    assert short.code == "duration-too-short" and short.severity is Severity.WARNING
    assert "0.500 s (min 0.833 s)" in short.message
    (long,) = _check(Cue(0, 7040, ("A long cue that stays up for quite a while",)))
    assert long.code == "duration-too-long" and long.severity is Severity.ERROR
    (zero,) = _check(Cue(1000, 1000, ("Hi",)))
    assert zero.code == "duration-not-positive" and zero.severity is Severity.ERROR


def test_gaps_and_overlaps() -> None:
    a = Cue(0, 2000, ("First",))
    cramped = _check(a, Cue(2040, 4000, ("Second",)))  # one frame at 25 fps
    assert _codes(cramped) == ["gap-too-small"] and cramped[0].severity is Severity.WARNING
    assert "starts 40 ms (1.0 frames) after the previous cue (min 2 frames, 80 ms)" in cramped[0].message
    assert _check(a, Cue(2080, 4000, ("Second",))) == []  # exactly two frames is fine
    overlap = _check(a, Cue(1500, 4000, ("Second",)))
    assert _codes(overlap) == ["overlap"] and overlap[0].severity is Severity.ERROR
    assert "cue 2 at 00:00:01.500: starts 500 ms before the previous cue ends" in overlap[0].message


def test_overlap_with_an_earlier_long_cue_is_found() -> None:
    findings = _check(Cue(0, 6000, ("Long",)), Cue(1000, 2000, ("Inside",)), Cue(3000, 4000, ("Also",)))
    assert _codes(findings).count("overlap") == 2


def test_ntsc_two_frame_gap_in_whole_ms_is_not_flagged() -> None:
    # 2 frames at 29.97 fps = 66.73 ms; a snapped 66 ms gap is exactly two frames.
    assert _check(Cue(0, 1001, ("a",)), Cue(1067, 2500, ("b",)), fps=29.97) == []


def test_empty_cue_is_an_error() -> None:
    (finding,) = _check(Cue(0, 2000, ()))
    assert finding.code == "empty-cue" and finding.severity is Severity.ERROR
    assert _codes(_check(Cue(0, 2000, ("  ",)))) == ["empty-cue"]


def test_cues_are_numbered_in_time_order() -> None:
    findings = _check(Cue(5000, 5300, ("late",)), Cue(1000, 3000, ("early",)))
    assert findings[0].message.startswith("cue 2 at 00:00:05.000")


def test_japanese_counts_half_width_as_half() -> None:
    rules = SubtitleRules(max_chars_per_line=13, max_lines=2, max_cps=4.0)
    ok = check_cues([Cue(0, 7000, ("こんにちはabcdefgh",))], rules, 24.0, language="ja")  # 5 + 8*0.5 = 9
    assert "line-too-long" not in _codes(ok)
    bad = check_cues([Cue(0, 7000, ("こんにちはこんにちはこんにちは",))], rules, 24.0, language="ja")
    assert "line 1 has 15 characters (max 13)" in bad[0].message


_words = st.lists(st.sampled_from(["I", "told", "you", "Lin", "Xiao,", "never", "come", "back", "to",
                                   "the", "house.", "Why?", "because", "mother", "said", "so!"]),
                  min_size=1, max_size=30).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(_words, max_size=12), gaps=st.lists(st.integers(0, 4000), min_size=12, max_size=12),
       lengths=st.lists(st.integers(0, 9000), min_size=12, max_size=12),
       market=st.sampled_from(["en-US", "es-419", "pt-BR"]), fps=st.sampled_from([23.976, 25.0, 29.97, 30.0]))
def test_pipeline_output_never_breaks_a_hard_rule(texts: list[str], gaps: list[int], lengths: list[int],
                                                  market: str, fps: float) -> None:
    m = get_market(market)
    lines, t = [], 0
    for i, text in enumerate(texts):
        start = t + gaps[i]
        lines.append(Line(index=i, start_ms=start, end_ms=start + lengths[i], source="", target=text))
        t = start + lengths[i]
    cues = apply_timing(make_cues(lines, m.rules, fps, m.language), m.rules, fps)
    findings = check_cues(cues, m.rules, fps, language=m.language)
    hard = {"line-too-long", "too-many-lines", "overlap", "gap-too-small", "duration-too-long",
            "empty-cue", "duration-not-positive"}
    assert not [f.message for f in findings if f.code in hard]


@pytest.mark.parametrize("fps", [0, -1.0])
def test_bad_frame_rate_is_rejected(fps: float) -> None:
    from localize.subtitle import InvalidSettingError

    with pytest.raises(InvalidSettingError):
        check_cues([], RULES, fps, language="en")
