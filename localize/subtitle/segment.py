"""Turn translated lines into cues: line breaking and splitting long lines into several cues.

Each `Line` becomes one cue when its text fits in `rules.max_lines` lines of
`rules.max_chars_per_line` characters, otherwise several cues split where the text
reads best (end of sentence, then clause, then before a conjunction...) and
sharing the line's time in proportion to their characters.

Both decisions are small dynamic programmes over the words, minimising imbalance
plus the break costs of `localize.subtitle.breaks`; the number of lines (and of
cues) is always the smallest that fits, as the style guides ask ("one line unless
it does not fit"). Words are never cut, except a single word longer than a whole
line (or a run of Chinese/Japanese, which has no spaces and breaks between characters;
Thai, which has none between words, breaks between the words its segmenter finds).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from localize.markets import SubtitleRules
from localize.subtitle import thai
from localize.subtitle.breaks import WordLists, break_cost, word_lists
from localize.subtitle.frames import FrameClock
from localize.subtitle.measure import base_language, check_rules, is_unspaced, text_length
from localize.types import Cue, Line

log = logging.getLogger("localize")

# A cue split is worth it only for clearly better boundaries: each extra cue costs this much.
EXTRA_CUE_COST = 20.0
# Cue splits weigh imbalance less than line breaks do: where a sentence ends matters more.
CUE_BALANCE_WEIGHT = 0.3
# Line breaks weigh imbalance per line (half the length difference, for two lines).
LINE_BALANCE_WEIGHT = 0.5
# Among equally good breaks, prefer a shorter top line (the "pyramid" shape).
TOP_HEAVY_COST = 0.5

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_OPENING = frozenset({"Ps", "Pi"})
_MARKS = frozenset({"Mn", "Mc", "Me"})
_CLOSING = frozenset({"Pe", "Pf", "Po"})


@dataclass(frozen=True)
class _Token:
    text: str
    space_before: bool  # joined to the previous token with a space (False inside an unspaced run)
    length: float


class _Text:
    """The tokens of one line's text with prefix sums, so any span's length is O(1)."""

    def __init__(self, tokens: list[_Token], space: float) -> None:
        self.tokens = tokens
        self.n = len(tokens)
        self._len = [0.0]
        self._gaps = [0.0]  # _gaps[k]: spaces before tokens 0..k-1
        for tok in tokens:
            self._len.append(self._len[-1] + tok.length)
            self._gaps.append(self._gaps[-1] + (space if tok.space_before else 0.0))

    def length(self, i: int, j: int) -> float:
        """Length of tokens[i:j] set on one line (the space before token i is dropped)."""
        if j <= i:
            return 0.0
        return self._len[j] - self._len[i] + self._gaps[j] - self._gaps[i + 1]

    def join(self, i: int, j: int) -> str:
        parts: list[str] = []
        for k in range(i, j):
            tok = self.tokens[k]
            if parts and tok.space_before:
                parts.append(" ")
            parts.append(tok.text)
        return "".join(parts)

    def lines_needed(self, i: int, j: int, width: float) -> int:
        """Lines that tokens[i:j] take when filled greedily (the fewest possible)."""
        lines, start = 1, i
        for k in range(i + 1, j):
            if self.length(start, k + 1) > width:
                lines, start = lines + 1, k
        return lines


def make_cues(lines: Sequence[Line], rules: SubtitleRules, fps: float, language: str) -> tuple[Cue, ...]:
    """Cues for translated lines, in the order of `lines`; untimed beyond the lines' own times.

    `fps` puts the split points between cues of one line on frame boundaries, so
    `apply_timing` keeps them apart. Empty or blank targets give no cue.
    """
    check_rules(rules)
    clock = FrameClock.from_fps(fps)
    lists = word_lists(language)
    cues: list[Cue] = []
    for line in lines:
        text = _tokenize(line.target, language, rules.max_chars_per_line)
        if text.n == 0:
            log.debug("line %d has no target text; no cue", line.index)
            continue
        chunks = _split_cues(text, rules, lists)
        spans = _share_time(line, [text.length(i, j) for i, j in chunks], clock)
        for (i, j), (start, end) in zip(chunks, spans, strict=True):
            rows = _break_lines(text, i, j, rules.max_chars_per_line, lists)
            cues.append(Cue(start_ms=start, end_ms=end, lines=tuple(text.join(a, b) for a, b in rows),
                            line_index=line.index, speaker=line.speaker))
        if len(chunks) > 1:
            log.debug("line %d split into %d cues", line.index, len(chunks))
    return tuple(cues)


def break_text(text: str, rules: SubtitleRules, language: str) -> tuple[tuple[str, ...], ...]:
    """The lines of each cue one piece of text would become (no timing): for previews and tests."""
    check_rules(rules)
    tokens = _tokenize(text, language, rules.max_chars_per_line)
    lists = word_lists(language)
    return tuple(
        tuple(tokens.join(a, b) for a, b in _break_lines(tokens, i, j, rules.max_chars_per_line, lists))
        for i, j in (_split_cues(tokens, rules, lists) if tokens.n else [])
    )


def _tokenize(raw: str, language: str, width: int) -> _Text:
    """Words (or characters, for unspaced scripts), with words longer than a line cut to fit."""
    text = unicodedata.normalize("NFC", raw)
    tokens: list[_Token] = []
    for word in text.split():
        pieces = _pieces(word, language)
        for p, piece in enumerate(pieces):
            for c, part in enumerate(_cut_to_width(piece, language, width)):
                first = p == 0 and c == 0
                tokens.append(_Token(part, first and bool(tokens), text_length(part, language)))
    return _Text(tokens, text_length(" ", language))


def _pieces(word: str, language: str) -> list[str]:
    """The units a line may break between inside one space-separated word."""
    if is_unspaced(language):
        return _unspaced_units(word)
    if base_language(language) == "th":  # words, found by a segmenter: never break inside one
        return thai.words(word)
    return [word]


def _unspaced_units(word: str) -> list[str]:
    """Characters of a Chinese/Japanese run, with punctuation kept on the side it belongs to.

    Latin runs inside the text ("OK", "3D") stay whole; closing punctuation sticks to the
    character before it and opening punctuation to the one after, so no line starts with "，".
    """
    raw: list[str] = []
    for ch in word:
        separate = bool(_CJK_CHAR.match(ch)) or unicodedata.category(ch).startswith("P")
        if not separate and raw and not _CJK_CHAR.match(raw[-1][-1]) \
                and not unicodedata.category(raw[-1][-1]).startswith("P"):
            raw[-1] += ch
        else:
            raw.append(ch)
    units: list[str] = []
    pending_open = ""
    for unit in raw:
        category = unicodedata.category(unit[0])
        if len(unit) == 1 and category in _OPENING:
            pending_open += unit
        elif len(unit) == 1 and category in _CLOSING and units and not pending_open:
            units[-1] += unit
        else:
            units.append(pending_open + unit)
            pending_open = ""
    if pending_open:
        units.append(pending_open)
    return units


def _cut_to_width(word: str, language: str, width: int) -> list[str]:
    if text_length(word, language) <= width:
        return [word]
    parts, current = [], ""
    for ch in word:  # a combining mark (Thai vowel or tone, an accent) stays on its letter
        if current and text_length(current + ch, language) > width and unicodedata.category(ch) not in _MARKS:
            parts.append(current)
            current = ""
        current += ch
    parts.append(current)
    return parts


def _split_cues(text: _Text, rules: SubtitleRules, lists: WordLists) -> list[tuple[int, int]]:
    """Token spans, one per cue: the fewest cues (or one more, if it splits much better)."""
    n, width = text.n, rules.max_chars_per_line
    reach = _reach(text, width, rules.max_lines)
    if reach[0] >= n:
        return [(0, n)]
    fewest, pos = 0, 0
    while pos < n:
        pos, fewest = reach[pos], fewest + 1
    best: tuple[float, list[tuple[int, int]]] | None = None
    for count in (fewest, fewest + 1):
        if count > n:
            break
        found = _best_chunks(text, reach, count, lists)
        if found is not None and (best is None or found[0] + EXTRA_CUE_COST * count < best[0]):
            best = (found[0] + EXTRA_CUE_COST * count, found[1])
    return best[1] if best else [(0, n)]


def _reach(text: _Text, width: int, max_lines: int) -> list[int]:
    """reach[i]: end of the longest span starting at token i that fits in one cue.

    Never decreases with i (dropping a leading word never needs more lines), so the
    spans that can end at j start in one contiguous range: the chunk search is linear.
    """
    reach = [0] * (text.n + 1)
    for i in range(text.n):
        j, lines, start = i + 1, 1, i
        while j < text.n:
            if text.length(start, j + 1) > width:
                if lines == max_lines:
                    break
                lines, start = lines + 1, j
            j += 1
        reach[i] = j
    reach[text.n] = text.n
    return reach


def _best_chunks(text: _Text, reach: list[int], count: int,
                 lists: WordLists) -> tuple[float, list[tuple[int, int]]] | None:
    n = text.n
    average = text.length(0, n) / count
    inf = float("inf")
    cost = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[-1] * (n + 1) for _ in range(count + 1)]
    cost[0][0] = 0.0
    for c in range(1, count + 1):
        for j in range(1, n + 1):
            i = j - 1
            while i >= 0 and reach[i] >= j:
                if cost[c - 1][i] < inf:
                    total = cost[c - 1][i] + CUE_BALANCE_WEIGHT * abs(text.length(i, j) - average)
                    if i > 0:
                        total += break_cost(text.tokens[i - 1].text, text.tokens[i].text, lists)
                    if total < cost[c][j]:
                        cost[c][j], back[c][j] = total, i
                i -= 1
    if cost[count][n] == inf:
        return None
    return cost[count][n], _walk_back(back, count, n)


def _break_lines(text: _Text, start: int, end: int, width: int,
                 lists: WordLists) -> list[tuple[int, int]]:
    """Token spans, one per text line, for tokens[start:end]: fewest lines, best balanced."""
    count = text.lines_needed(start, end, width)
    if count == 1:
        return [(start, end)]
    average = text.length(start, end) / count
    inf = float("inf")
    size = end - start
    cost = [[inf] * (size + 1) for _ in range(count + 1)]
    back = [[-1] * (size + 1) for _ in range(count + 1)]
    cost[0][0] = 0.0
    for c in range(1, count + 1):
        for j in range(1, size + 1):
            for i in range(j - 1, -1, -1):
                length = text.length(start + i, start + j)
                if length > width:
                    break
                if cost[c - 1][i] == inf:
                    continue
                total = cost[c - 1][i] + LINE_BALANCE_WEIGHT * abs(length - average)
                if i > 0:
                    total += break_cost(text.tokens[start + i - 1].text, text.tokens[start + i].text, lists)
                    if c == 2 and text.length(start, start + i) > length:
                        total += TOP_HEAVY_COST
                if total < cost[c][j]:
                    cost[c][j], back[c][j] = total, i
    if cost[count][size] == inf:  # cannot happen: every token fits a line; keep greedy as a guard
        return [(start, end)]
    return [(start + a, start + b) for a, b in _walk_back(back, count, size)]


def _walk_back(back: list[list[int]], count: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for c in range(count, 0, -1):
        begin = back[c][end]
        spans.append((begin, end))
        end = begin
    return spans[::-1]


def _share_time(line: Line, weights: list[float], clock: FrameClock) -> list[tuple[int, int]]:
    """Split the line's time span in proportion to `weights`; inner cut points on frame starts."""
    start, end = line.start_ms, max(line.end_ms, line.start_ms)
    if len(weights) == 1:
        return [(start, end)]
    total = sum(weights) or float(len(weights))
    cuts = [start]
    running = 0.0
    for weight in weights[:-1]:
        running += weight
        cut = clock.ms(clock.frame_at_or_before(start + round((end - start) * running / total)))
        cuts.append(min(max(cut, cuts[-1]), end))
    cuts.append(end)
    return list(pairwise(cuts))
