"""The twelve markets: registry, the pieces each needs (preflight), widths, scripts, Thai words, bidi marks."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from localize.errors import UnknownMarketError
from localize.market_check import MarketIncompleteError, check_market, require_markets
from localize.markets import VoiceSpec, get_market, market_codes
from localize.subtitle import break_text, text_length
from localize.subtitle.bidi import RLE, mark_rtl, strip_marks
from localize.translate.checks import check_line
from localize.translate.engines import LANGUAGE_CODES
from localize.translate.fewshot import EXAMPLES, SHORTER
from localize.types import Cue

REPO = Path(__file__).resolve().parents[1]
TWELVE = ["ar", "de-DE", "en-US", "es-419", "fr-FR", "id-ID", "ja-JP", "ko-KR", "pt-BR", "th-TH", "tr-TR", "vi-VN"]


def test_the_twelve_markets_and_their_numbers() -> None:
    assert market_codes() == TWELVE
    numbers = {code: (get_market(code).rules.max_chars_per_line, get_market(code).rules.max_cps) for code in TWELVE}
    assert numbers == {"ar": (42, 20.0), "de-DE": (42, 17.0), "en-US": (42, 20.0), "es-419": (42, 17.0),
                       "fr-FR": (42, 17.0), "id-ID": (42, 17.0), "ja-JP": (13, 4.0), "ko-KR": (16, 12.0),
                       "pt-BR": (42, 17.0), "th-TH": (35, 17.0), "tr-TR": (42, 17.0), "vi-VN": (42, 17.0)}
    assert get_market("ar").rtl and get_market("ar").script == "arabic"
    assert all(get_market(c).loudness_lufs == -16.0 for c in TWELVE)


def test_aliases_resolve_to_one_market_and_unknown_codes_list_the_markets() -> None:
    assert get_market("fr-CI") is get_market("fr") is get_market("FR-fr")
    assert "francophone Africa" in get_market("fr-SN").description
    assert get_market("arb").code == "ar"
    with pytest.raises(UnknownMarketError, match="ko-KR"):
        get_market("xx-YY")


@pytest.mark.parametrize("code", TWELVE)
def test_every_market_has_its_pieces(code: str) -> None:
    market = get_market(code)
    assert len(EXAMPLES[market.language]) == 4 and len(SHORTER[market.language]) == 3
    assert market.language in LANGUAGE_CODES
    assert (REPO / "glossaries" / f"{code}.tsv").is_file()
    for example in EXAMPLES[market.language] + SHORTER[market.language]:
        assert unicodedata.is_normalized("NFC", example.target)
        flags = {f.code for f in check_line("源", example.target, market)} - {"too-long", "example-drift"}
        assert not flags, (example.target, flags)  # the built-in examples pass the market's own checks
    assert check_market(market) == []  # font (with the language's letters), voice, examples, segmenter


def test_preflight_refuses_a_market_naming_every_missing_piece() -> None:
    broken = replace(get_market("th-TH"), font="Noto Sans Klingon", voice=VoiceSpec("espeak", "tlh"), language="tlh")
    with pytest.raises(MarketIncompleteError) as caught:
        require_markets([get_market("en-US"), broken])
    message = str(caught.value)
    assert "th-TH: font: 'Noto Sans Klingon' is not installed" in message and "fonts-noto-core" in message
    assert "th-TH: voice: espeak-ng has no voice 'tlh'" in message
    assert "th-TH: few-shot examples" in message and "en-US" not in message
    lacking_letters = replace(get_market("tr-TR"), font="Noto Sans CJK SC")  # no ğ ı ş İ in the CJK font
    (missing,) = check_market(lacking_letters)
    assert missing.piece == "font" and "ğ" in missing.problem


def test_preflight_runs_the_market_check(tmp_path: Path) -> None:
    from flows.season import preflight

    broken = replace(get_market("ja-JP"), font="Noto Sans Nothing")
    with pytest.raises(MarketIncompleteError, match="ja-JP: font"):
        preflight(tmp_path, [broken], tmp_path / "out")


def test_korean_and_japanese_widths() -> None:
    assert text_length("안녕하세요", "ko") == 5  # Hangul 1
    assert text_length("린샤오, OK?", "ko") == 3 + 0.5 * 5  # Latin, space, punctuation 0.5
    assert text_length("林暁、帰ってきたの？", "ja") == 10  # kanji, kana, full-width punctuation 1
    assert text_length("OKです", "ja") == 3  # half-width 0.5
    assert text_length("えっ…", "ja") == 3  # the ellipsis is set full-width in Japanese


def test_scripts_japanese_is_not_chinese_and_chinese_is_found() -> None:
    ja, ko, ar, th = (get_market(c) for c in ("ja-JP", "ko-KR", "ar", "th-TH"))
    assert check_line("林晓，你回来了。", "林暁、帰ってきたのね。", ja) == ()
    assert {f.code for f in check_line("你说什么？", "你说什么？", ja)} >= {"chinese-left"}  # 说 is not Japanese
    assert {f.code for f in check_line("林晓回来了", "林暁回来了吧你", ja)} >= {"chinese-left"}
    assert check_line("你好。", "안녕하세요.", ko) == ()
    assert "chinese-left" in {f.code for f in check_line("你好。", "안녕 你好", ko)}
    assert check_line("你好！", "مرحبا!", ar) == ()
    assert check_line("你好", "สวัสดีครับ", th) == ()
    assert {f.code for f in check_line("你好", "Hello", th)} == {"wrong-script"}


def test_thai_breaks_only_between_words() -> None:
    from localize.subtitle.thai import boundaries

    text = "ฉันไม่อยากกลับบ้านคืนนี้เพราะฝนตกหนักมากและฉันก็เหนื่อยมากด้วย"
    rules = get_market("th-TH").rules
    (cue,) = break_text(text, rules, "th")
    assert len(cue) == 2 and "".join(cue) == text
    assert len(cue[0]) in boundaries(text)
    # A run longer than a line with no word boundary is cut, but never before a vowel or tone mark.
    long_word = "กรุงเทพมหานคร" * 4
    for line in (line for c in break_text(long_word, replace(rules, max_chars_per_line=10), "th") for line in c):
        assert unicodedata.category(line[0]) not in ("Mn", "Mc")


def test_vietnamese_diacritics_come_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Tại sao hôm qua anh không đi làm?")
    ((line,),) = break_text(decomposed, get_market("vi-VN").rules, "vi")
    assert line == unicodedata.normalize("NFC", decomposed) and unicodedata.is_normalized("NFC", line)


def test_rtl_marks_lead_every_line_and_strip_back() -> None:
    cues = (Cue(0, 1000, ("مرحبا!", "كيف حالك؟")),)
    (marked,) = mark_rtl(cues)
    assert marked.lines == (RLE + "مرحبا!", RLE + "كيف حالك؟")
    assert mark_rtl(mark_rtl(cues)) == mark_rtl(cues)  # marks are not doubled
    assert tuple(strip_marks(line) for line in marked.lines) == cues[0].lines
    assert text_length(marked.lines[0], "ar") == text_length("مرحبا!", "ar")
