"""Each output check of localize.translate.checks, one flag code at a time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from localize.errors import UnknownNameError
from localize.markets import get_market
from localize.translate import checks
from localize.translate.fewshot import EXAMPLES
from localize.types import Severity

EN = get_market("en-US")
ES = get_market("es-419")


def codes(source: str, target: str, market=EN) -> list[str]:
    return [flag.code for flag in checks.check_line(source, target, market)]


def test_a_good_line_has_no_flags() -> None:
    assert codes("林晓，我们离婚吧。", "Lin Xiao, let's get a divorce.") == []
    assert codes("你这个白眼狼！", "¡Malagradecida!", ES) == []


def test_accents_and_typographic_apostrophes_are_latin() -> None:
    assert codes("我没事。", "Estoy bien, ¿y tú? Ça va. Don’t worry.", ES) == []


@pytest.mark.parametrize("target", ["", "   ", "...", "？"])
def test_empty(target: str) -> None:
    assert codes("你好", target) == [checks.EMPTY]


def test_an_empty_source_needs_no_translation() -> None:
    assert codes("  ", "") == []


def test_chinese_left_names_the_characters() -> None:
    (flag,) = [f for f in checks.check_line("外面下雨了", "Miss, 下雨了", EN) if f.code == checks.CHINESE_LEFT]
    assert "下雨了" in flag.message
    assert flag.severity is Severity.ERROR


def test_wrong_script_for_a_latin_market() -> None:
    assert codes("谢谢", "Спасибо") == [checks.WRONG_SCRIPT]
    assert codes("谢谢", "ありがとう") == [checks.WRONG_SCRIPT]


def test_script_check_follows_the_market() -> None:
    russian = replace(EN, script="cyrillic")
    assert codes("谢谢", "Спасибо", russian) == []
    assert codes("谢谢", "Thanks", russian) == [checks.WRONG_SCRIPT]


def test_unknown_script_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="latin"):
        checks.check_line("谢谢", "Thanks", replace(EN, script="klingon"))


def test_full_width_punctuation_is_a_warning() -> None:
    (flag,) = checks.check_line("好的", "OK，fine", EN)
    assert flag.code == checks.CJK_PUNCTUATION
    assert flag.severity is Severity.WARNING


@pytest.mark.parametrize(
    "target",
    [
        "No no no no no no.",
        "I love you, I love you, I love you, I love you.",
        "Mom and Mom and Mom and Mom and Mom",
        "Hahahahahahahahahahaha",
    ],
)
def test_repetition(target: str) -> None:
    assert checks.REPETITION in codes("不要！不要！", target)


def test_ordinary_repeats_are_not_loops() -> None:
    assert codes("不要！", "No, no, no, no!") == []
    assert codes("你说什么？", "What? What did you say?") == []


def test_too_long_for_the_source() -> None:
    assert codes("好", "All right.") == []
    assert codes("好", "Good. " + "Then the company will be sold to the family and everyone goes home.") == [
        checks.TOO_LONG
    ]


def test_copied_source() -> None:
    assert checks.COPIED_SOURCE in codes("我们离婚吧。", "我们离婚吧。")
    assert checks.COPIED_SOURCE in codes("我们离婚吧。", "Lin: 我们离婚吧")


def test_a_latin_source_may_stay_as_it_is() -> None:
    assert codes("OK!", "OK!") == []


def test_drift_back_to_a_prompt_example() -> None:
    example = EXAMPLES["en"][0]
    assert codes("林晓，我们离婚吧。", example.target) == [checks.EXAMPLE_DRIFT]
    assert codes(example.source, example.target) == []


def test_garbled_characters() -> None:
    assert codes("好", "OK\ufffd") == [checks.GARBLED]
    assert codes("好", "OK\x08") == [checks.GARBLED]
    assert codes("好", "\ufffd\ufffd") == [checks.EMPTY, checks.GARBLED]


def test_every_code_is_listed() -> None:
    assert set(checks.CODES) == {
        "empty",
        "chinese-left",
        "wrong-script",
        "cjk-punctuation",
        "repetition",
        "too-long",
        "copied-source",
        "example-drift",
        "garbled",
    }


@pytest.mark.parametrize(("market", "target", "expected"), [
    ("ja-JP", "OKです、CEOに会います。", []),  # acronyms in Latin letters are ordinary Japanese subtitles
    ("th-TH", "โอเค VIP ครับ", []),
    ("ko-KR", "저는 happy 사람이에요 정말로 그래요", [("wrong-script", "warning")]),  # a Latin word: worth a look
    ("ko-KR", "I am fine, thank you very much.", [("wrong-script", "error")]),  # answered in English
    ("ar", "مرحبا Привет", [("wrong-script", "error")]),  # another non-Latin script
])
def test_latin_in_non_latin_markets(market: str, target: str, expected: list[tuple[str, str]]) -> None:
    flags = checks.check_line("好的，我去见总裁。", target, get_market(market))
    assert [(f.code, f.severity.value) for f in flags if f.code == "wrong-script"] == expected
