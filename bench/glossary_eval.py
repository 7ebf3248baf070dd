"""Glossary compliance per market and engine, before and after term repair, on the sample season.

For each market (all twelve by default) and engine, the sample season's lines (the studio script
of `localize/sample/story.tsv`, which the pipeline reads as the source of those episodes) are
translated episode by episode with the market's glossary, as `localize run` translates them (no
translation memory: every line goes to the engine). Printed per market and engine:

- terms: enforced term occurrences in the Chinese (names, forms of address, slang, terms, brands);
- before: the share the engine's answers held (after protection and the checks' retries, before
  term repair: the terms repair placed are taken back out of the count);
- after: the share the delivered lines hold;
- placed: by how (constrained decoding, asked again, respelled, vocative...);
- flagged: lines still missing a term, and whether each miss says why it could not be placed.

Halves: episodes 1-2 were looked at while term repair was built (the tuning half); episode 3 was
not (the reporting half). Both are printed, labelled. Engines: `causal-lm` is the bundled Gemma 3
270M; `openai` is the same model behind `localize serve-model` on 127.0.0.1 (the chat path: its
repair is a targeted re-ask).

    .venv/bin/python bench/glossary_eval.py [--markets en-US,es-419] [--engines causal-lm,openai]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localize.markets import EngineSpec, Market, get_market, market_codes
from localize.sample.script import load_story
from localize.translate.engines import TranslationEngine, get_engine
from localize.translate.glossary import Glossary, glossary_for_market
from localize.translate.translate import translate_transcript
from localize.types import Segment, Transcript

TUNING = (1, 2)  # looked at while term repair was built
REPORTING = (3,)
GOAL_MARKETS = ("en-US", "es-419", "pt-BR")
GOAL_SHARE = 0.98


@dataclass
class Tally:
    terms: int = 0
    before: int = 0
    after: int = 0
    placed: Counter[str] = field(default_factory=Counter)
    flagged_lines: int = 0
    misses: int = 0
    misses_with_reason: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        self.terms += other.terms
        self.before += other.before
        self.after += other.after
        self.placed.update(other.placed)
        self.flagged_lines += other.flagged_lines
        self.misses += other.misses
        self.misses_with_reason += other.misses_with_reason
        self.seconds += other.seconds


def episode_transcript(episode: int) -> Transcript:
    lines = [line for line in load_story() if line.episode == episode]
    segments = tuple(Segment(i * 3000, i * 3000 + 2500, line.zh, speaker=line.speaker) for i, line in enumerate(lines))
    return Transcript(language="zh", segments=segments, duration_ms=len(lines) * 3000, source=f"ep{episode:02d}.mp4")


def evaluate(engine: TranslationEngine, market: Market, glossary: Glossary, episode: int) -> Tally:
    tally = Tally()
    began = time.perf_counter()
    translation = translate_transcript(episode_transcript(episode), market, glossary=glossary, engine=engine,
                                       fit_cues=False)
    tally.seconds = time.perf_counter() - began
    for line in translation.lines:
        expected, found = glossary.honoured(line.source, line.target)
        tally.terms += expected
        tally.after += found
        tally.before += max(0, found - len(line.terms_placed))
        tally.placed.update(how.rsplit("(", 1)[-1].rstrip(")") for how in line.terms_placed)
    term_misses = [m for m in translation.glossary_misses if m.kind != "forbidden"]
    tally.flagged_lines = len({m.line_index for m in term_misses})
    tally.misses = len(term_misses)
    tally.misses_with_reason = sum(1 for m in term_misses if "; not placed: " in m.message)
    return tally


@contextmanager
def served_gemma() -> Iterator[str]:
    from localize.translate.serve import ServeOptions, running

    with running(ServeOptions(model="gemma3-270m", port=0, max_new_tokens=96)) as base_url:
        yield base_url


def engine_for(name: str, base_url: str | None) -> TranslationEngine:
    if name == "openai":
        return get_engine(EngineSpec(name="openai", model="gemma3-270m", base_url=base_url or "", timeout_s=120,
                                     max_concurrency=1))
    return get_engine(EngineSpec(name=name, model="gemma3-270m"))


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def row(label: str, tally: Tally) -> str:
    placed = ", ".join(f"{how} {n}" for how, n in tally.placed.most_common()) or "-"
    reasons = f"{tally.misses_with_reason}/{tally.misses}" if tally.misses else "-"
    return (f"{label:<22} {tally.terms:>5} {share(tally.before, tally.terms):>7} {share(tally.after, tally.terms):>7} "
            f"{tally.flagged_lines:>7} {reasons:>8}  {placed}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markets", default=",".join(market_codes()), help="comma-separated market codes")
    parser.add_argument("--engines", default="causal-lm", help="comma-separated: causal-lm, openai")
    args = parser.parse_args(argv)
    markets = [get_market(code) for code in args.markets.split(",")]
    names = args.engines.split(",")
    header = (f"{'market / engine / half':<22} {'terms':>5} {'before':>7} {'after':>7} {'flagged':>7} "
              f"{'reasons':>8}  placed")
    results: dict[tuple[str, str, str], Tally] = {}
    with served_gemma() if "openai" in names else nullcontext(None) as base_url:
        for name in names:
            engine = engine_for(name, base_url)
            for market in markets:
                glossary = glossary_for_market(market)
                for half, episodes in (("tuning", TUNING), ("reporting", REPORTING)):
                    total = Tally()
                    for episode in episodes:
                        total.add(evaluate(engine, market, glossary, episode))
                    results[(name, market.code, half)] = total
                    print(row(f"{market.code} {name} {half}", total), f"({total.seconds:.0f} s)", flush=True)
    print()
    print(header)
    for (name, code, half), tally in results.items():
        print(row(f"{code} {name} {half}", tally))
    print()
    ok = True
    for (name, code, half), tally in results.items():
        unaccounted = tally.terms - tally.after - tally.misses_with_reason
        if unaccounted > 0:
            ok = False
            print(f"GOAL MISSED: {code} {name} {half}: {unaccounted} term occurrences neither present nor flagged "
                  "with a reason")
        if code in GOAL_MARKETS and name == "causal-lm" and half == "reporting" and tally.terms and \
                tally.after / tally.terms < GOAL_SHARE:
            ok = False
            print(f"GOAL MISSED: {code} {name}: {share(tally.after, tally.terms)} present (goal {GOAL_SHARE:.0%})")
    print("goal met: every term present or flagged with a reason; en-US, es-419, pt-BR >= 98% present"
          if ok else "goal not met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
