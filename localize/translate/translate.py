"""Public entry: translate a transcript (or plain lines) for one market.

Per line: protect glossary terms, translate with the market's engine, check the
output (flags), verify the glossary (misses). Nothing failed passes silently.

With a translation memory (`localize.translate.memory`), per line: a translator's approved
translation of the same source is used as is; else the same engine's earlier output for it
(if it still passes the checks and the glossary); else the engine translates the line, with
the closest memory pairs as examples in its context, and an output that passes the checks
is added to the memory. Each Line records where its text came from (`Line.origin`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from localize.errors import ModelError
from localize.markets import Market
from localize.translate.checks import REPETITION, check_line, cut_repetition, error_count
from localize.translate.engines import LineContext, TranslationContext, TranslationEngine, get_engine
from localize.translate.fewshot import Example
from localize.translate.glossary import Glossary, glossary_for_market
from localize.translate.memory import APPROVED, MACHINE, Entry, TranslationMemory
from localize.translate.shorten import over_budget, shorten_lines
from localize.translate.term_repair import repair_lines, with_reasons
from localize.types import (
    GlossaryMiss,
    Line,
    LineOrigin,
    Segment,
    Severity,
    Transcript,
    Translation,
    TranslationFlag,
)

log = logging.getLogger("localize")

DEMO_QUALITY_NOTE = (
    "The bundled translation engine (Gemma 3 270M, offline) is demo quality: post-edit every line, "
    "or point each market at a real model in localize.toml (engine = \"seq2seq\" and a local Marian, "
    "NLLB or M2M100 folder; see README, 'Use a better model', and `localize engines`)."
)


@dataclass(frozen=True)
class MemoryOptions:
    """How `translate_transcript` uses a translation memory."""

    reuse_machine: bool = True  # reuse the same engine's earlier output for the same source (fast re-runs)
    examples: int = 4  # similar memory pairs given to the engine per line, approved first
    min_score: float = 60.0  # similarity (0-100, rapidfuzz ratio of the normalized sources) of an example
    learn: bool = True  # add new engine outputs without error flags to the memory ("machine")


def translate_transcript(
    transcript: Transcript,
    market: Market,
    *,
    glossary: Glossary | None = None,
    engine: TranslationEngine | None = None,
    memory: TranslationMemory | None = None,
    memory_options: MemoryOptions | None = None,
    fit_cues: bool = True,
) -> Translation:
    """One Line per segment (same times and speaker), with check flags and glossary misses.

    `glossary=None` loads the market's file (see `glossary_for_market`; pass `Glossary()`
    for none); `engine=None` uses the market's configured engine; `memory=None`: no memory.
    `fit_cues`: a line too long to read in its time is asked for once more, shorter
    (`localize.translate.shorten`; never a translator's approved line).
    """
    glossary = glossary_for_market(market) if glossary is None else glossary
    engine = get_engine(market.engine) if engine is None else engine
    options = memory_options or MemoryOptions()
    label = engine_label(engine)
    segments = transcript.segments
    todo = [i for i, seg in enumerate(segments) if seg.text.strip()]
    began = time.perf_counter()
    reused = _from_memory(memory, segments, todo, market, glossary, label, options) if memory else {}
    asked = [i for i in todo if i not in reused]
    examples = _examples(memory, segments, asked, market, glossary, options) if memory else {}
    outputs, attempts = _translate_checked(engine, segments, asked, market, glossary, examples)
    repairs = dict(zip(asked, repair_lines(engine, glossary, market, [segments[i].text for i in asked],
                                           [outputs[i] for i in asked]), strict=True))
    targets = {**reused, **{i: (repaired.target, LineOrigin.ENGINE) for i, repaired in repairs.items()}}
    lines: list[Line] = []
    for index, seg in enumerate(segments):
        target, origin = targets.get(index, ("", LineOrigin.ENGINE))
        flags = check_line(seg.text, target, market)
        if any(flag.code == REPETITION for flag in flags):
            target, flags = cut_loop(seg.text, target, market)
        lines.append(
            Line(
                index=index,
                start_ms=seg.start_ms,
                end_ms=seg.end_ms,
                source=seg.text,
                target=target,
                speaker=seg.speaker,
                flags=flags,
                origin=origin,
                attempts=attempts.get(index, 1),
                terms_placed=repairs[index].placed if index in repairs else (),
            )
        )
    reasons = {i: repaired.unplaced for i, repaired in repairs.items()}
    misses = _misses(lines, glossary, reasons)
    if memory and options.learn:
        memory.add(Entry(line.source, line.target, market.code, MACHINE, label, episode=_episode(transcript),
                         line=str(line.index))
                   for line in lines if line.index in asked and not _has_errors(line))
    if todo:
        elapsed = time.perf_counter() - began
        log.info(
            "translated %d lines to %s with %s in %.1f s (%.2f s a line); %d reused from the translation memory, "
            "%d retried, %d flagged, %d glossary misses",
            len(todo),
            market.code,
            engine.name,
            elapsed,
            elapsed / len(todo),
            len(reused),
            sum(1 for line in lines if line.attempts > 1),
            sum(1 for line in lines if line.flags),
            len(misses),
        )
    translation = Translation(market.code, engine.name, tuple(lines), tuple(misses))
    if fit_cues:
        budgets = {i: chars for i, chars in over_budget(translation, market).items()
                   if lines[i].origin is not LineOrigin.MEMORY_APPROVED}
        translation = shorten_lines(translation, market, engine, budgets, glossary)
        if translation.shortened:
            translation = replace(translation, glossary_misses=_misses(translation.lines, glossary, reasons))
    return translation


def _misses(lines: Sequence[Line], glossary: Glossary,
            reasons: dict[int, dict[str, str]]) -> tuple[GlossaryMiss, ...]:
    """Each line's glossary misses, each saying why the term could not be placed where repair tried."""
    found: list[GlossaryMiss] = []
    for line in lines:
        why = reasons.get(line.index, {})
        found += [replace(miss, message=with_reasons(miss.message, why.get(miss.source_term, "")))
                  for miss in glossary.verify(line.index, line.source, line.target)]
    return tuple(found)


def engine_label(engine: TranslationEngine) -> str:
    """What the memory records as a machine entry's engine: its name, and its model when it has one."""
    model = getattr(engine, "model", None)
    return f"{engine.name}:{model}" if isinstance(model, str) and model else engine.name


def translate_texts(
    texts: Sequence[str],
    market: Market,
    *,
    glossary: Glossary | None = None,
    engine: TranslationEngine | None = None,
) -> Translation:
    """Translate plain lines (no timing), e.g. from stdin; line i of the result is texts[i]."""
    segments = tuple(Segment(0, 0, text) for text in texts)
    transcript = Transcript(language="zh", segments=segments, duration_ms=0, source="<text>")
    return translate_transcript(transcript, market, glossary=glossary, engine=engine)


def problems(translation: Translation) -> list[str]:
    """Human-readable lines for each flag and glossary miss (1-based line numbers), e.g. for stderr."""
    found = [
        (line.index, f"line {line.index + 1}: {flag.severity.value} {flag.code}: {flag.message}")
        for line in translation.lines
        for flag in line.flags
    ]
    found += [
        (miss.line_index, f"line {miss.line_index + 1}: glossary {miss.kind}: {miss.message}")
        for miss in translation.glossary_misses
    ]
    return [text for _, text in sorted(found, key=lambda item: item[0])]


RETRIES = 2  # after the first answer: once decoding against repetition, once more asked another way


def _translate_checked(engine: TranslationEngine, segments: Sequence[Segment], asked: list[int], market: Market,
                       glossary: Glossary, examples: dict[int, tuple[Example, ...]],
                       ) -> tuple[dict[int, str], dict[int, int]]:
    """The engine's answer per line, and how many times it was asked.

    A line whose answer fails a check with an error (loop, Chinese left, wrong script, source
    copied, an example repeated...) is asked for again (`TranslationContext.retry` 1, then 2); the
    answer with the fewest errors is kept, the earliest among equals.
    """
    answers = dict(zip(asked, _run_engine(engine, [glossary.protect(segments[i].text) for i in asked], market,
                                          _context(segments, asked, glossary, examples)), strict=True))
    attempts = dict.fromkeys(asked, 1)
    errors = {i: error_count(segments[i].text, answers[i], market) for i in asked}
    for retry in range(1, RETRIES + 1):
        failing = [i for i in asked if errors[i]]
        if not failing:
            break
        again = _run_engine(engine, [glossary.protect(segments[i].text) for i in failing], market,
                            _context(segments, failing, glossary, examples, retry))
        for i, text in zip(failing, again, strict=True):
            attempts[i] += 1
            found = error_count(segments[i].text, text, market)
            if found < errors[i]:
                answers[i], errors[i] = text, found
    return answers, attempts


def cut_loop(source: str, target: str, market: Market) -> tuple[str, tuple[TranslationFlag, ...]]:
    """A looping answer cut where its loop starts, so no delivered line is a pure repetition; the
    line keeps a `repetition` error flag for the reviewer (with what was cut)."""
    kept = cut_repetition(target)
    flags = tuple(flag for flag in check_line(source, kept, market) if flag.code != REPETITION)
    note = TranslationFlag(REPETITION, f"the engine looped; cut to {kept!r} from {len(target)} characters: "
                           "review the line")
    return kept, (note, *flags)


def _context(segments: Sequence[Segment], todo: list[int], glossary: Glossary,
             examples: dict[int, tuple[Example, ...]], retry: int = 0) -> TranslationContext:
    """Per line: its speaker, the two Chinese lines before it, the glossary entries it contains,
    and the memory's closest pairs."""
    return TranslationContext(retry=retry, lines=tuple(
        LineContext(speaker=segments[i].speaker,
                    previous=tuple(seg.text for seg in segments[max(0, i - 2):i] if seg.text.strip()),
                    terms=tuple(glossary.matches(segments[i].text)),
                    examples=examples.get(i, ()))
        for i in todo))


def _from_memory(memory: TranslationMemory, segments: Sequence[Segment], todo: list[int], market: Market,
                 glossary: Glossary, label: str, options: MemoryOptions) -> dict[int, tuple[str, LineOrigin]]:
    """Lines the memory already answers: approved as is; the same engine's output if it still passes."""
    found: dict[int, tuple[str, LineOrigin]] = {}
    for i in todo:
        source = segments[i].text
        match = memory.exact(source, market.code, engine=label)
        if match is None:
            continue
        if match.approved:
            found[i] = (match.target, LineOrigin.MEMORY_APPROVED)
        elif options.reuse_machine and _still_passes(source, match.target, market, glossary):
            found[i] = (match.target, LineOrigin.MEMORY_MACHINE)
    return found


def _examples(memory: TranslationMemory, segments: Sequence[Segment], asked: list[int], market: Market,
              glossary: Glossary, options: MemoryOptions) -> dict[int, tuple[Example, ...]]:
    """Per line sent to the engine: approved pairs close to it (best first), then machine ones.

    Sources are glossary-protected like the line itself. A machine pair for the very same source
    is left out: it is the output that was not reused (another engine, or it failed a check).
    """
    found: dict[int, tuple[Example, ...]] = {}
    for i in asked:
        source = segments[i].text
        matches = memory.fuzzy(source, market.code, limit=options.examples, min_score=options.min_score,
                               origin=APPROVED)
        if len(matches) < options.examples:
            matches += [m for m in memory.fuzzy(source, market.code, limit=options.examples - len(matches),
                                                min_score=options.min_score, origin=MACHINE) if m.score < 100]
        if matches:
            found[i] = tuple(Example(glossary.protect(m.entry.source), m.target, m.entry.origin) for m in matches)
    return found


def _has_errors(line: Line) -> bool:
    return any(flag.severity is Severity.ERROR for flag in line.flags)


def _still_passes(source: str, target: str, market: Market, glossary: Glossary) -> bool:
    # The checks or the glossary may have changed since the output was stored.
    flags = check_line(source, target, market)
    return not any(flag.severity is Severity.ERROR for flag in flags) and not glossary.verify(0, source, target)


def _episode(transcript: Transcript) -> str:
    return Path(transcript.source).stem if transcript.source and not transcript.source.startswith("<") else ""


def _run_engine(engine: TranslationEngine, sources: list[str], market: Market,
                context: TranslationContext) -> list[str]:
    if not sources:
        return []
    outputs = list(engine.translate(sources, market, context))
    if len(outputs) != len(sources):
        raise ModelError(f"engine {engine.name} returned {len(outputs)} lines for {len(sources)}")
    return outputs
