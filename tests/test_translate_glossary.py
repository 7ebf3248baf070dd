"""Glossaries: parsing (good and malformed files), protecting terms, verifying output."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from localize.errors import InputFormatError
from localize.markets import Market, get_market, market_codes
from localize.translate import Glossary, TranslationContext, load_glossary, translate_texts
from localize.translate.glossary import glossary_for_market, parse_glossary

REPO = Path(__file__).resolve().parents[1]
EN = get_market("en-US")

GOOD = (
    "# en-US test glossary\n"
    "\n"
    "source\ttarget\tkind\tnote\n"
    "林晓\tLin Xiao\tname\theroine\n"
    "陈总\tMr. Chen\taddress\n"  # note column left off
    "陈\tChen\tname\t\n"
    "# a comment between rows\n"
    "白眼狼\tungrateful wretch\tslang\tsaid of a woman\t\t\n"  # spreadsheet's trailing empty cells
    "\tmum\tforbidden\tBritish spelling\n"
    "婆婆\tcrone\tforbidden\tnever for a mother-in-law\n"
    "ReelShort\tReelShort\tlocked\n"
)


class FakeEngine:
    """Answers from a table and records what it was asked."""

    name = "fake"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        self.asked += sources
        return [self.answers.get(source, "???") for source in sources]


def write(tmp_path: Path, text: str, name: str = "en-US.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def glossary(tmp_path: Path) -> Glossary:
    return load_glossary(write(tmp_path, GOOD))


def test_parse_a_good_file(glossary: Glossary) -> None:
    by_source = {e.source: e for e in glossary.entries if e.kind != "forbidden"}
    assert by_source["林晓"].target == "Lin Xiao"
    assert by_source["林晓"].line_no == 4
    assert by_source["陈总"].note == ""
    assert by_source["白眼狼"].note == "said of a woman"
    assert [e.target for e in glossary.forbidden] == ["mum", "crone"]


def test_byte_order_marks_are_accepted(tmp_path: Path) -> None:
    utf8 = tmp_path / "bom8.tsv"
    utf8.write_bytes(GOOD.encode("utf-8-sig"))
    utf16 = tmp_path / "bom16.tsv"
    utf16.write_bytes(GOOD.encode("utf-16"))  # what Excel's "Unicode Text" writes
    assert load_glossary(utf8).entries == load_glossary(utf16).entries


MALFORMED = [
    ("林晓\tLin Xiao\n", ":4", "2 columns"),
    ("林晓\tLin Xiao\tname\tnote\textra\n", ":4", "5 columns"),
    ("\tLin Xiao\tname\n", ":4", "empty source"),
    ("林晓\t\tname\n", ":4", "empty target"),
    ("林晓\tLin Xiao\tnickname\n", ":4", "unknown kind 'nickname'"),
    ("林晓\tLin Xiao\tname\n\n林晓\tLittle Lin\tname\n", ":6", "line 4 says 'Lin Xiao'"),
]


@pytest.mark.parametrize(("rows", "where", "problem"), MALFORMED)
def test_malformed_rows_name_file_and_line(tmp_path: Path, rows: str, where: str, problem: str) -> None:
    path = write(tmp_path, "# comment\n\nsource\ttarget\tkind\tnote\n" + rows)
    with pytest.raises(InputFormatError) as info:
        load_glossary(path)
    message = str(info.value)
    assert f"{path}{where}: " in message
    assert problem in message
    assert "expected" in message


def test_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, "source\ttarget\tkind\tnote\n林晓\tLin Xiao\tnick\n")
    with pytest.raises(InputFormatError, match="address, slang, term, locked, forbidden"):
        load_glossary(path)


def test_a_missing_header_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match=r"en-US.tsv:1: bad header"):
        load_glossary(write(tmp_path, "林晓\tLin Xiao\tname\n"))
    with pytest.raises(InputFormatError, match="no header row"):
        load_glossary(write(tmp_path, "# only a comment\n"))


def test_gbk_is_read_and_big5_refused(tmp_path: Path) -> None:  # more encodings: test_glossary_tools.py
    text = "source\ttarget\tkind\tnote\n林晓\tLin Xiao\tname\n陈总\tMr. Chen\taddress\n"
    path = tmp_path / "gbk.tsv"
    path.write_bytes(text.encode("gbk"))
    assert load_glossary(path).encoding == "GB18030"
    traditional = "source\ttarget\tkind\n林曉\tLin Xiao\tname\n陳總\tMr. Chen\taddress\n張家\tZhangs\tname\n"
    path.write_bytes(traditional.encode("big5"))  # read as GB18030: 狶惧, 朝羆, 眎產
    with pytest.raises(InputFormatError, match="not UTF-8"):
        load_glossary(path)


def test_the_same_row_twice_is_harmless() -> None:
    entries = parse_glossary("source\ttarget\tkind\tnote\n林晓\tLin Xiao\tname\n林晓\tLin Xiao\tname\n")
    assert len(entries) == 1


def test_protect_writes_targets_into_the_source_longest_first(glossary: Glossary) -> None:
    assert glossary.protect("陈总，林晓找陈先生。") == "Mr. Chen，Lin Xiao找Chen先生。"
    assert Glossary().protect("陈总") == "陈总"


def test_a_hit_gives_no_miss(glossary: Glossary) -> None:
    assert glossary.verify(0, "陈总，林晓来了。", "Mr. Chen, Lin Xiao is here.") == []
    assert glossary.verify(0, "陈总来了。", "MR. CHEN is here.") == []  # case-insensitive


def test_a_miss_names_the_term(glossary: Glossary) -> None:
    (miss,) = glossary.verify(3, "林晓，快走！", "Lin Xia, go!")
    assert (miss.line_index, miss.source_term, miss.expected, miss.kind) == (3, "林晓", "Lin Xiao", "name")
    assert "Lin Xiao" in miss.message


def test_whole_words_only(glossary: Glossary) -> None:
    assert len(glossary.verify(0, "陈来了。", "Chenko is here.")) == 1


def test_every_occurrence_counts(glossary: Glossary) -> None:
    (miss,) = glossary.verify(0, "林晓！林晓！", "Lin Xiao!")
    assert "2 in the source, 1 in the translation" in miss.message


def test_locked_terms_are_case_sensitive(glossary: Glossary) -> None:
    assert glossary.verify(0, "在ReelShort上看", "Watch it on ReelShort") == []
    assert [m.kind for m in glossary.verify(0, "在ReelShort上看", "Watch it on Reelshort")] == ["locked"]


def test_forbidden_words(glossary: Glossary) -> None:
    (miss,) = glossary.verify(1, "妈，我回来了。", "Mum, I'm home.")
    assert (miss.kind, miss.expected, miss.source_term) == ("forbidden", "mum", "")
    assert "British spelling" in miss.message
    assert glossary.verify(1, "妈，我回来了。", "Mummy, I'm home.") == []  # whole words only


def test_forbidden_with_a_source_applies_only_where_it_occurs(glossary: Glossary) -> None:
    assert [m.expected for m in glossary.verify(0, "婆婆来了。", "The crone is here.")] == ["crone"]
    assert glossary.verify(0, "她来了。", "The crone is here.") == []


def test_translate_protects_and_verifies_with_a_fake_engine(glossary: Glossary) -> None:
    engine = FakeEngine(
        {
            "Mr. Chen，Lin Xiao来了。": "Mr. Chen, Lin Xiao is here.",  # hit
            "快走，Lin Xiao在等。": "Go, she is waiting.",  # miss (not said to her: no repair without a model)
            "妈，我回来了。": "Mum, I'm home.",  # forbidden
        }
    )
    sources = ["陈总，林晓来了。", "快走，林晓在等。", "妈，我回来了。"]
    result = translate_texts(sources, EN, glossary=glossary, engine=engine)
    assert engine.asked == ["Mr. Chen，Lin Xiao来了。", "快走，Lin Xiao在等。", "妈，我回来了。"]
    assert [(m.line_index, m.kind) for m in result.glossary_misses] == [(1, "name"), (2, "forbidden")]
    assert [line.flags for line in result.lines] == [(), (), ()]


def test_glossary_for_market_reads_the_directory(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    assert len(glossary_for_market(EN, tmp_path).entries) == 7
    assert glossary_for_market(get_market("pt-BR"), tmp_path) == Glossary()


def test_the_default_directory_can_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GOOD)
    monkeypatch.setenv("LOCALIZE_GLOSSARIES_DIR", str(tmp_path))
    engine = FakeEngine({"Lin Xiao，快走！": "Lin Xiao, go!"})
    result = translate_texts(["林晓，快走！"], EN, engine=engine)  # glossary=None: the market's file
    assert engine.asked == ["Lin Xiao，快走！"]
    assert result.glossary_misses == ()


# The project's own glossaries, and the sample season they must cover.


@pytest.mark.parametrize("code", market_codes())
def test_project_glossaries_parse(code: str) -> None:
    glossary = load_glossary(REPO / "glossaries" / f"{code}.tsv")
    assert glossary.terms and glossary.forbidden


def _sample_script():  # the sample season is optional for these tests
    return pytest.importorskip("localize.sample.script")


@pytest.mark.parametrize("code", market_codes())
def test_project_glossaries_cover_the_sample_names(code: str) -> None:
    script = _sample_script()
    market = get_market(code)
    targets = {e.source: e.target for e in load_glossary(REPO / "glossaries" / f"{code}.tsv").terms}
    for name in script.NAMES:
        assert name.zh in targets, f"{name.zh} missing from {code}.tsv"
        if market.language not in script.REFERENCE_LANGUAGES:
            continue  # the sample season has reference translations in en, es and pt only
        # Articles are left out of targets ("familia Zhang"), so "de la familia Zhang" matches too.
        assert targets[name.zh].casefold() in name.target(market.language).casefold()


@pytest.mark.parametrize("code", market_codes())
def test_the_sample_references_pass_the_glossary(code: str) -> None:
    script = _sample_script()
    market = get_market(code)
    if market.language not in script.REFERENCE_LANGUAGES:
        pytest.skip(f"the sample season has no {market.language_name} reference")
    glossary = load_glossary(REPO / "glossaries" / f"{code}.tsv")
    misses = [
        miss
        for index, line in enumerate(script.load_story())
        for miss in glossary.verify(index, line.zh, line.reference(market.language))
    ]
    # 妈 also means "I" when a mother speaks of herself (以前都是妈不好: "it was all my fault"):
    # a one-character term is checked, and a reviewer decides.
    assert {m.source_term for m in misses} <= {"妈"}


VARIANTS = ("source\ttarget\tkind\tnote\n"
            "张先生\tseñor Zhang|el señor Zhang|al señor Zhang\taddress\tarticles as Spanish needs them\n"
            "林晓\tLin Xiao\tname\n"
            "\tgringo|gringa\tforbidden\n")


def test_a_term_may_list_the_forms_a_translator_accepts() -> None:
    glossary = Glossary(parse_glossary(VARIANTS))
    mister = glossary.entries[0]
    assert (mister.target, mister.variants) == ("señor Zhang", ("el señor Zhang", "al señor Zhang"))
    assert glossary.protect("张先生来了") == "señor Zhang来了"  # protection writes the approved form
    assert glossary.verify(0, "张先生来了", "Llegó el señor Zhang.") == []  # one place, counted once
    assert glossary.verify(0, "张先生，张先生！", "¡Señor Zhang, al señor Zhang lo buscan!") == []
    missed = glossary.verify(0, "张先生，张先生！", "¡Señor Zhang! ¿Dónde está?")
    assert len(missed) == 1 and "(2 in the source, 1 in the translation)" in missed[0].message
    assert "'el señor Zhang'" in missed[0].message  # the miss lists what would have been accepted
    assert glossary.honoured("张先生来了", "Llegó el señor Zhang.") == (1, 1)


def test_every_form_of_a_forbidden_row_is_forbidden_and_forms_survive_a_rewrite() -> None:
    from localize.translate.glossary import format_glossary

    glossary = Glossary(parse_glossary(VARIANTS))
    assert [m.expected for m in glossary.verify(0, "你好", "Hola, gringa.")] == ["gringa"]
    again = parse_glossary(format_glossary(glossary.entries))
    assert again == parse_glossary(VARIANTS)
    with pytest.raises(InputFormatError, match="empty target"):
        parse_glossary("source\ttarget\tkind\n林晓\t | \tname\n", "x.tsv")


def test_accepted_forms_travel_through_tbx_as_admitted_terms() -> None:
    from localize.translate.tbx_adapter import ADMITTED, export_tbx, import_tbx

    entries = parse_glossary(VARIANTS)
    data = export_tbx(entries, "es-419")
    assert data.count(ADMITTED.encode()) == 2
    back = import_tbx(data, "es-419.tbx")
    assert [(e.source, e.target, e.variants) for e in back.entries if e.kind == "address"] == [
        ("张先生", "señor Zhang", ("el señor Zhang", "al señor Zhang"))]
    assert not back.notes
