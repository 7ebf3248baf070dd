"""Shorter renderings of lines that do not fit (the length-aware request).

A line whose translation takes longer to read than its time on screen allows (the market's
characters per second x the line's duration) is sent back to the engine once, asking for a
shorter rendering within that many characters. The answer is kept only when it is shorter and
no worse by the output checks and the glossary; the line then records its longer text
(`Line.before_shortening`) for QA. The dub's fitting asks the same way for lines too long for
their slot (`shorten_lines` with its own budgets).

Engines that can be asked implement `Shortener` (the causal LM with a few-shot pattern of long
and short renderings, the OpenAI-compatible ones with an instruction); others (seq2seq, which
only translates) are skipped, and the subtitle checks report the line as too fast to read.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

from localize.markets import Market
from localize.subtitle.measure import text_length
from localize.translate.checks import check_line
from localize.translate.engines import LineContext, Shortener, ShortenRequest, TranslationEngine
from localize.translate.glossary import Glossary
from localize.types import Line, Severity, Translation

log = logging.getLogger("localize")


def cue_budget(line: Line, market: Market) -> int:
    """Characters `line` may take to be read in its time at the market's reading speed."""
    rules = market.rules
    seconds = max(line.end_ms - line.start_ms, rules.min_duration_ms) / 1000
    return max(1, math.floor(rules.max_cps * seconds))


def over_budget(translation: Translation, market: Market) -> dict[int, int]:
    """Line index -> budget, for lines whose translation is longer than their cue allows."""
    return {line.index: budget for line in translation.lines
            if line.target.strip() and line.start_ms < line.end_ms
            and text_length(line.target, market.language) > (budget := cue_budget(line, market))}


def shorten_lines(translation: Translation, market: Market, engine: TranslationEngine, budgets: dict[int, int],
                  glossary: Glossary | None = None) -> Translation:
    """Ask `engine` once for a shorter rendering of each line in `budgets` (index -> max characters).

    Lines already shortened are not asked again; an engine that cannot shorten leaves the
    translation as it is.
    """
    asked = [line for line in translation.lines if line.index in budgets and not line.before_shortening]
    if not asked or not isinstance(engine, Shortener):
        return translation
    glossary = glossary or Glossary()
    requests = [ShortenRequest(line.source, line.target, budgets[line.index], LineContext(speaker=line.speaker))
                for line in asked]
    answers = engine.shorten(requests, market)
    kept = {}
    for line, answer in zip(asked, answers, strict=True):
        text = answer.strip()
        if _better(line, text, market, glossary):
            kept[line.index] = replace(line, target=text, flags=check_line(line.source, text, market),
                                       before_shortening=line.target)
    log.info("asked %s for %d shorter lines for %s; kept %d", getattr(engine, "name", "engine"), len(asked),
             market.code, len(kept))
    return replace(translation, lines=tuple(kept.get(line.index, line) for line in translation.lines))


def _better(line: Line, text: str, market: Market, glossary: Glossary) -> bool:
    """Shorter, and no worse: no more error flags, no new glossary misses."""
    if not text or text_length(text, market.language) >= text_length(line.target, market.language):
        return False
    errors_now = sum(1 for f in line.flags if f.severity is Severity.ERROR)
    errors_new = sum(1 for f in check_line(line.source, text, market) if f.severity is Severity.ERROR)
    misses_now = len(glossary.verify(line.index, line.source, line.target))
    return errors_new <= errors_now and len(glossary.verify(line.index, line.source, text)) <= misses_now
