"""Aligning script lines to a timed character stream, and estimating times for unmatched lines."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localize.asr import align
from localize.asr.align import LineAlignment, TimedChar, align_lines, fill_missing, match_pairs, timed_chars
from localize.types import Word


def _stream(*words: tuple[str, int, int]) -> list[TimedChar]:
    return timed_chars([Word(start, end, text) for text, start, end in words])


def test_timed_chars_spread_time_and_drop_punctuation() -> None:
    chars = timed_chars([Word(1000, 1300, "你好，"), Word(1300, 1400, "..."), Word(1400, 1700, "ＡＢ1")])
    assert chars == [
        TimedChar("你", 1000, 1150), TimedChar("好", 1150, 1300),
        TimedChar("A", 1400, 1500), TimedChar("B", 1500, 1600), TimedChar("1", 1600, 1700),
    ]


def test_homophones_insertions_and_deletions_land_on_the_right_words() -> None:
    lines = ["林晓，你回来了。", "陈默在等你。", "快走吧！"]
    stream = _stream(
        ("林小", 0, 400), ("你", 400, 600), ("回来了", 600, 1200),  # 晓 heard as 小
        ("嗯嗯", 1500, 1800),  # inserted: not in the script
        ("陈", 2000, 2200), ("在等你", 2200, 2800),  # 默 not heard
        ("快走把", 3000, 3600),  # 吧 heard as 把
    )
    result = align_lines(lines, stream)
    assert result == [
        LineAlignment(0, 0, 1200, 6, 6),
        LineAlignment(1, 2000, 2800, 4, 5),
        LineAlignment(2, 3000, 3600, 3, 3),
    ]
    assert result[1].score == pytest.approx(0.8)


def test_latin_letters_match_case_insensitively_and_digits_match_chinese_numbers() -> None:
    result = align_lines(["给我三个VIP座位"], _stream(("给我3个", 0, 800), ("vip", 800, 1100), ("坐位", 1100, 1500)))
    assert result == [LineAlignment(0, 0, 1500, 9, 9)]


def test_unspoken_line_is_unmatched_and_interpolated() -> None:
    lines = ["我回来了", "欢迎回家", "今晚吃什么呢", "随便"]
    stream = _stream(("我回来了", 0, 1000), ("欢迎回家", 1000, 2000), ("随便", 5000, 5600))
    result = align_lines(lines, stream)
    assert [a.start_ms for a in result] == [0, 1000, None, 5000]
    assert result[2] == LineAlignment(2, None, None, 0, 6)
    assert result[2].score == 0
    assert fill_missing(result, 6000) == [(0, 1000), (1000, 2000), (2000, 5000), (5000, 5600)]


def test_stray_hit_does_not_stretch_a_line() -> None:
    # 吧 is not heard after 快走; the only 吧 is in unscripted chatter seconds later.
    lines = ["快走吧", "好"]
    stream = _stream(("快走", 0, 600), ("你们去那个酒吧里坐坐", 5000, 6500), ("好", 8000, 8300))
    first, second = align_lines(lines, stream)
    assert (first.start_ms, first.end_ms, first.matched) == (0, 600, 3)
    assert (second.start_ms, second.end_ms) == (8000, 8300)


def test_repeated_text_does_not_derail_the_alignment() -> None:
    # Three copies of the same lines: longest-block-first matching can anchor on the wrong copy.
    base = ["你说什么", "我不信", "你再说一遍", "我说我不信"]
    lines = base * 3
    words = []
    for k, line in enumerate(lines):
        heard = line[:-1] if k % 4 == 1 else line  # one character lost per round
        words.append((heard, k * 1000, k * 1000 + 800))
    result = align_lines(lines, _stream(*words))
    assert [a.start_ms for a in result] == [k * 1000 for k in range(len(lines))]


def test_empty_inputs() -> None:
    assert align_lines([], _stream(("你好", 0, 100))) == []
    assert align_lines(["……", "你好"], []) == [LineAlignment(0, None, None, 0, 0), LineAlignment(1, None, None, 0, 2)]
    assert fill_missing([], 0) == []


def test_large_alignment_is_fast() -> None:
    rng = random.Random(7)
    alphabet = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
    script = "".join(rng.choice(alphabet) for _ in range(2000))
    heard = "".join(c for c in script if rng.random() > 0.05)
    lines = [script[k:k + 10] for k in range(0, len(script), 10)]
    stream = [TimedChar(c, 100 * k, 100 * k + 100) for k, c in enumerate(heard)]
    align.sound("的")  # pypinyin's dictionaries load once; that is not the alignment's cost
    began = time.perf_counter()
    result = align_lines(lines, stream)
    assert time.perf_counter() - began < 1.0
    assert sum(a.matched for a in result) >= len(heard) * 0.95


def test_block_fallback_for_huge_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = list("abcxdef"), list("abcdeyf")
    exact = match_pairs(a, b)
    monkeypatch.setattr(align, "_MAX_DP_CELLS", 1)
    assert match_pairs(a, b) == exact == [(0, 0), (1, 1), (2, 2), (4, 3), (5, 4), (6, 6)]


def test_fill_missing_keeps_matched_times_and_splits_gaps_by_length() -> None:
    alignments = [
        LineAlignment(0, None, None, 0, 2),  # before the first match: from 0
        LineAlignment(1, 1000, 2000, 4, 4),
        LineAlignment(2, None, None, 0, 1),
        LineAlignment(3, None, None, 0, 3),
        LineAlignment(4, 6000, 7000, 1, 8),
        LineAlignment(5, None, None, 0, 5),  # after the last match: to the end
    ]
    assert fill_missing(alignments, 9000) == [(0, 1000), (1000, 2000), (2000, 3000), (3000, 6000),
                                              (6000, 7000), (7000, 9000)]
    low = fill_missing(alignments, 9000, min_score=0.5)  # line 4 (1 of 8) no longer counts
    assert low[1] == (1000, 2000) and low[4] != (6000, 7000)


def test_fill_missing_refuses_an_impossible_duration() -> None:
    with pytest.raises(ValueError, match="3 lines"):
        fill_missing([LineAlignment(i, None, None, 0, 1) for i in range(3)], 2)


_optional_ms = st.one_of(st.none(), st.integers(-5_000, 70_000))


@st.composite
def _alignments(draw: st.DrawFn) -> tuple[list[LineAlignment], int]:
    rows = draw(st.lists(st.tuples(_optional_ms, _optional_ms, st.integers(0, 40), st.integers(0, 40)),
                         max_size=40))
    duration = draw(st.integers(len(rows), 60_000))
    alignments = [LineAlignment(i, start, end, min(matched, total), total)
                  for i, (start, end, matched, total) in enumerate(rows)]
    return alignments, duration


@given(_alignments())
def test_fill_missing_is_monotone_non_overlapping_and_inside(case: tuple[list[LineAlignment], int]) -> None:
    alignments, duration = case
    times = fill_missing(alignments, duration)
    assert len(times) == len(alignments)
    previous_end = 0
    for start, end in times:
        assert previous_end <= start < end <= duration
        previous_end = end


@given(st.lists(st.tuples(st.integers(1, 100), st.integers(1, 100), st.booleans()), max_size=30),
       st.integers(1, 100))
def test_fill_missing_keeps_consistent_anchors(rows: list[tuple[int, int, bool]], tail: int) -> None:
    """Matched lines already in order, apart and inside the episode keep exactly their times."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for gap, length, _ in rows:
        spans.append((cursor + gap, cursor + gap + length))
        cursor += gap + length
    alignments = [LineAlignment(i, s if m else None, e if m else None, int(m), 1)
                  for i, ((s, e), (_, _, m)) in enumerate(zip(spans, rows, strict=True))]
    times = fill_missing(alignments, cursor + tail)
    assert [t for t, (_, _, m) in zip(times, rows, strict=True) if m] == [s for s, (_, _, m) in
                                                                          zip(spans, rows, strict=True) if m]
