"""Translation benchmark: the demo engine with and without script-only decoding, side by side.

Same lines, same model, one run: chrF, flagged lines, glossary misses and seconds a line, on the
sample season's script (with its own references) and, when ../shared/eval is beside the checkout,
on real sentence pairs.

    .venv/bin/python bench/translation.py [--season sample-season] [--pairs 40] [--markets en-US,es-419,pt-BR]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize.markets import Market, parse_markets  # noqa: E402
from localize.scoring import chrf  # noqa: E402
from localize.translate import CausalLMEngine, CausalLMOptions, Glossary, glossary_for_market, translate_texts  # noqa: E402
from localize.translate.hf_adapter import load_causal_lm  # noqa: E402

PAIRS = REPO.parent / "shared" / "eval" / "mt" / "zh_parallel_pairs.tsv"


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def sample_lines(season: Path, language: str) -> tuple[list[str], list[str]]:
    sources: list[str] = []
    refs: list[str] = []
    for script in sorted(season.glob("ep*.script.tsv")):
        sources += [row["text"] for row in read_tsv(script)]
        refs += [row["text"] for row in read_tsv(script.with_name(script.name.replace("script", f"ref.{language}")))]
    return sources, refs


def real_pairs(language: str, limit: int) -> tuple[list[str], list[str]]:
    if not PAIRS.is_file():
        return [], []
    iso3 = {"en": "eng", "es": "spa", "pt": "por", "id": "ind", "vi": "vie"}.get(language, language)
    rows = [r for r in read_tsv(PAIRS) if r["tgt_lang"] == iso3 and r["id"].startswith("tatoeba-zh-")]
    rows = rows[:limit]
    return [r["src"] for r in rows], [r["ref"] for r in rows]


def run(label: str, sources: list[str], refs: list[str], market: Market, glossary: Glossary) -> None:
    results = {}
    for script_only in (False, True):
        engine = CausalLMEngine("gemma3-270m", CausalLMOptions(script_only=script_only))
        t0 = time.perf_counter()
        translation = translate_texts(sources, market, glossary=glossary, engine=engine)
        seconds = time.perf_counter() - t0
        hyps = [line.target for line in translation.lines]
        flagged = sum(1 for line in translation.lines if any(f.severity.value == "error" for f in line.flags))
        results[script_only] = (chrf(hyps, refs), flagged, len(translation.glossary_misses), seconds / len(sources))
    for script_only, (score, flagged, misses, per_line) in results.items():
        name = "script-only" if script_only else "free      "
        print(f"  {label:<8} {market.code:<7} {name} chrF {score:5.1f}  error-flagged {flagged:3d}/{len(sources)}"
              f"  glossary misses {misses:3d}  {per_line:5.2f} s/line")
    print(f"  {label:<8} {market.code:<7} chrF ratio script-only/free {results[True][0] / results[False][0]:.2f}, "
          f"time ratio {results[True][3] / results[False][3]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=REPO / "sample-season")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--markets", default="en-US,es-419,pt-BR")
    args = parser.parse_args()
    t0 = time.perf_counter()
    load_causal_lm("gemma3-270m")
    print(f"model load {time.perf_counter() - t0:.1f} s")
    for market in parse_markets(args.markets):
        sources, refs = sample_lines(args.season, market.language)
        if sources:
            run("sample", sources, refs, market, glossary_for_market(market))
        sources, refs = real_pairs(market.language, args.pairs)
        if sources:
            run("real", sources, refs, market, Glossary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
