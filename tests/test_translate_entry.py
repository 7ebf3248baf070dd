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
    engine_names,
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
    engine = TableEngine({"我们离婚吧。": "我们", "我去找Lin Xiao。": "I'll go find her."})
    result = translate_texts(["我们离婚吧。", "我去找林晓。"], EN, glossary=glossary, engine=engine)
    report = problems(result)
    assert report[0].startswith("line 1: error chinese-left: ")
    assert report[-1] == ("line 2: glossary name: 林晓 should be rendered 'Lin Xiao'; not placed: the engine "
                          "cannot be constrained or asked again; nothing is spelled like it, and it is not said "
                          "to someone at the start or end of the line")


def test_the_market_engine_is_used_by_default() -> None:
    market = with_engine(EN, EngineSpec(name="no-such-engine"))
    with pytest.raises(UnknownNameError, match=", ".join(engine_names())):
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


class LoopingEngine:
    """Loops on a line until asked `heals_at` times (None: never), and records each call's context."""

    name = "looping"

    def __init__(self, heals_at: int | None) -> None:
        self.heals_at = heals_at
        self.asked: dict[str, int] = {}
        self.retries: list[tuple[int, list[str]]] = []

    def translate(self, sources: Sequence[str], market: Market, context: TranslationContext | None = None) -> list[str]:
        self.retries.append((context.retry if context else 0, list(sources)))
        out = []
        for source in sources:
            self.asked[source] = self.asked.get(source, 0) + 1
            if source == "你好。":
                out.append("Hello.")
            elif self.heals_at is not None and self.asked[source] >= self.heals_at:
                out.append("No, no, I won't.")
            else:
                out.append("No, " + "la, " * 12 + "la...")
        return out


def test_a_looping_line_is_asked_again_decoding_against_repetition_and_then_another_way() -> None:
    engine = LoopingEngine(heals_at=2)
    result = translate_texts(["你好。", "不，我不要。"], EN, glossary=Glossary(), engine=engine)
    assert [line.target for line in result.lines] == ["Hello.", "No, no, I won't."]
    assert [line.attempts for line in result.lines] == [1, 2]
    assert engine.retries == [(0, ["你好。", "不，我不要。"]), (1, ["不，我不要。"])]  # only the failing line
    assert result.retried == 1 and result.flagged == 0 and not result.lines[1].flags


def test_a_line_that_still_loops_is_cut_and_flagged_never_shipped_as_a_loop() -> None:
    engine = LoopingEngine(heals_at=None)
    result = translate_texts(["你好。", "不，我不要。"], EN, glossary=Glossary(), engine=engine)
    assert [retry for retry, _ in engine.retries] == [0, 1, 2]
    line = result.lines[1]
    assert line.attempts == 3 and result.retried == 1 and result.flagged == 1
    assert line.target == "No, la, la, la..."  # cut where the loop starts
    assert [flag.code for flag in line.flags] == ["repetition"]
    assert "the engine looped" in line.flags[0].message
    assert problems(result)[0].startswith("line 2: error repetition: the engine looped")


def test_a_retried_answer_is_kept_only_when_it_has_fewer_errors() -> None:
    class WorseEngine(TableEngine):
        def translate(self, sources: Sequence[str], market: Market,
                      context: TranslationContext | None = None) -> list[str]:
            return ["这是中文" if context and context.retry else "Yes 好"] * len(sources)

    result = translate_texts(["是的好。"], EN, glossary=Glossary(), engine=WorseEngine({}))
    assert result.lines[0].target == "Yes 好" and result.lines[0].attempts == 3


def test_the_second_retry_asks_another_way() -> None:
    first = build_prompt("你好。", EN)
    rotated = build_prompt("你好。", EN, rotate=True)
    assert first != rotated and sorted(first.splitlines()) == sorted(rotated.splitlines())
    assert rotated.endswith("Chinese: 你好.\nEnglish:")
