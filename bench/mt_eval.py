"""Machine translation benchmark: engine configurations side by side, in one run.

For each language pair of the pairs file that a market covers (Mandarin sources; the
markets are en-US, es-419, pt-BR), on the first --limit pairs:

- causal-lm (bundled Gemma 3 270M) with the built-in few-shot examples, in bfloat16 and float32;
- the same with examples from a translation memory: k-fold, each fold translated with a
  memory (a temporary SQLite file) of approved pairs from all OTHER pairs of that language
  (never the fold's own pairs, nor any pair with the same Chinese source);
- seq2seq through transformers vs CTranslate2 (float32 and int8) on the same model. No real
  zh->xx seq2seq model can be had offline, so by default a random-weight Marian of
  opus-mt-zh-en's size is built and converted here: its chrF is meaningless, its speed is
  not. `--seq2seq DIR` uses a real local transformers model instead (converted to a temporary
  CTranslate2 folder, or `--ct2 DIR`).

Columns: chrF (sacrebleu, corpus), lines per second (model load excluded), lines with any
output-check flag (`localize.translate.checks.check_line`) and with an error flag.

    .venv/bin/python bench/mt_eval.py [--pairs PATH] [--limit 40] [--folds 5] [--seq2seq DIR] [--skip ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # tiny_models: the random Marian builder the tests use

from localize.markets import Market, parse_markets  # noqa: E402
from localize.scoring import chrf  # noqa: E402
from localize.translate import (  # noqa: E402
    CausalLMEngine,
    Seq2SeqEngine,
    Seq2SeqOptions,
    TranslationContext,
    check_line,
    hf_adapter,
)
from localize.translate.ct2_adapter import DecodeOptions, convert, load_model  # noqa: E402
from localize.translate.engines import CTranslate2Engine, LineContext, TranslationEngine  # noqa: E402
from localize.translate.fewshot import Example  # noqa: E402
from localize.translate.memory import APPROVED, Entry, TranslationMemory, normalize  # noqa: E402
from localize.translate.translate import MemoryOptions  # noqa: E402
from localize.types import Severity  # noqa: E402

PAIRS = REPO.parent / "shared" / "eval" / "mt" / "zh_parallel_pairs.tsv"
ISO3 = {"en": "eng", "es": "spa", "pt": "por", "id": "ind", "vi": "vie", "th": "tha", "ar": "ara"}
MANDARIN = "cmn_Hans"
SEQ2SEQ_TOKENS = 64  # new tokens a line for the seq2seq rows (a random model rarely stops by itself)
CONFIGS = ("fewshot", "memory", "float32", "seq2seq")


@dataclass(frozen=True)
class Row:
    pair: str
    config: str
    lines: int
    chrf: float | None  # None: meaningless (random weights)
    lines_per_s: float
    flagged: int
    errors: int
    note: str = ""


def read_pairs(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def flags(sources: Sequence[str], targets: Sequence[str], market: Market) -> tuple[int, int]:
    found = [check_line(s, t, market) for s, t in zip(sources, targets, strict=True)]
    return sum(1 for f in found if f), sum(1 for f in found if any(x.severity == Severity.ERROR for x in f))


def timed(translate: Callable[[], list[str]]) -> tuple[list[str], float]:
    began = time.perf_counter()
    out = translate()
    return out, time.perf_counter() - began


def score_row(pair: str, config: str, market: Market, sources: Sequence[str], refs: Sequence[str],
              hyps: Sequence[str], seconds: float, meaningful: bool = True, note: str = "") -> Row:
    flagged, errors = flags(sources, hyps, market)
    row = Row(pair, config, len(sources), chrf(hyps, refs) if meaningful else None,
              len(sources) / max(seconds, 1e-9), flagged, errors, note)
    print_row(row)
    return row


def memory_examples(memory: TranslationMemory, sources: Sequence[str], market: Market,
                    options: MemoryOptions) -> list[tuple[Example, ...]]:
    """Close approved pairs per line, as translate_transcript finds them (identical sources left out)."""
    found = []
    for source in sources:
        matches = memory.fuzzy(source, market.code, limit=options.examples, min_score=options.min_score,
                               origin=APPROVED)
        found.append(tuple(Example(m.entry.source, m.target, m.entry.origin) for m in matches
                           if normalize(m.entry.source) != normalize(source)))
    return found


def with_memory(engine: TranslationEngine, market: Market, rows: Sequence[dict[str, str]], held: int,
                folds: int, options: MemoryOptions) -> tuple[list[str], float, int]:
    """Translate the first `held` rows fold by fold, each with a memory of every other row of the language."""
    outputs: list[str] = []
    seconds = 0.0
    covered = 0
    for fold in range(folds):
        test = [i for i in range(held) if i % folds == fold]
        if not test:
            continue
        test_sources = {normalize(rows[i]["src"]) for i in test}
        with tempfile.TemporaryDirectory() as tmp:
            memory = TranslationMemory(Path(tmp) / "memory.sqlite")
            memory.add(Entry(r["src"], r["ref"], market.code, origin=APPROVED, engine="reference")
                       for i, r in enumerate(rows) if i not in test and normalize(r["src"]) not in test_sources)
            sources = [rows[i]["src"] for i in test]
            began = time.perf_counter()
            examples = memory_examples(memory, sources, market, options)
            context = TranslationContext(lines=tuple(LineContext(examples=shots) for shots in examples))
            fold_out = engine.translate(sources, market, context)
            seconds += time.perf_counter() - began
            memory.close()
        covered += sum(1 for shots in examples if shots)
        outputs += fold_out
    order = [i for fold in range(folds) for i in range(held) if i % folds == fold]
    restored = [""] * held
    for i, text in zip(order, outputs, strict=True):
        restored[i] = text
    return restored, seconds, covered


def causal_rows(pair: str, market: Market, rows: Sequence[dict[str, str]], limit: int, args: argparse.Namespace,
                speed: bool) -> list[Row]:
    test = list(rows[:limit])
    sources, refs = [r["src"] for r in test], [r["ref"] for r in test]
    out: list[Row] = []
    bf16 = CausalLMEngine("gemma3-270m", dtype="auto")
    kind = hf_adapter.torch_dtype("auto", "cpu")
    if "fewshot" not in args.skip:
        hyps, seconds = timed(lambda: bf16.translate(sources, market))
        out.append(score_row(pair, f"causal-lm {kind}, built-in examples", market, sources, refs, hyps, seconds))
    for min_score in args.min_scores if "memory" not in args.skip else ():
        options = MemoryOptions(min_score=min_score)
        hyps, seconds, covered = with_memory(bf16, market, rows, len(test), args.folds, options)
        label = f"causal-lm {kind}, memory >= {min_score:g}"
        out.append(score_row(pair, label, market, sources, refs, hyps, seconds,
                             note=f"{covered}/{len(test)} lines had memory examples (memory: the other pairs of "
                                  f"{len(rows)}, {args.folds} folds)"))
    if "float32" not in args.skip and kind != "float32" and speed:
        fp32 = CausalLMEngine("gemma3-270m", dtype="float32")
        hf_adapter.load_causal_lm("gemma3-270m", "cpu", "float32")
        hyps, seconds = timed(lambda: fp32.translate(sources, market))
        out.append(score_row(pair, "causal-lm float32, built-in examples", market, sources, refs, hyps, seconds))
    return out


@dataclass(frozen=True)
class Seq2SeqModels:
    transformers_dir: Path
    ct2_float32: Path
    real: bool


def prepare_seq2seq(args: argparse.Namespace, texts: Sequence[str], tmp: Path) -> Seq2SeqModels:
    if args.seq2seq:
        converted = args.ct2 or convert(args.seq2seq, tmp / "ct2")
        return Seq2SeqModels(args.seq2seq, converted, True)
    from tiny_models import OPUS_MT, build_marian

    began = time.perf_counter()
    source = build_marian(tmp / "random-marian", OPUS_MT, lines=texts)
    converted = convert(source, tmp / "random-marian-ct2")
    print(f"built a random Marian of opus-mt-zh-en's size (d_model 512, 6+6 layers, vocab "
          f"{len(hf_adapter.load_tokenizer(str(source)))}) and converted it in {time.perf_counter() - began:.0f} s")
    return Seq2SeqModels(source, converted, False)


def seq2seq_rows(pair: str, market: Market, sources: Sequence[str], refs: Sequence[str], models: Seq2SeqModels
                 ) -> list[Row]:
    meaningful = models.real
    note = "" if meaningful else "random weights: chrF meaningless, speed real"
    tokens = SEQ2SEQ_TOKENS
    # transformers forces </s> as the last of max_new_tokens; CTranslate2 gets one token less to match it.
    engines: list[tuple[str, TranslationEngine]] = []
    for dtype in ("float32", hf_adapter.torch_dtype("auto", "cpu")):
        hf_adapter.load_seq2seq(str(models.transformers_dir), "cpu", dtype)
        engines.append((f"seq2seq transformers {dtype}, greedy",
                        Seq2SeqEngine(str(models.transformers_dir), Seq2SeqOptions(max_new_tokens=tokens),
                                      dtype=dtype)))
    greedy = DecodeOptions(beam_size=1, max_decoding_length=tokens - 1)
    for compute in ("float32", "int8"):
        load_model(str(models.ct2_float32), "cpu", compute)
        engines.append((f"ctranslate2 {compute}, greedy", CTranslate2Engine(str(models.ct2_float32), greedy,
                                                                             dtype=compute)))
    load_model(str(models.ct2_float32), "cpu", "int8")
    engines.append(("ctranslate2 int8, beam 4", CTranslate2Engine(
        str(models.ct2_float32), DecodeOptions(beam_size=4, max_decoding_length=tokens - 1), dtype="int8")))
    out: list[Row] = []
    outputs: dict[str, list[str]] = {}
    for label, engine in dict(engines).items():  # one row per label (float32 twice where bfloat16 is not native)
        began = time.perf_counter()
        hyps = engine.translate(sources, market)
        seconds = time.perf_counter() - began
        outputs[label] = hyps
        same = f"; {sum(map(len, hyps)) / max(len(hyps), 1):.0f} chars a line"
        if label.startswith("ctranslate2 float32"):
            reference = outputs["seq2seq transformers float32, greedy"]
            agree = sum(a == b for a, b in zip(hyps, reference, strict=True))
            same += f"; same text as transformers float32: {agree}/{len(hyps)}"
        out.append(score_row(pair, label, market, sources, refs, hyps, seconds, meaningful, note + same))
    return out


def print_row(row: Row) -> None:
    score = f"{row.chrf:5.1f}" if row.chrf is not None else "  n/a"
    print(f"{row.pair:<7} {row.config:<40} {row.lines:>5} {score} {row.lines_per_s:8.2f} "
          f"{row.flagged:>4} ({100 * row.flagged / max(row.lines, 1):3.0f}%) {row.errors:>4}  {row.note}", flush=True)


HEADER = f"{'pair':<7} {'configuration':<40} {'lines':>5}  chrF  lines/s flagged     errors  note"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=PAIRS, help="TSV with src_lang, tgt_lang, src, ref columns")
    parser.add_argument("--limit", type=int, default=40, help="test lines per language pair (default 40)")
    parser.add_argument("--markets", default="en-US,es-419,pt-BR")
    parser.add_argument("--folds", type=int, default=5, help="memory configuration: folds (default 5)")
    parser.add_argument("--min-scores", default=f"{MemoryOptions().min_score:g},30",
                        help="memory configurations: least similarity of an example, one row each "
                             "(default: the product's, %(default)s)")
    parser.add_argument("--speed-pairs", type=int, default=1,
                        help="language pairs that also get the float32 and seq2seq rows (default 1: their speed "
                             "does not depend on the language, and a random seq2seq model has no quality)")
    parser.add_argument("--seq2seq", type=Path, help="a real local transformers seq2seq model (else a random one)")
    parser.add_argument("--ct2", type=Path, help="with --seq2seq: its CTranslate2 conversion (else converted here)")
    parser.add_argument("--skip", default="", help=f"comma-separated, from: {', '.join(CONFIGS)}")
    args = parser.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    args.min_scores = [float(x) for x in args.min_scores.split(",") if x]
    if not args.pairs.is_file():
        print(f"skipped: no sentence pairs at {args.pairs} (give --pairs PATH)")
        return 0
    pairs = read_pairs(args.pairs)
    markets = parse_markets(args.markets)
    by_language = {m.language: [r for r in pairs if r["src_lang"] == MANDARIN and r["tgt_lang"] == ISO3[m.language]]
                   for m in markets}
    left_out = sorted({f"{r['src_lang']}->{r['tgt_lang']}" for r in pairs} -
                      {f"{MANDARIN}->{ISO3[m.language]}" for m in markets})
    print(f"{args.pairs}: {len(pairs)} pairs; not evaluated (no market for them, or not Mandarin): "
          f"{', '.join(left_out)}")
    began = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mt-eval-") as tmp:
        models = None
        if "seq2seq" not in args.skip:
            texts = [t for r in pairs for t in (r["src"], r["ref"])]
            models = prepare_seq2seq(args, texts, Path(tmp))
        if {"fewshot", "memory", "float32"} - args.skip:
            t0 = time.perf_counter()
            hf_adapter.load_causal_lm("gemma3-270m", "cpu", "auto")
            print(f"gemma3-270m loaded in {time.perf_counter() - t0:.0f} s")
        print(HEADER)
        for number, market in enumerate(markets):
            speed = number < args.speed_pairs or args.seq2seq is not None
            language_rows = by_language[market.language]
            if not language_rows:
                print(f"{market.code}: no {MANDARIN}->{ISO3[market.language]} pairs")
                continue
            pair = f"zh-{market.language}"
            test = language_rows[: args.limit]
            rows += causal_rows(pair, market, language_rows, args.limit, args, number < args.speed_pairs)
            if models is not None and speed:
                rows += seq2seq_rows(pair, market, [r["src"] for r in test], [r["ref"] for r in test], models)
    print(f"\nsummary ({time.perf_counter() - began:.0f} s in all; lines/s exclude model loads; 2 cores here)")
    print(HEADER)
    for row in rows:
        print_row(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
