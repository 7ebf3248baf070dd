"""Properties for every market: word-timed lines in the market's language through segmentation,
timing and lint, then through every subtitle format and back."""

from __future__ import annotations

import tempfile
import unicodedata
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localize.markets import Market, SubtitleRules, get_market, market_codes
from localize.subtitle import FrameClock, apply_timing, check_cues, make_cues, read_cues, text_length, write_subtitles
from localize.subtitle.bidi import mark_rtl, strip_marks
from localize.subtitle.formats import WRITERS
from localize.subtitle.layout import VerticalLayout
from localize.types import Cue, Line

# Every writer the registry has round-trips (TTML joins when its writer and reader are registered).
FORMATS = [fmt for fmt in ("srt", "vtt", "ass", "ttml") if fmt in WRITERS]

# Words of each language, written for these tests; Thai and Japanese pieces are joined without spaces.
WORDS = {
    "en": "I told you Lin Xiao, never come back to the house. Why? because mother said so!",
    "es": "No me voy a rendir, ¿por qué? la casa de Lin Xiao madre dijo así!",
    "pt": "Eu não vou desistir da casa, Lin Xiao por que? mãe disse assim!",
    "fr": "Je ne reviendrai jamais à la maison, Lin Xiao pourquoi ? mère l'a dit !",
    "de": "Ich komme nie wieder nach Hause, Lin Xiao warum? weil Schwiegermutter es sagte.",
    "id": "Aku tidak akan pulang ke rumah, Lin Xiao kenapa? karena ibu bilang begitu!",
    "vi": "Tôi sẽ không bao giờ về nhà, Lâm Hiểu tại sao? vì mẹ nói vậy! Trương Hạo",
    "tr": "Bir daha asla eve dönmeyeceğim, Lin Xiao neden? çünkü annem öyle söyledi! kayınvalide",
    "ar": "لن أعود إلى البيت أبدًا، لين شياو لماذا؟ لأن أمي قالت ذلك! تستطيع",
    "th": "ฉัน จะ ไม่ กลับ บ้าน อีก แล้ว หลินเสี่ยว ทำไม เพราะ แม่ บอก อย่างนั้น แม่สามี",
    "ja": "私は 二度と 家に 帰らない 林暁、 どうして？ だって お母さんが そう言った から！ OK",
    "ko": "난 다시는 집에 안 돌아가 린샤오, 왜? 왜냐하면 엄마가 그렇게 말했으니까! CEO",
}
JOINED = {"th", "ja"}  # no spaces between words: the pieces of one phrase are joined
HARD = {"line-too-long", "too-many-lines", "overlap", "gap-too-small", "duration-too-long", "empty-cue",
        "duration-not-positive"}
FPS = [23.976, 25.0, 29.97, 30.0]


def _phrase(language: str) -> st.SearchStrategy[str]:
    pieces = st.lists(st.sampled_from(WORDS[language].split()), min_size=1, max_size=8)
    return pieces.map(("" if language in JOINED else " ").join)


@st.composite
def _lines(draw: st.DrawFn, language: str) -> list[Line]:
    """Lines as ASR and translation give them: word-timed speech, any gaps, any lengths."""
    lines, t = [], draw(st.integers(0, 3000))
    for index in range(draw(st.integers(1, 8))):
        start = t + draw(st.integers(0, 4000))
        end = start + draw(st.integers(0, 9000))
        text = " ".join(draw(st.lists(_phrase(language), min_size=1, max_size=4)))
        lines.append(Line(index=index, start_ms=start, end_ms=end, source="源", target=text))
        t = end
    return lines


def _pipeline(lines: list[Line], market: Market, fps: float) -> tuple[list[Cue], list[str], SubtitleRules]:
    rules = VerticalLayout.for_market(market).fit_rules(market.rules)
    cues = list(apply_timing(make_cues(lines, rules, fps, market.language), rules, fps))
    findings = check_cues(cues, rules, fps, language=market.language)
    return cues, [f"{f.code}|{f.start_ms}|{f.message}" for f in findings], rules


@pytest.mark.parametrize("code", market_codes())
@settings(max_examples=25, deadline=None)
@given(data=st.data(), fps=st.sampled_from(FPS))
def test_every_market_meets_its_rules_or_names_the_broken_one(code: str, data: st.DataObject, fps: float) -> None:
    market = get_market(code)
    lines = data.draw(_lines(market.language))
    cues, findings, rules = _pipeline(lines, market, fps)
    assert not [f for f in findings if f.split("|")[0] in HARD]
    clock = FrameClock.from_fps(fps)
    gap = clock.span_ms(rules.min_gap_frames)
    ordered = sorted(cues, key=lambda c: c.start_ms)
    for before, after in pairwise(ordered):
        assert after.start_ms - before.end_ms >= gap  # never overlapping, always the 2-frame gap
    for cue in cues:
        assert 1 <= len(cue.lines) <= rules.max_lines
        assert all(text_length(line, market.language) <= rules.max_chars_per_line
                   for line in cue.lines)
        assert all(unicodedata.is_normalized("NFC", line) for line in cue.lines)
        named = {f.split("|")[0] for f in findings if int(f.split("|")[1]) == cue.start_ms}
        characters = sum(text_length(line, market.language) for line in cue.lines)
        if characters / (cue.duration_ms / 1000) > rules.max_cps + 1e-9:
            assert "cps-too-high" in named
        if cue.duration_ms < rules.min_duration_ms:
            assert "duration-too-short" in named
    if market.language == "th":
        _assert_thai_words(lines, cues)


def _assert_thai_words(lines: list[Line], cues: list[Cue]) -> None:
    from localize.subtitle.thai import boundaries

    for line in lines:
        text = " ".join(line.target.split())
        allowed, at = boundaries(text), 0
        for cue in (c for c in cues if c.line_index == line.index):  # in reading order, even when timed together
            for row in cue.lines:
                at = text.index(row, at)
                assert at in allowed and at + len(row) in allowed, (text, row)
                at += len(row)


@pytest.mark.parametrize("code", market_codes())
@settings(max_examples=15, deadline=None)
@given(data=st.data(), fps=st.sampled_from(FPS))
def test_every_market_round_trips_through_every_format(code: str, data: st.DataObject, fps: float) -> None:
    market = get_market(code)
    cues, _, _ = _pipeline(data.draw(_lines(market.language)), market, fps)
    written = mark_rtl(cues) if market.rtl else tuple(cues)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            path = write_subtitles(written, Path(tmp) / f"ep.{fmt}", fmt, layout=VerticalLayout.for_market(market),
                                   cover=None, episode_duration_ms=200_000)
            back = [(c.start_ms, c.end_ms, tuple(strip_marks(t) for t in c.lines)) for c in read_cues(path)]
            step = 10 if fmt == "ass" else 1  # ASS keeps centiseconds, floored
            expected = [(c.start_ms // step * step, c.end_ms // step * step, c.lines) for c in cues]
            assert back == expected, fmt
            if market.rtl and fmt in ("srt", "vtt"):  # each Arabic text line opens with RLE
                text = path.read_text(encoding="utf-8-sig")
                rows = [r for r in text.splitlines() if any("\u0600" <= ch <= "\u06ff" for ch in r)]
                assert rows and all(r.startswith("\u202b") for r in rows)
