"""Chat prompts for instruction-tuned models, and reading their answers back.

Two shapes (see `localize.translate.openai_engines`):

- one line: a system message with the context (character notes, glossary entries of the
  line, speaker, the lines just before it), approved pairs as few-shot user/assistant turns,
  then the line; the answer is the translation alone.
- a scene: numbered lines, each with its speaker, and the glossary of all of them; the
  answer is the same numbers with one translation each. `parse_numbered` keeps only the
  numbers that came back exactly once and non-empty; the rest are asked for line by line.

Pure text in, text out: no HTTP here, so the prompts and the parser are easy to test.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from localize.markets import Market
from localize.translate.fewshot import EXAMPLES, Example
from localize.types import GlossaryEntry

T = TypeVar("T")

MAX_SCENE_EXAMPLES = 8  # approved pairs shown with a scene; more costs tokens and gains little
PREVIOUS_LINES = 3  # lines shown before a line asked for alone

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL)  # reasoning models (Qwen3, DeepSeek-R1)
_NUMBERED = re.compile(r"^\s*(?:[-*]\s*)?\(?(\d{1,4})\s*[.):：、]\s*(.*?)\s*$")
_QUOTES = (('"', '"'), ("“", "”"), ("«", "»"), ("「", "」"), ("'", "'"))


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str


def line_messages(source: str, market: Market, *, speaker: str | None = None,
                  previous: Sequence[tuple[str, str]] = (), terms: Sequence[GlossaryEntry] = (),
                  examples: Sequence[Example] = (), notes: str = "") -> list[ChatMessage]:
    """Messages asking for one line; `previous` holds (source, translation or "") pairs, oldest first.

    Without approved pairs the built-in few-shot pairs of the language are shown, so that a
    base model behind a chat server (e.g. `localize serve-model`) still sees the pattern.
    """
    lang = market.language_name
    parts = [f"You translate the dialogue of a Chinese short drama into {lang} subtitles. Reply with the "
             f"{lang} translation of the user's line only: one line, no quotes, no notes. Names and terms "
             f"already written in {lang} stay as they are."]
    parts += _context_parts(notes, terms)
    if speaker:
        parts.append(f"Speaker of the line: {speaker}")
    if previous:
        parts.append("The lines just before it:\n" + "\n".join(
            f"- {one_line(src)}" + (f" => {one_line(tgt)}" if tgt else "") for src, tgt in previous))
    shots = list(examples) or list(EXAMPLES.get(market.language, ()))
    messages = [ChatMessage("system", "\n\n".join(parts))]
    for example in shots:
        messages += [ChatMessage("user", one_line(example.source)), ChatMessage("assistant", one_line(example.target))]
    return [*messages, ChatMessage("user", one_line(source))]


def shorter_messages(source: str, target: str, max_chars: int, market: Market) -> list[ChatMessage]:
    """Messages asking for a shorter rendering of one translated line (the length-aware request)."""
    lang = market.language_name
    return [
        ChatMessage("system", f"You shorten {lang} subtitles of a Chinese short drama so they can be read in "
                              f"time. Reply with one shorter {lang} line of at most {max_chars} characters that "
                              "keeps the meaning and every name; no quotes, no notes."),
        ChatMessage("user", f"Chinese: {one_line(source)}\n{lang}: {one_line(target)}"),
    ]


def terms_messages(source: str, target: str, terms: Sequence[GlossaryEntry], market: Market) -> list[ChatMessage]:
    """Messages asking to correct a translation that left out glossary terms (term repair)."""
    lang = market.language_name
    wanted = "\n".join(f"- {t.target} (for {t.source})" + (f"; also accepted: {', '.join(t.variants)}"
                                                           if t.variants else "") for t in terms)
    return [
        ChatMessage("system", f"You correct {lang} subtitles of a Chinese short drama. The translation below "
                              f"leaves out terms the glossary requires. Reply with the corrected {lang} line "
                              "only: it must contain each term below exactly as written, with the same "
                              "meaning as the Chinese; change as little else as possible; no quotes, no notes."
                              f"\n\nRequired terms:\n{wanted}"),
        ChatMessage("user", f"Chinese: {one_line(source)}\n{lang}: {one_line(target)}"),
    ]


def scene_messages(sources: Sequence[str], market: Market, *, speakers: Sequence[str | None] = (),
                   terms: Iterable[GlossaryEntry] = (), examples: Iterable[Example] = (),
                   notes: str = "") -> list[ChatMessage]:
    """Messages asking for numbered lines 1..len(sources) at once."""
    lang = market.language_name
    n = len(sources)
    parts = [f"You translate the dialogue of a Chinese short drama into {lang} subtitles. The user sends "
             f"{n} numbered lines, some with the speaker in brackets. Reply with exactly {n} lines, numbered the "
             f"same way (\"1. ...\"), each the {lang} translation of that line only, in order, and nothing "
             f"else: no notes, no blank lines, never merge or split lines, no speaker names. Names and "
             f"terms already written in {lang} stay as they are."]
    parts += _context_parts(notes, _unique(terms))
    shots = _unique(examples)[:MAX_SCENE_EXAMPLES]
    if shots:
        parts.append("Approved translations of similar lines:\n" + "\n".join(
            f"- {one_line(ex.source)} => {one_line(ex.target)}" for ex in shots))
    numbered = []
    for i, source in enumerate(sources):
        speaker = speakers[i] if i < len(speakers) else None
        numbered.append(f"{i + 1}. " + (f"[{speaker}] " if speaker else "") + one_line(source))
    return [ChatMessage("system", "\n\n".join(parts)), ChatMessage("user", "\n".join(numbered))]


def parse_numbered(answer: str, count: int, speakers: Sequence[str | None] = ()) -> list[str | None]:
    """Line i's translation from "i+1. text" lines; None where absent, empty or numbered twice.

    Anything else in the answer (chatter, blank lines, numbers out of range) is ignored.
    """
    found: dict[int, list[str]] = {}
    for raw in strip_reasoning(answer).splitlines():
        match = _NUMBERED.match(raw)
        if match and 1 <= int(match.group(1)) <= count:
            found.setdefault(int(match.group(1)) - 1, []).append(match.group(2))
    lines: list[str | None] = []
    for i in range(count):
        texts = found.get(i, [])
        speaker = speakers[i] if i < len(speakers) else None
        text = _drop_speaker(clean_line(texts[0]), speaker) if len(texts) == 1 else ""
        lines.append(text or None)
    return lines


def clean_line(answer: str) -> str:
    """The first non-empty line of an answer, without reasoning, surrounding quotes or a label."""
    text = next((line.strip() for line in strip_reasoning(answer).splitlines() if line.strip()), "")
    for opening, closing in _QUOTES:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            text = text[1:-1].strip()
    return text


def strip_reasoning(answer: str) -> str:
    return _THINK.sub("", answer)


def scenes(count: int, max_lines: int) -> list[range]:
    """Consecutive ranges of at most `max_lines`, as even as possible (41 lines, 40 max: 21 + 20)."""
    if count <= 0:
        return []
    parts = math.ceil(count / max(1, max_lines))
    size = math.ceil(count / parts)
    return [range(start, min(count, start + size)) for start in range(0, count, size)]


def one_line(text: str) -> str:
    return " ".join(text.split())  # a newline inside a line would break the numbering


def _context_parts(notes: str, terms: Sequence[GlossaryEntry]) -> list[str]:
    parts = []
    if notes.strip():
        parts.append(f"Notes on the characters:\n{notes.strip()}")
    if terms:
        parts.append("Glossary (use these renderings exactly):\n" + "\n".join(
            f"- {t.source} = {t.target}" + (f" ({t.note})" if t.note else "") for t in terms))
    return parts


def _drop_speaker(text: str, speaker: str | None) -> str:
    """Some models copy the "[speaker]" tag from the question into the answer."""
    tag = f"[{speaker}]" if speaker else ""
    return text[len(tag):].strip() if tag and text.startswith(tag) else text


def _unique(items: Iterable[T]) -> list[T]:
    seen: dict[T, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
