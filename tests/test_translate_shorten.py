"""The length-aware request: a line too long to read in its time is asked for once more, shorter."""

from __future__ import annotations

from collections.abc import Sequence

from localize.markets import Market, get_market
from localize.qa import translation_findings
from localize.translate import Glossary, translate_transcript
from localize.translate.engines import ShortenRequest, TranslationContext
from localize.translate.fewshot import build_shorter_prompt
from localize.translate.memory import TranslationMemory
from localize.translate.shorten import cue_budget, over_budget
from localize.types import GlossaryEntry, LineOrigin, Segment, Transcript

EN = get_market("en-US")
LONG = "I really do not understand at all what it is that you are trying so hard to tell me right now."


class ShorteningEngine:
    name = "shortening"

    def __init__(self, short: str) -> None:
        self.short = short
        self.requests: list[ShortenRequest] = []

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        return [LONG if "说什么" in s else "Yes." for s in sources]

    def shorten(self, requests: Sequence[ShortenRequest], market: Market) -> list[str]:
        self.requests += requests
        return [self.short for _ in requests]


def _transcript() -> Transcript:
    # 1.5 s for the long line: at en-US's 20 characters a second, 30 characters fit
    segments = (Segment(0, 1500, "我真的不懂你在说什么。"), Segment(2000, 3000, "是的。"))
    return Transcript("zh", segments, duration_ms=3000, source="ep01.mp4")


def test_a_line_too_long_for_its_cue_is_asked_for_once_shorter() -> None:
    engine = ShorteningEngine("I don't get what you mean.")
    result = translate_transcript(_transcript(), EN, glossary=Glossary(), engine=engine)
    assert cue_budget(result.lines[0], EN) == 30
    assert [(r.target, r.max_chars) for r in engine.requests] == [(LONG, 30)]  # only the long line
    line = result.lines[0]
    assert (line.target, line.before_shortening) == ("I don't get what you mean.", LONG)
    assert result.shortened == 1 and result.lines[1].before_shortening == ""
    found = [f for f in translation_findings(result) if f.code == "mt-shortened"]
    assert len(found) == 1 and "rendered shorter" in found[0].message


def test_an_answer_no_shorter_or_worse_is_not_kept() -> None:
    for answer in (LONG + " Really.", "我不懂。"):  # longer; Chinese left in
        result = translate_transcript(_transcript(), EN, glossary=Glossary(), engine=ShorteningEngine(answer))
        assert result.lines[0].target == LONG and result.shortened == 0


def test_a_shorter_answer_losing_a_glossary_term_is_not_kept() -> None:
    glossary = Glossary((GlossaryEntry("不懂", "not understand", "term"),))

    class Keeps(ShorteningEngine):
        def translate(self, sources: Sequence[str], market: Market,
                      context: TranslationContext | None = None) -> list[str]:
            return [LONG if "说什么" in s else "Yes." for s in sources]

    result = translate_transcript(_transcript(), EN, glossary=glossary, engine=Keeps("I don't get it."))
    assert result.lines[0].target == LONG  # the term was kept in the long line, lost in the short one


def test_an_engine_that_cannot_shorten_leaves_the_line_and_the_cue_check_reports_it() -> None:
    class TranslateOnly:
        name = "translate-only"

        def translate(self, sources: Sequence[str], market: Market,
                      context: TranslationContext | None = None) -> list[str]:
            return [LONG if "说什么" in s else "Yes." for s in sources]

    result = translate_transcript(_transcript(), EN, glossary=Glossary(), engine=TranslateOnly())
    assert result.lines[0].target == LONG and over_budget(result, EN) == {0: 30}


def test_a_translators_approved_line_is_never_shortened(tmp_path) -> None:
    memory = TranslationMemory(tmp_path / "tm.sqlite")
    memory.approve("我真的不懂你在说什么。", LONG, "en-US")
    engine = ShorteningEngine("Short.")
    result = translate_transcript(_transcript(), EN, glossary=Glossary(), engine=engine, memory=memory)
    assert result.lines[0].origin is LineOrigin.MEMORY_APPROVED and result.lines[0].target == LONG
    assert engine.requests == []


def test_the_causal_lm_shortening_prompt() -> None:
    prompt = build_shorter_prompt("A very long line, really.", EN)
    assert prompt is not None and prompt.endswith("Long: A very long line, really.\nShort:")
    assert prompt.count("Long: ") == 4
    assert build_shorter_prompt("x", get_market("en-US").__class__(**{**EN.__dict__, "language": "xx"})) is None
