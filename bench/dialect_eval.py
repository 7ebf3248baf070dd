"""Dialect profiles measured: Whisper base prompts and Cantonese normalization, side by side in one run.

On ../shared/eval/asr (Mandarin and Cantonese clips, beam 5): CER (letters and digits, after OpenCC t2s)
without a prompt and with each candidate prompt, with the Cantonese lexicon off and on. The Cantonese
references are written Cantonese (我哋, 嘅), so Cantonese CER is given twice: against the reference as
written and against the reference passed through the same lexicon (standard written Chinese, which is what
translation needs). Then the lexicons on text alone: how many Cantonese markers they resolve in colloquial
written Cantonese (Tatoeba pairs), how many Mandarin sentences they wrongly change, and what
detect_dialect says on each kind of text.

    .venv/bin/python bench/dialect_eval.py [--clips 9] [--beam-size 5]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize.asr import AsrOptions, get_profile, normalize, transcribe  # noqa: E402
from localize.asr.chinese import to_simplified  # noqa: E402
from localize.asr.dialects import count_markers, detect_dialect  # noqa: E402
from localize.asr.guard import normalized  # noqa: E402
from localize.scoring import cer  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
# Candidate prompts: short, as DESIGN.md warns that long prompts make Whisper hallucinate.
PROMPTS = {
    "mandarin": "以下是普通话的句子。",
    "cantonese": "以下係廣東話，佢哋講嘢好快。",
}
CANTONESE = get_profile("cantonese")


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def clips(limit: int) -> dict[str, list[tuple[Path, str]]]:
    """Mandarin ("cmn") and Cantonese ("yue") clips with their references, [S1]/[S2] turn tags stripped."""
    found: dict[str, list[tuple[Path, str]]] = {"cmn": [], "yue": []}
    for row in read_tsv(EVAL / "asr" / "transcripts.tsv"):
        lang = row["lang"][:3]
        if lang in found and len(found[lang]) < limit:
            found[lang].append((EVAL / row["file"], re.sub(r"\[S\d\]", "", row["transcript"])))
    return found


def micro_cer(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Total character errors over total reference characters (long clips weigh more)."""
    sizes = [len(normalized(r)) for r in refs]
    errors = sum(cer(to_simplified(h), to_simplified(r)) * n for h, r, n in zip(hyps, refs, sizes, strict=True))
    return errors / max(sum(sizes), 1)


def recognise(items: Sequence[tuple[Path, str]], options: AsrOptions) -> tuple[list[str], float]:
    started = time.perf_counter()
    hyps = ["".join(s.text for s in transcribe(wav, options).segments) for wav, _ in items]
    return hyps, time.perf_counter() - started


def asr_table(limit: int, beam_size: int) -> list[str]:
    data = clips(limit)
    cmn_refs = [r for _, r in data["cmn"]]
    yue_refs = [r for _, r in data["yue"]]
    yue_std = [normalize(to_simplified(r), CANTONESE) for r in yue_refs]
    base = AsrOptions(beam_size=beam_size, normalize=False)
    runs: dict[str, dict[str, list[str]]] = {}
    seconds: dict[str, float] = {}
    for label, prompt in [("no prompt", None), *((f"{k} prompt", p) for k, p in PROMPTS.items())]:
        options = dataclasses.replace(base, initial_prompt=prompt)
        runs[label] = {}
        seconds[label] = 0.0
        for lang in ("cmn", "yue"):
            runs[label][lang], spent = recognise(data[lang], options)
            seconds[label] += spent
    lines = [f"ASR: Whisper base, beam {beam_size}, {len(cmn_refs)} Mandarin + {len(yue_refs)} Cantonese clips, "
             "micro CER (%)",
             "(yue/as-written: against the written-Cantonese references; yue/standard: those references through "
             "the Cantonese lexicon)",
             f"{'setting':<36} {'cmn':>6} {'yue/as-written':>15} {'yue/standard':>13} {'seconds':>8}"]
    for label, hyps in runs.items():
        for lexicon in (False, True):
            yue = [normalize(h, CANTONESE) for h in hyps["yue"]] if lexicon else hyps["yue"]
            name = f"{label} + cantonese lexicon" if lexicon else label
            cmn = "" if lexicon else f"{100 * micro_cer(hyps['cmn'], cmn_refs):.1f}"
            lines.append(f"{name:<36} {cmn:>6} {100 * micro_cer(yue, yue_refs):>15.1f} "
                         f"{100 * micro_cer(yue, yue_std):>13.1f} {'' if lexicon else f'{seconds[label]:.0f}':>8}")
    raw = runs["no prompt"]
    lines.append("")
    lines.append(f"Cantonese markers in Whisper's Cantonese output: {sum(_markers(h) for h in raw['yue'])} "
                 f"(references: {sum(_markers(to_simplified(r)) for r in yue_refs)})")
    for lang in ("cmn", "yue"):
        lines.append(f"detect_dialect on Whisper's {lang} output: {detect_dialect(raw[lang])[1]}")
    for label in runs:
        if label != "no prompt":
            lines.append(f"{label}, first Cantonese clip: {runs[label]['yue'][0]}")
    return lines


def _markers(text: str) -> int:
    return sum(count_markers(text, CANTONESE).values())


def _changed(texts: Sequence[str], profile_name: str) -> list[tuple[str, str]]:
    profile = get_profile(profile_name)
    return [(t, normalize(t, profile)) for t in texts if normalize(t, profile) != t]


def lexicon_table() -> list[str]:
    pairs = read_tsv_csv(EVAL / "mt" / "zh_parallel_pairs.tsv")
    flores = read_tsv(EVAL / "mt" / "flores200_devtest_zh_multiway.tsv")
    yue = [to_simplified(r["src"]) for r in pairs if r["src_lang"].startswith("yue")]
    cmn = [to_simplified(r["src"]) for r in pairs if r["src_lang"].startswith("cmn")]
    cmn += [r["zho_Hans"] for r in flores]
    cmn += [to_simplified(re.sub(r"\[S\d\]", "", ref)) for _, ref in clips(99)["cmn"]]
    lines = ["Lexicons on text (no audio)"]
    before = sum(_markers(t) for t in yue)
    after = sum(_markers(normalize(t, CANTONESE)) for t in yue)
    lines.append(f"cantonese: {len(yue)} colloquial written-Cantonese sentences (Tatoeba): {before} markers, "
                 f"{after} left after normalization")
    for src, out in _changed(yue, "cantonese")[:6]:
        lines.append(f"  {src} -> {out}")
    for name in ("cantonese", "sichuanese"):
        wrong = _changed(cmn, name)
        lines.append(f"{name} lexicon on {len(cmn)} Mandarin sentences: {len(wrong)} changed")
        lines.extend(f"  {src} -> {out}" for src, out in wrong[:5])
    lines.append(f"detect_dialect on the Tatoeba Cantonese: {detect_dialect(yue)[1]}")
    lines.append(f"detect_dialect on the Mandarin sentences: {detect_dialect(cmn)[1]}")
    return lines


def read_tsv_csv(path: Path) -> list[dict[str, str]]:
    """The MT pairs are CSV-quoted TSV."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quotechar='"'))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clips", type=int, default=9, help="clips per language (default: all 9)")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--no-asr", action="store_true", help="only the text measurements (no model)")
    args = parser.parse_args(argv)
    if not (EVAL / "asr" / "transcripts.tsv").is_file():
        print(f"evaluation data not found at {EVAL}; nothing to measure")
        return 0
    lines = lexicon_table()
    if not args.no_asr:
        lines += ["", *asr_table(args.clips, args.beam_size)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
