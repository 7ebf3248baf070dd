"""How long a subtitle line is, counted the way the style guides count it.

Netflix counts every visible character, spaces and punctuation included, except
in character-based languages (Chinese, Japanese, Korean), where half-width
characters (Latin letters, digits, spaces, ASCII punctuation) count 0.5: Japanese
counts full-width characters (kana, kanji, 。、「」) 1 and half-width 0.5; Korean counts
Hangul 1 and Latin letters, digits, spaces and punctuation 0.5.
Combining marks (Thai vowels and tone marks, accents in decomposed text) take
no cell of their own, so they are not counted.
"""

from __future__ import annotations

import unicodedata

from localize.markets import SubtitleRules
from localize.subtitle.errors import InvalidSettingError

# Languages written without spaces between words: lines may break between characters.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "yue", "cmn", "wuu", "lzh"})
# Character-based languages: half-width characters (Latin, digits, ASCII punctuation) count 0.5.
_HALF_WIDTH_LANGUAGES = frozenset({"ja", "ko", "zh", "yue", "cmn", "wuu", "lzh"})
_INVISIBLE = frozenset({"Mn", "Me", "Cf"})
_WIDE = ("W", "F")
# Japanese sets "ambiguous" characters (…, ―, ※, ○) full-width: Japanese fonts draw them one cell wide.
# Korean counts them 0.5, as it counts all punctuation.
_WIDE_JAPANESE = ("W", "F", "A")


def base_language(language: str) -> str:
    """"pt-BR" -> "pt", "zh_Hans" -> "zh"."""
    return language.replace("_", "-").split("-")[0].strip().lower()


def is_unspaced(language: str) -> bool:
    return base_language(language) in UNSPACED_LANGUAGES


def text_length(text: str, language: str) -> float:
    """Characters of `text` as counted against max chars per line (line breaks not counted)."""
    base = base_language(language)
    half = base in _HALF_WIDTH_LANGUAGES
    wide = _WIDE_JAPANESE if base == "ja" else _WIDE
    total = 0.0
    for ch in text:
        if ch == "\n" or unicodedata.category(ch) in _INVISIBLE:
            continue
        if half and unicodedata.east_asian_width(ch) not in wide:
            total += 0.5
        else:
            total += 1.0
    return total


def format_count(value: float) -> str:
    """47.0 -> "47", 12.5 -> "12.5": counts read naturally in QA messages."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def check_rules(rules: SubtitleRules) -> SubtitleRules:
    """Reject rules no subtitle can satisfy, before any arithmetic depends on them."""
    if rules.max_chars_per_line < 1:
        raise InvalidSettingError("max_chars_per_line", rules.max_chars_per_line, "1 or more")
    if rules.max_lines < 1:
        raise InvalidSettingError("max_lines", rules.max_lines, "1 or more")
    if rules.max_cps <= 0:
        raise InvalidSettingError("max_cps", rules.max_cps, "a positive number")
    if rules.max_duration_ms < 1 or rules.min_duration_ms < 0:
        raise InvalidSettingError("duration limits", (rules.min_duration_ms, rules.max_duration_ms),
                                  "min >= 0 ms and max >= 1 ms")
    for name in ("min_gap_frames", "chain_gap_frames", "end_pad_frames"):
        if getattr(rules, name) < 0:
            raise InvalidSettingError(name, getattr(rules, name), "0 or more frames")
    return rules
