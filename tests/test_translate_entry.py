"""The public entry points (translate_transcript, translate_texts, problems) with fake engines, and prompts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from localize.errors import ModelError, UnknownNameError
from localize.markets import EngineSpec, Market, get_market, with_engine
from localize.translate import (
    DEMO_QUALITY_NOTE,
    Glossary,
    TranslationContext,
    problems,
    translate_texts,
    translate_transcript,
)
from localize.translate.fewshot import EXAMPLES, build_prompt
from localize.types import GlossaryEntry, Segment, Transcript

EN = get_market("en-US")
PT = get_market("pt-BR")


class TableEngine:
    name = "table"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], TranslationContext | None]] = []

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        self.calls.append((list(sources), context))
        return [self.answers[source] for source in sources]


class ShortEngine(TableEngine):
    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        return []


def test_one_line_per_segment_keeps_times_and_speakers() -> None:
    transcript = Transcript(
        "zh",
        (
            Segment(0, 1200, "我们离婚吧。", speaker="张浩"),
            Segment(1300, 1500, "  "),  # silence marker: not sent to the engine
            Segment(1600, 2900, "你说什么？", speaker="林晓"),
        ),
        duration_ms=3000,
    )
    engine = TableEngine({"我们离婚吧。": "Let's get a divorce.", "你说什么？": "What did you say?"})
    result = translate_transcript(transcript, EN, glossary=Glossary(), engine=engine)
    assert (result.market, result.engine) == ("en-US", "table")
    assert [(line.index, line.start_ms, line.end_ms, line.speaker) for line in result.lines] == [
        (0, 0, 1200, "张浩"),
        (1, 1300, 1500, None),
        (2, 1600, 2900, "林晓"),
    ]
    assert [line.target for line in result.lines] == ["Let's get a divorce.", "", "What did you say?"]
    assert all(line.flags == () for line in result.lines)
    ((asked, context),) = engine.calls
    assert asked == ["我们离婚吧。", "你说什么？"]
    assert context is not None and context.speakers == ("张浩", "林晓")


def test_bad_output_is_flagged_not_dropped() -> None:
    engine = TableEngine({"我们离婚吧。": "我们离婚吧。", "谢谢。": ""})
    result = translate_texts(["我们离婚吧。", "谢谢。"], EN, glossary=Glossary(), engine=engine)
    assert [line.target for line in result.lines] == ["我们离婚吧。", ""]
    assert {f.code for f in result.lines[0].flags} >= {"chinese-left", "copied-source"}
    assert [f.code for f in result.lines[1].flags] == ["empty"]


def test_an_engine_that_loses_lines_is_an_error() -> None:
    with pytest.raises(ModelError, match="returned 0 lines for 1"):
        translate_texts(["你好"], EN, glossary=Glossary(), engine=ShortEngine({}))


def test_nothing_to_translate() -> None:
    engine = TableEngine({})
    result = translate_texts([], EN, glossary=Glossary(), engine=engine)
    assert result.lines == () and engine.calls == []


def test_problems_are_readable_and_in_line_order() -> None:
    glossary = Glossary((GlossaryEntry("林晓", "Lin Xiao", "name", line_no=2),))
    engine = TableEngine({"我们离婚吧。": "我们", "Lin Xiao，走！": "Lin Jiao, go!"})
    result = translate_texts(["我们离婚吧。", "林晓，走！"], EN, glossary=glossary, engine=engine)
    report = problems(result)
    assert report[0].startswith("line 1: error chinese-left: ")
    assert report[-1] == "line 2: glossary name: 林晓 should be rendered 'Lin Xiao'"


def test_the_market_engine_is_used_by_default() -> None:
    market = with_engine(EN, EngineSpec(name="no-such-engine"))
    with pytest.raises(UnknownNameError, match="causal-lm, openai, openai-scene, seq2seq"):
        translate_texts(["你好"], market, glossary=Glossary())


def test_demo_quality_note_is_one_sentence() -> None:
    assert DEMO_QUALITY_NOTE.count(". ") == 0 and DEMO_QUALITY_NOTE.endswith(".")
    assert "demo quality" in DEMO_QUALITY_NOTE and "seq2seq" in DEMO_QUALITY_NOTE


def test_prompt_is_examples_only_and_ends_at_the_answer() -> None:
    prompt = build_prompt("林晓，你给我站住！\n快！", PT)
    lines = prompt.split("\n")
    assert lines[-2:] == ["Chinese: 林晓, 你给我站住! 快!", "Portuguese:"]
    assert len(lines) == 2 * len(EXAMPLES["pt"]) + 2
    assert all(line.startswith(("Chinese: ", "Portuguese: ")) for line in lines[:-1])


def test_every_registered_market_has_examples_and_others_fail_clearly() -> None:
    assert {"en", "es", "pt"} <= set(EXAMPLES)
    with pytest.raises(UnknownNameError, match="few-shot language 'sw'"):
        build_prompt("你好", replace(EN, language="sw", language_name="Swahili"))


def test_importing_the_package_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = "import sys, localize.translate; print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
