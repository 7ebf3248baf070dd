"""The same line, the same translation, all season; and a finding where a person changed only one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from localize.markets import get_market
from localize.report import write_season_summary
from localize.translate.consistency import inconsistencies
from localize.translate.glossary import Glossary
from localize.translate.memory import TranslationMemory
from localize.translate.translate import translate_transcript
from localize.types import Segment, Transcript, Translation

EN = get_market("en-US")
RECAP = ("张浩", "你今天必须给我一个解释！")


class NeverTheSameTwice:
    """An engine whose answer to a line changes with every call (as sampling or another context would)."""

    name = "never-the-same"

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, sources: Sequence[str], market: object, context: object = None) -> list[str]:
        self.calls += 1
        return [f"Take {self.calls}: line of {len(s)} characters" for s in sources]


def episode(name: str, *lines: tuple[str, str]) -> Transcript:
    segments = tuple(Segment(i * 3000, i * 3000 + 2000, text, speaker=who) for i, (who, text) in enumerate(lines))
    return Transcript(language="zh", segments=segments, duration_ms=len(lines) * 3000, source=f"{name}.mp4")


def season(tmp_path: Path) -> dict[str, Translation]:
    engine = NeverTheSameTwice()
    memory = TranslationMemory(tmp_path / "memory.sqlite")
    first = episode("ep01", ("林晓", "我回来了。"), RECAP)
    second = episode("ep02", RECAP, ("林晓", "我不会解释的。"))  # the recap opens episode 2
    return {ep.source[:4]: translate_transcript(ep, EN, glossary=Glossary(), engine=engine, memory=memory)
            for ep in (first, second)}


def test_a_recurring_line_gets_one_translation_all_season(tmp_path: Path) -> None:
    translations = season(tmp_path)
    said = [line.target for t in translations.values() for line in t.lines if line.source == RECAP[1]]
    assert len(said) == 2 and said[0] == said[1]
    assert inconsistencies("en-US", translations) == []


def test_a_line_a_person_edited_in_one_episode_only_is_a_finding(tmp_path: Path) -> None:
    translations = season(tmp_path)
    edited = translations["ep01"]
    lines = list(edited.lines)
    lines[1] = replace(lines[1], target="You owe me an <explanation> today!")
    translations["ep01"] = replace(edited, lines=tuple(lines))
    (found,) = inconsistencies("en-US", translations)
    assert [(o.episode, o.line) for o in found.occurrences] == [("ep01", 2), ("ep02", 1)]
    assert "translated 2 ways" in found.message and "You owe me an <explanation> today!" in found.message

    json_path, html_path = write_season_summary([], tmp_path, inconsistent=[found])
    listed = json.loads(json_path.read_text(encoding="utf-8"))["inconsistent_translations"]
    assert listed[0]["occurrences"][0] == {"episode": "ep01", "line": 2,
                                           "translation": "You owe me an <explanation> today!"}
    page = html_path.read_text(encoding="utf-8")
    assert "The same line translated differently (1)" in page and "&lt;explanation&gt;" in page


def test_the_same_words_in_another_scene_may_be_translated_otherwise() -> None:
    def one(name: str, speaker: str, before: str, target: str) -> Translation:
        transcript = episode(name, ("王桂芳", before), (speaker, "什么？"))
        return Translation("en-US", "x", tuple(
            replace(_line(seg, i), target=target if i else "…") for i, seg in enumerate(transcript.segments)))

    translations = {"ep01": one("ep01", "林晓", "他走了。", "What?"),
                    "ep02": one("ep02", "张浩", "他走了。", "Huh?")}
    assert inconsistencies("en-US", translations) == []  # another speaker
    translations["ep02"] = one("ep02", "林晓", "他走了。", "Huh?")
    assert len(inconsistencies("en-US", translations)) == 1  # same speaker, same line before: the same line


def _line(seg: Segment, index: int) -> object:
    from localize.types import Line

    return Line(index, seg.start_ms, seg.end_ms, seg.text, "", speaker=seg.speaker)
