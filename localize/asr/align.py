"""Give text lines (a script) the times of a timed character stream (ASR words or OCR cues).

Only letters and digits take part: punctuation differs freely between a script and what
speech recognition writes. Characters are compared by their toneless pinyin, because
recognition errors in Mandarin are mostly homophones (林小 for 林晓, 作 for 做).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

import numpy as np

from localize.scoring import letters_and_digits as letters
from localize.types import Word

log = logging.getLogger("localize")

_NEAR = 3  # characters apart (in both script and stream) for two matches to support each other
_MAX_DP_CELLS = 40_000_000  # LCS table of uint16: 80 MB, about 6,000 x 6,000 characters

# Whisper writes numbers as digits where a script spells them out (3个 / 三个).
_DIGIT_PINYIN = dict(zip("0123456789", ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu"),
                         strict=True))


@dataclass(frozen=True)
class TimedChar:
    char: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class LineAlignment:
    """Where one line landed in the stream: times of its first and last matched character."""

    index: int
    start_ms: int | None  # None when no character of the line matched
    end_ms: int | None
    matched: int  # characters of the line matched in the stream
    total: int  # letters and digits in the line
    first_end_ms: int | None = field(default=None, compare=False)  # end of the first matched character

    @property
    def score(self) -> float:
        return self.matched / self.total if self.total else 0.0


def timed_chars(words: Sequence[Word]) -> list[TimedChar]:
    """Letters and digits of the words, each word's time spread evenly over its characters."""
    stream: list[TimedChar] = []
    for word in words:
        chars = letters(word.text)
        span = max(word.end_ms - word.start_ms, 0)
        for i, char in enumerate(chars):
            stream.append(TimedChar(char, word.start_ms + span * i // len(chars),
                                    word.start_ms + span * (i + 1) // len(chars)))
    return stream


@lru_cache(maxsize=8192)
def sound(char: str) -> str:
    """What a character sounds like, for matching: toneless pinyin for Han, else the letter itself."""
    char = unicodedata.normalize("NFKC", char)
    if char in _DIGIT_PINYIN:
        return _DIGIT_PINYIN[char]
    if "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0002ffff":
        from pypinyin import lazy_pinyin  # loads dictionaries (~0.3 s): only when aligning Chinese

        return str(lazy_pinyin(char)[0])
    return char.casefold()


def align_lines(lines: Sequence[str], stream: Sequence[TimedChar]) -> list[LineAlignment]:
    """Align all lines at once, in order, to the stream and report each line's matched span."""
    owners: list[int] = []  # line index of each script character
    script: list[str] = []
    for index, line in enumerate(lines):
        chars = letters(line)
        owners += [index] * len(chars)
        script += [sound(c) for c in chars]
    pairs = match_pairs(script, [sound(t.char) for t in stream])
    # A match far from every other match is often a stray hit on a common syllable (的, 是, 你)
    # in speech the script does not have: it counts, but does not stretch a line's span.
    near = [b[0] - a[0] <= _NEAR and b[1] - a[1] <= _NEAR for a, b in pairwise(pairs)]
    in_run = [(k > 0 and near[k - 1]) or (k < len(near) and near[k]) for k in range(len(pairs))]
    totals = [0] * len(lines)
    for owner in owners:
        totals[owner] += 1
    hits: list[list[int]] = [[] for _ in lines]
    run_hits: list[list[int]] = [[] for _ in lines]
    for (i, j), run in zip(pairs, in_run, strict=True):
        hits[owners[i]].append(j)
        if run:
            run_hits[owners[i]].append(j)
    result: list[LineAlignment] = []
    for index in range(len(lines)):
        span = run_hits[index] or hits[index]
        if not span:
            result.append(LineAlignment(index, None, None, 0, totals[index]))
            continue
        start = stream[span[0]].start_ms
        end = max(stream[span[-1]].end_ms, start)
        result.append(LineAlignment(index, start, end, len(hits[index]), totals[index],
                                    first_end_ms=stream[span[0]].end_ms))
    return result


def match_pairs(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs (i, j) of a longest common subsequence of `a` and `b`, increasing in both.

    A full LCS table cannot be fooled by text that repeats (a catchphrase, a recap), where
    SequenceMatcher's longest-block-first can anchor on the wrong copy and skip everything
    between; past `_MAX_DP_CELLS` SequenceMatcher is the fallback that fits in memory.
    """
    if not a or not b:
        return []
    if len(a) * len(b) > _MAX_DP_CELLS:
        log.info("aligning %d x %d characters by longest blocks (too large for a full table)", len(a), len(b))
        matcher = SequenceMatcher(None, list(a), list(b), autojunk=False)
        return [(m.a + k, m.b + k) for m in matcher.get_matching_blocks() for k in range(m.size)]
    ids: dict[str, int] = {}
    x = np.array([ids.setdefault(t, len(ids)) for t in a], dtype=np.int32)
    y = np.array([ids.setdefault(t, len(ids)) for t in b], dtype=np.int32)
    table = np.zeros((len(x) + 1, len(y) + 1), dtype=np.uint16 if min(len(x), len(y)) < 65_535 else np.int32)
    for i in range(1, len(x) + 1):
        # Row i of the LCS table is a running maximum: L[i][j] = max over k <= j of
        # max(L[i-1][k], L[i-1][k-1] + [a_i == b_k]), one vector operation per script character.
        best = np.maximum(table[i - 1, 1:], table[i - 1, :-1] + (y == x[i - 1]))
        np.maximum.accumulate(best, out=table[i, 1:])
    pairs: list[tuple[int, int]] = []
    i, j = len(x), len(y)
    while i > 0 and j > 0:
        if x[i - 1] == y[j - 1] and table[i, j] == table[i - 1, j - 1] + 1:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif table[i - 1, j] == table[i, j]:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def fill_missing(alignments: Sequence[LineAlignment], duration_ms: int, *,
                 min_score: float = 0.0) -> list[tuple[int, int]]:
    """(start_ms, end_ms) for every line: matched lines keep their times, the others share the gap
    between their matched neighbours in proportion to their length.

    The result is in order, non-overlapping, inside 0..duration_ms and each line at least 1 ms
    long, whatever the input. Lines scoring below `min_score` count as unmatched.
    """
    n = len(alignments)
    if duration_ms < n:
        raise ValueError(f"{n} lines cannot each get 1 ms in {duration_ms} ms")
    anchors = _anchors(alignments, duration_ms, min_score)
    times: list[tuple[int, int]] = [(0, 0)] * n
    run: list[int] = []
    left = 0
    for i in range(n + 1):
        anchor = anchors.get(i) if i < n else (duration_ms, duration_ms)
        if anchor is None:
            run.append(i)
            continue
        _spread(run, left, anchor[0], alignments, times)
        run = []
        if i < n:
            times[i] = anchor
            left = anchor[1]
    return _legal(times, duration_ms)


def _anchors(alignments: Sequence[LineAlignment], duration_ms: int,
             min_score: float) -> dict[int, tuple[int, int]]:
    """Matched lines' times clamped to the episode; a line that starts before the previous
    matched line is a stray match and is dropped."""
    anchors: dict[int, tuple[int, int]] = {}
    prev_start = prev_end = 0
    for i, a in enumerate(alignments):
        if a.start_ms is None or a.end_ms is None or (a.total and a.score < min_score):
            continue
        start = min(max(a.start_ms, 0), duration_ms)
        if start < prev_start:
            continue
        start = max(start, prev_end)
        end = min(max(a.end_ms, start), duration_ms)
        anchors[i] = (start, end)
        prev_start, prev_end = start, end
    return anchors


def _spread(run: list[int], left: int, right: int, alignments: Sequence[LineAlignment],
            times: list[tuple[int, int]]) -> None:
    weights = [max(alignments[i].total, 1) for i in run]
    total = sum(weights)
    span = max(right - left, 0)
    done = 0
    for i, weight in zip(run, weights, strict=True):
        start = left + span * done // total
        done += weight
        times[i] = (start, left + span * done // total)


def _legal(times: list[tuple[int, int]], duration_ms: int) -> list[tuple[int, int]]:
    """Push starts past the previous end and give each line 1 ms, leaving room for the lines after."""
    n = len(times)
    legal: list[tuple[int, int]] = []
    prev_end = 0
    for i, (start, end) in enumerate(times):
        start = min(max(start, prev_end), duration_ms - (n - i))
        end = min(max(end, start + 1), duration_ms - (n - i - 1))
        legal.append((start, end))
        prev_end = end
    return legal
