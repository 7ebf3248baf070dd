"""Segmentation: line breaking and splitting lines into cues (properties and concrete examples)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localize.markets import SubtitleRules
from localize.subtitle import InvalidSettingError, break_text, make_cues, text_length
from localize.subtitle.breaks import WORD_LISTS, break_cost, word_lists
from localize.types import Line

EN = SubtitleRules(max_chars_per_line=42, max_lines=2, max_cps=20.0)

_FUNCTION_WORDS = sorted({w for lists in WORD_LISTS.values()
                          for group in (lists.articles, lists.prepositions, lists.conjunctions,
                                        lists.pronouns)
                          for w in group})
_word = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéñçãõ", min_size=1, max_size=12),
    st.sampled_from(_FUNCTION_WORDS),
    st.sampled_from(["Lin", "Xiao", "Mr.", "Zhang", "Wei", "I", "10", "—", "-"]),
    st.text(alphabet="abcdefghij", min_size=30, max_size=90),  # longer than some line limits
)
_punct = st.sampled_from(["", "", "", ",", ".", "?", "!", ";", ":", "...", "…"])
_sentence = st.lists(st.tuples(_word, _punct).map("".join), min_size=1, max_size=40).map(" ".join)
_rules = st.builds(SubtitleRules, max_chars_per_line=st.integers(8, 42), max_lines=st.integers(1, 3))
_language = st.sampled_from(["en", "es", "pt", "id", "vi", "th"])


@st.composite
def _lines(draw: st.DrawFn) -> list[Line]:
    count = draw(st.integers(0, 6))
    lines, t = [], draw(st.integers(0, 5000))
    for index in range(count):
        start = t + draw(st.integers(0, 3000))
        end = start + draw(st.integers(0, 9000))
        target = draw(st.one_of(_sentence, st.sampled_from(["", "   ", "\n"])))
        lines.append(Line(index=index, start_ms=start, end_ms=end, source="源", target=target,
                          speaker=draw(st.sampled_from([None, "A", "B"]))))
        t = end
    return lines


@settings(max_examples=200, deadline=None)
@given(lines=_lines(), rules=_rules, language=_language)
def test_cues_respect_limits_and_keep_every_word(lines: list[Line], rules: SubtitleRules,
                                                  language: str) -> None:
    cues = make_cues(lines, rules, 25.0, language)
    for line in lines:
        mine = [c for c in cues if c.line_index == line.index]
        words = line.target.split()
        if not words:
            assert mine == []
            continue
        assert mine, "a line with text must give at least one cue"
        for cue in mine:
            assert 1 <= len(cue.lines) <= rules.max_lines
            assert all(line_text.strip() == line_text and line_text for line_text in cue.lines)
            assert all(text_length(t, language) <= rules.max_chars_per_line for t in cue.lines)
            assert cue.speaker == line.speaker
        # Nothing lost, nothing invented, order kept.
        joined = [w for cue in mine for t in cue.lines for w in t.split()]
        if all(text_length(w, language) <= rules.max_chars_per_line for w in words):
            assert joined == words
        else:  # only words longer than a line may be cut
            assert "".join(joined) == "".join(words)
        # The line's time is shared out, in order, without gaps or overlaps.
        assert mine[0].start_ms == line.start_ms
        assert mine[-1].end_ms == max(line.end_ms, line.start_ms)
        for a, b in pairwise(mine):
            assert a.end_ms == b.start_ms
            assert a.start_ms <= a.end_ms


@settings(max_examples=200, deadline=None)
@given(text=_sentence, rules=_rules)
def test_one_line_when_it_fits_and_fewest_lines_otherwise(text: str, rules: SubtitleRules) -> None:
    cues = break_text(text, rules, "en")
    if text_length(" ".join(text.split()), "en") <= rules.max_chars_per_line:
        assert cues == ((" ".join(text.split()),),)
    # A cue never has more lines than its words need when filled greedily.
    for cue in cues:
        words = " ".join(cue).split()
        greedy, current = 1, ""
        for w in words:
            candidate = f"{current} {w}" if current else w
            if len(candidate) > rules.max_chars_per_line and current:
                greedy, current = greedy + 1, w
            else:
                current = candidate
        assert len(cue) <= greedy


def _cue_lines(text: str, language: str = "en", rules: SubtitleRules = EN) -> tuple[tuple[str, ...], ...]:
    return break_text(text, rules, language)


def test_breaks_after_the_comma_and_keeps_the_name_together() -> None:
    assert _cue_lines("I told you, Lin Xiao, never come back to this house again") == (
        ("I told you, Lin Xiao,", "never come back to this house again"),)


@pytest.mark.parametrize("text, language", [
    ("If you really loved me, you would never have married that woman", "en"),
    ("I can't believe you would do this to me after everything we've been through", "en"),
    ("Mr. Lin is waiting for you in the car outside the restaurant on the corner", "en"),
    ("Te dije que nunca volvieras a esta casa, Lin Xiao, nunca más en tu vida", "es"),
    ("Eu já te disse que você não pode voltar para esta casa nunca mais", "pt"),
    ("Nunca pensé que mi propio hermano me traicionaría de esta manera tan cruel", "es"),
])
def test_no_line_ends_with_an_article_preposition_pronoun_or_title(text: str, language: str) -> None:
    lists = word_lists(language)
    forbidden = lists.articles | lists.prepositions | lists.titles | {"i", "he", "she", "we", "they", "yo"}
    for cue in _cue_lines(text, language):
        assert len(cue) == 2
        last_word = cue[0].split()[-1].lower()
        assert last_word not in forbidden, cue
        assert cue[0] and cue[1]


def test_examples_break_where_a_subtitler_would() -> None:
    assert _cue_lines("If you really loved me, you would never have married that woman") == (
        ("If you really loved me,", "you would never have married that woman"),)
    assert _cue_lines("Mr. Lin is waiting for you in the car outside the restaurant on the corner") == (
        ("Mr. Lin is waiting for you in the car", "outside the restaurant on the corner"),)
    assert _cue_lines("Te dije que nunca volvieras a esta casa, Lin Xiao, nunca más en tu vida", "es") == (
        ("Te dije que nunca volvieras a esta casa,", "Lin Xiao, nunca más en tu vida"),)


def test_long_text_splits_into_cues_at_sentence_ends() -> None:
    text = ("Where were you last night? I called you ten times and you never answered. "
            "Are you seeing someone else? Tell me the truth!")
    cues = _cue_lines(text)
    assert len(cues) == 2
    assert cues[0][-1].endswith("answered.")
    assert cues[1] == ("Are you seeing someone else?", "Tell me the truth!")


def test_split_cues_share_time_by_characters_on_frame_starts() -> None:
    text = "Where were you last night? I called you ten times and you never answered. Tell me the truth!"
    line = Line(index=7, start_ms=1000, end_ms=7000, source="", target=text, speaker="Mom")
    cues = make_cues([line], EN, 25.0, "en")
    assert [c.lines[-1][-1] for c in cues] == ["?", ".", "!"]  # one sentence per cue reads best here
    assert cues[0].start_ms == 1000 and cues[-1].end_ms == 7000
    chars = [sum(len(t) for t in c.lines) for c in cues]
    for k, (a, b) in enumerate(pairwise(cues)):
        assert a.end_ms == b.start_ms and a.end_ms % 40 == 0  # cut on a 25 fps frame
        share = (a.end_ms - 1000) / 6000
        assert abs(share - sum(chars[:k + 1]) / sum(chars)) < 0.02
    assert all(c.line_index == 7 and c.speaker == "Mom" for c in cues)


def test_one_short_line_is_one_cue_with_the_lines_times() -> None:
    cues = make_cues([Line(index=0, start_ms=500, end_ms=1500, source="你好", target="  Hello  there ")],
                     EN, 25.0, "en")
    assert len(cues) == 1
    assert cues[0].lines == ("Hello there",)
    assert (cues[0].start_ms, cues[0].end_ms, cues[0].line_index) == (500, 1500, 0)


def test_blank_targets_give_no_cue() -> None:
    lines = [Line(index=i, start_ms=0, end_ms=1000, source="x", target=t)
             for i, t in enumerate(["", " ", "\n"])]
    assert make_cues(lines, EN, 25.0, "en") == ()


def test_a_word_longer_than_a_line_is_cut_only_then() -> None:
    word = "x" * 100
    cues = _cue_lines(f"look {word} here")
    flat = [t for cue in cues for t in cue]
    assert all(len(t) <= 42 for t in flat)
    assert "".join("".join(flat).split()) == f"look{word}here"
    assert flat[0].startswith("look")


def test_chinese_breaks_between_characters_never_before_punctuation() -> None:
    rules = SubtitleRules(max_chars_per_line=16, max_lines=2)
    text = "我告诉过你，林晓，永远不要再回到这个家来，否则我就报警让他们把你带走。"
    cues = _cue_lines(text, "zh", rules)
    flat = [t for cue in cues for t in cue]
    assert "".join(flat) == text
    assert all(text_length(t, "zh") <= 16 for t in flat)
    assert not any(t[0] in "，。！？、" for t in flat)
    assert flat[0].endswith("，")  # the break falls after a comma


def test_text_length_counts_like_the_style_guides() -> None:
    assert text_length("Hello, world", "en") == 12
    assert text_length("こんにちはabc", "ja") == 6.5
    assert text_length("안녕 OK", "ko") == 2 + 0.5 * 3
    assert text_length("e\u0301", "vi") == 1  # a combining accent takes no cell
    assert text_length("สวัสดี", "th") == 4  # Thai vowel and tone marks take no cell


def test_break_costs_follow_the_rules() -> None:
    en = word_lists("en-US")
    assert break_cost("you,", "Lin", en) < 0
    assert break_cost("night?", "I", en) < break_cost("you,", "Lin", en)
    assert break_cost("the", "house", en) > 0
    assert break_cost("to", "this", en) > 0
    assert break_cost("Lin", "Xiao", en) > 0
    assert break_cost("Mr.", "Lin", en) > 0
    assert break_cost("she", "said", en) > 0
    assert break_cost("come", "and", en) < 0
    assert break_cost("house", "with", en) < 0
    assert break_cost("好", "，", word_lists("zh")) > 100


def test_invalid_rules_are_rejected_with_the_value() -> None:
    with pytest.raises(InvalidSettingError, match="max_chars_per_line"):
        make_cues([], SubtitleRules(max_chars_per_line=0), 25.0, "en")
    with pytest.raises(InvalidSettingError, match="frame rate"):
        make_cues([], EN, 0.0, "en")
