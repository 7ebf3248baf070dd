"""Writing systems a market's text is expected in, by the names of their letters.

Letters of a script carry its name first in the Unicode character name ("LATIN SMALL
LETTER A", "HIRAGANA LETTER A"). Japanese mixes three scripts: hiragana, katakana and
kanji (Han ideographs). One table, read by the line checks (`checks.py`) and by the
causal LM's token suppression (`hf_adapter.foreign_script_ids`).
To add a script: one entry in `SCRIPT_PREFIXES`; markets name it in `Market.script`.
"""

from __future__ import annotations

import unicodedata

from localize.errors import UnknownNameError

_HAN = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")

SCRIPT_PREFIXES: dict[str, tuple[str, ...]] = {
    "latin": ("LATIN",),
    "cyrillic": ("CYRILLIC",),
    "arabic": ("ARABIC",),
    "thai": ("THAI",),
    "hangul": ("HANGUL",),
    "devanagari": ("DEVANAGARI",),
    # ー (prolonged sound mark) is "KATAKANA-HIRAGANA ...", 々 is "IDEOGRAPHIC ITERATION MARK".
    "japanese": ("HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "IDEOGRAPHIC ITERATION", *_HAN),
}
KANA = ("HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA")


def prefixes(script: str) -> tuple[str, ...]:
    try:
        return SCRIPT_PREFIXES[script]
    except KeyError:
        raise UnknownNameError("script", script, SCRIPT_PREFIXES) from None


def in_script(char: str, script_prefixes: tuple[str, ...]) -> bool:
    """Whether `char`'s Unicode name says it belongs to one of the scripts."""
    return unicodedata.name(char, "").startswith(script_prefixes)


def is_han(char: str) -> bool:
    """A Chinese character (CJK ideograph), also used as kanji in Japanese."""
    return unicodedata.name(char, "").startswith(_HAN)


def is_kana(char: str) -> bool:
    return unicodedata.name(char, "").startswith(KANA)
