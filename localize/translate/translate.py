"""Public entry: translate a transcript (or plain lines) for one market.

Per line: protect glossary terms, translate with the market's engine, check the
output (flags), verify the glossary (misses). Nothing failed passes silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from localize.errors import ModelError
from localize.markets import Market
from localize.translate.checks import check_line
from localize.translate.engines import LineContext, TranslationContext, TranslationEngine, get_engine
from localize.translate.glossary import Glossary, glossary_for_market
from localize.types import GlossaryMiss, Line, Segment, Transcript, Translation

log = logging.getLogger("localize")

DEMO_QUALITY_NOTE = (
    "The bundled translation engine (Gemma 3 270M, offline) is demo quality: post-edit every line, "
    "or point each market at a real model in localize.toml (engine = \"seq2seq\" and a local Marian, "
    "NLLB or M2M100 folder; see README, 'Use a better model', and `localize engines`)."
)


def translate_transcript(
    transcript: Transcript,
    market: Market,
    *,
    glossary: Glossary | None = None,
    engine: TranslationEngine | None = None,
) -> Translation:
    """One Line per segment (same times and speaker), with check flags and glossary misses.

    `glossary=None` loads the market's file (see `glossary_for_market`; pass `Glossary()`
    for none); `engine=None` uses the market's configured engine.
    """
    glossary = glossary_for_market(market) if glossary is None else glossary
    engine = get_engine(market.engine) if engine is None else engine
    segments = transcript.segments
    todo = [i for i, seg in enumerate(segments) if seg.text.strip()]
    began = time.perf_counter()
    outputs = _run_engine(engine, [glossary.protect(segments[i].text) for i in todo], market,
                          _context(segments, todo, glossary))
    targets = dict(zip(todo, outputs, strict=True))
    lines: list[Line] = []
    misses: list[GlossaryMiss] = []
    for index, seg in enumerate(segments):
        target = targets.get(index, "")
        lines.append(
            Line(
                index=index,
                start_ms=seg.start_ms,
                end_ms=seg.end_ms,
                source=seg.text,
                target=target,
                speaker=seg.speaker,
                flags=check_line(seg.text, target, market),
            )
        )
        misses += glossary.verify(index, seg.text, target)
    if todo:
        elapsed = time.perf_counter() - began
        log.info(
            "translated %d lines to %s with %s in %.1f s (%.2f s a line); %d flagged, %d glossary misses",
            len(todo),
            market.code,
            engine.name,
            elapsed,
            elapsed / len(todo),
            sum(1 for line in lines if line.flags),
            len(misses),
        )
    return Translation(market.code, engine.name, tuple(lines), tuple(misses))


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


def _context(segments: Sequence[Segment], todo: list[int], glossary: Glossary) -> TranslationContext:
    """Per line: its speaker, the two Chinese lines before it, and the glossary entries it contains."""
    return TranslationContext(lines=tuple(
        LineContext(speaker=segments[i].speaker,
                    previous=tuple(seg.text for seg in segments[max(0, i - 2):i] if seg.text.strip()),
                    terms=tuple(glossary.matches(segments[i].text)))
        for i in todo))


def _run_engine(engine: TranslationEngine, sources: list[str], market: Market,
                context: TranslationContext) -> list[str]:
    if not sources:
        return []
    outputs = list(engine.translate(sources, market, context))
    if len(outputs) != len(sources):
        raise ModelError(f"engine {engine.name} returned {len(outputs)} lines for {len(sources)}")
    return outputs
