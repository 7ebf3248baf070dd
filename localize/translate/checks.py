"""Checks every machine-translated line; a failed check becomes a TranslationFlag.

Small MT models fail in recognisable ways: they leave Chinese in, write another
script, loop on a phrase, stop at once, copy the source, or repeat one of the
prompt's examples. Each check below looks for one of these.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from localize.markets import Market
from localize.translate.fewshot import EXAMPLES
from localize.translate.scripts import is_han, is_kana, prefixes
from localize.types import Severity, TranslationFlag

EMPTY = "empty"
CHINESE_LEFT = "chinese-left"
WRONG_SCRIPT = "wrong-script"
CJK_PUNCTUATION = "cjk-punctuation"
REPETITION = "repetition"
TOO_LONG = "too-long"
COPIED_SOURCE = "copied-source"
EXAMPLE_DRIFT = "example-drift"
GARBLED = "garbled"
CODES = (
    EMPTY,
    CHINESE_LEFT,
    WRONG_SCRIPT,
    CJK_PUNCTUATION,
    REPETITION,
    TOO_LONG,
    COPIED_SOURCE,
    EXAMPLE_DRIFT,
    GARBLED,
)

# What each check means for a reviewer (a finding "mt-<code>"); an error unless its flag says otherwise.
MEANINGS: dict[str, str] = {
    EMPTY: "no text in the translation",
    CHINESE_LEFT: "Chinese characters left in the translation",
    WRONG_SCRIPT: "letters of another script (a warning for a few Latin words in a non-Latin line)",
    CJK_PUNCTUATION: "full-width punctuation left in (a warning)",
    REPETITION: "the engine looped; the line was cut where the loop starts",
    TOO_LONG: "far longer than the Chinese could mean",
    COPIED_SOURCE: "the Chinese copied instead of translated",
    EXAMPLE_DRIFT: "one of the prompt's examples repeated instead of a translation",
    GARBLED: "undecodable or control characters",
}

MIN_HAN_WITHOUT_KANA = 5  # Japanese lines this long always have kana; "社長！" or "林暁" may not
MAX_SAME_WORD_RUN = 4  # "no, no, no, no" is drama; a fifth in a row is a loop
MAX_PHRASE_REPEATS = 2  # a phrase of 3+ words said three times is a loop
MAX_PAIR_REPEATS = 3  # a word pair said four times is a loop
LENGTH_FLOOR = 30  # characters any short line may take ("好" -> "All right, fine.")
LENGTH_PER_CHAR = 6.0  # target characters per source character before it is implausible

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
MAX_LATIN_SHARE = 0.5  # of a non-Latin line's letters: more, and the engine answered in another language
MAX_ACRONYM = 5  # "OK", "CEO", "VIP", "KTV": Latin words a non-Latin subtitle keeps as they are
_CHAR_LOOP = re.compile(r"(\S{1,4}?)\1{7,}")  # "hahahahahahahaha", "!!!!!!!!"


def check_line(source: str, target: str, market: Market) -> tuple[TranslationFlag, ...]:
    """Every flag that applies to `target`, the translation of `source` for `market`."""
    if not source.strip():
        return ()
    if not any(ch.isalnum() for ch in target):
        flags = [_flag(EMPTY, f"no text in the translation: {target!r}"), _garbled(target)]
    else:
        flags = [
            _garbled(target),
            _chinese_left(target, market.language),
            _wrong_script(target, market.script),
            None if market.language == "ja" else _cjk_punctuation(target),  # 。、「」 are Japanese too
            _repetition(target),
            _too_long(source, target),
            _copied_source(source, target),
            _example_drift(source, target, market.language),
        ]
    return tuple(f for f in flags if f is not None)


def error_count(source: str, target: str, market: Market) -> int:
    """How many error flags `check_line` gives the translation (warnings not counted)."""
    return sum(1 for flag in check_line(source, target, market) if flag.severity is Severity.ERROR)


def _flag(code: str, message: str, severity: Severity = Severity.ERROR) -> TranslationFlag:
    return TranslationFlag(code, message, severity)


def _quote(chars: Iterable[str]) -> str:
    unique = "".join(dict.fromkeys(chars))
    return unique[:12] + ("..." if len(unique) > 12 else "")


def _garbled(target: str) -> TranslationFlag | None:
    # U+FFFD comes from decoding a token cut inside a character; control characters are never text.
    bad = [ch for ch in target if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cs") and ch != "\t")]
    if not bad:
        return None
    return _flag(GARBLED, f"{len(bad)} undecodable or control characters in the translation")


def chinese_left(target: str, language: str = "") -> TranslationFlag | None:
    """A `chinese-left` flag when `target` (in `language`) still holds Chinese; also for subtitle QA."""
    return _chinese_left(target, language)


def _chinese_left(target: str, language: str = "") -> TranslationFlag | None:
    han = [ch for ch in target if is_han(ch)]
    if not han:
        return None
    if language == "ja":
        return _chinese_left_in_japanese(target, han)
    return _flag(CHINESE_LEFT, f"{len(han)} Chinese characters left in the translation: {_quote(han)}")


def _chinese_left_in_japanese(target: str, han: list[str]) -> TranslationFlag | None:
    """Kanji are Han characters, so Chinese left in Japanese shows otherwise: characters Japanese
    does not write (simplified forms such as 这 们 说 吗, outside JIS X 0208 and its Windows
    extensions), or a long run of Han with no kana at all (a Chinese sentence, not a Japanese one)."""
    foreign = [ch for ch in han if not _is_japanese_kanji(ch)]
    if foreign:
        return _flag(CHINESE_LEFT, f"{len(foreign)} Chinese characters Japanese does not use: {_quote(foreign)}")
    if len(han) >= MIN_HAN_WITHOUT_KANA and not any(is_kana(ch) for ch in target):
        return _flag(CHINESE_LEFT, f"{len(han)} Han characters and no kana: Chinese, not Japanese? {_quote(han)}")
    return None


def _is_japanese_kanji(char: str) -> bool:
    try:
        char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _wrong_script(target: str, script: str) -> TranslationFlag | None:
    allowed = prefixes(script)
    foreign = [ch for ch in target
               if ch.isalpha() and not is_han(ch) and not unicodedata.name(ch, "").startswith(allowed)]
    if not foreign:
        return None
    latin = [ch for ch in foreign if unicodedata.name(ch, "").startswith("LATIN")]
    letters = sum(1 for ch in target if ch.isalpha())
    if script != "latin" and len(latin) == len(foreign) and len(latin) <= MAX_LATIN_SHARE * letters:
        # Japanese, Korean, Thai and Arabic subtitles write acronyms and brands in Latin letters
        # ("OK", "CEO", "VIP"); other Latin words are worth a look, not an error.
        words = _LATIN_WORD.findall(target)
        if all(word.isupper() and len(word) <= MAX_ACRONYM for word in words):
            return None
        return _flag(WRONG_SCRIPT, f"Latin words in a {script} line: {', '.join(words)}", Severity.WARNING)
    return _flag(WRONG_SCRIPT, f"letters outside the {script} script: {_quote(foreign)}")


def _cjk_punctuation(target: str) -> TranslationFlag | None:
    marks = [ch for ch in target if "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uff65"]
    if not marks:
        return None
    return _flag(CJK_PUNCTUATION, f"full-width punctuation left in: {_quote(marks)}", Severity.WARNING)


def _repetition(target: str) -> TranslationFlag | None:
    words = [w.casefold() for w in _WORD.findall(target)]
    run = longest_run(words)
    if run > MAX_SAME_WORD_RUN:
        return _flag(REPETITION, f"the same word {run} times in a row")
    for size, limit in ((2, MAX_PAIR_REPEATS), (3, MAX_PHRASE_REPEATS)):
        grams = Counter(tuple(words[i : i + size]) for i in range(len(words) - size + 1))
        if grams:
            gram, count = grams.most_common(1)[0]
            if count > limit:
                return _flag(REPETITION, f"{' '.join(gram)!r} repeated {count} times")
    loop = _CHAR_LOOP.search(target)
    if loop:
        return _flag(REPETITION, f"{loop.group(1)!r} repeated in a loop")
    return None


def cut_repetition(target: str) -> str:
    """`target` cut where it starts looping, so what is left is no pure repetition: a word said
    three times in a row is kept ("no, no, no"), a longer unit twice, the rest cut and "..." added.
    Text with no loop comes back unchanged."""
    text = target
    for _ in range(8):  # each pass cuts one loop; what is left may loop earlier on a shorter unit
        if _repetition(text) is None:
            return text
        end = _loop_cut(text)
        if end is None or end >= len(text):
            return text
        text = text[:end].rstrip(" ,;:-–—") + "..."
    return text


def _loop_cut(text: str) -> int | None:
    """Character offset after the last kept word of the first loop in `text`."""
    words = list(_WORD.finditer(text))
    folded = [w.group().casefold() for w in words]
    for i in range(len(folded)):
        for period in range(1, 7):
            unit = folded[i:i + period]
            if len(unit) < period:
                break
            repeats = 1
            while folded[i + repeats * period:i + (repeats + 1) * period] == unit:
                repeats += 1
            keep = 3 if period == 1 else 2
            if repeats > keep and repeats * period >= 4:
                return words[i + keep * period - 1].end()
    loop = _CHAR_LOOP.search(text)
    if loop:
        return loop.start() + 3 * len(loop.group(1))
    for size, limit in ((2, MAX_PAIR_REPEATS), (3, MAX_PHRASE_REPEATS)):  # a phrase said again and again
        grams = [tuple(folded[i:i + size]) for i in range(len(folded) - size + 1)]
        for i, gram in enumerate(grams):
            if grams[:i + 1].count(gram) > limit:
                return words[i - 1].end() if i else 0
    return None


def longest_run(items: list[str]) -> int:
    best = current = 0
    for i, item in enumerate(items):
        current = current + 1 if i and item == items[i - 1] else 1
        best = max(best, current)
    return best


def _too_long(source: str, target: str) -> TranslationFlag | None:
    source_chars = len("".join(source.split()))
    limit = LENGTH_FLOOR + LENGTH_PER_CHAR * source_chars
    if len(target) <= limit:
        return None
    return _flag(TOO_LONG, f"{len(target)} characters for a {source_chars}-character source (limit {limit:.0f})")


def _normal(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _copied_source(source: str, target: str) -> TranslationFlag | None:
    if not any(is_han(ch) for ch in source):
        return None  # "OK!" may rightly stay "OK!"
    src, tgt = _normal(source), _normal(target)
    if src and (tgt == src or (len(src) >= 2 and src in tgt)):
        return _flag(COPIED_SOURCE, "the translation repeats the Chinese source")
    return None


def _example_drift(source: str, target: str, language: str) -> TranslationFlag | None:
    for example in EXAMPLES.get(language, ()):
        if _normal(target) == _normal(example.target) and _normal(source) != _normal(example.source):
            return _flag(EXAMPLE_DRIFT, f"the translation is a prompt example ({example.target!r}), not this line")
    return None
