"""Season benchmark: wall time per pipeline stage, ASR CER and real-time factor, translation chrF and QA.

The work is the season run's own (localize.season_run.run_season, one worker so stage times do not
overlap), on the built-in sample season with a fresh OUT and a fresh result store, so every stage
really runs; stage seconds are the run's own per-stage sums. Models are loaded first,
timed apart. Only the .mp4 files are copied into the season folder the run reads, so no script
is beside a video and the transcript comes from the speech and the picture alone; the scripts and
the reference translations are read from the generated sample folder.

Measured besides the stage times:
- CER of the fused transcript (what the markets translate) against the episode scripts;
- ASR alone, beam 5 (the default) and beam 1 (greedy) side by side: localize.asr.transcribe on the
  run's extracted 16 kHz audio, both timed the same way, outside the pipeline's stage total;
- chrF per market against the sample's references, end to end (fused transcript in, so recognition
  errors count): each delivered line is matched to the script line it overlaps most in time;
- per market, the share of lines retried / still carrying an error flag / shortened (the QA facts);
- delivered lines that are a pure repetition: localize.translate.checks.check_line run again on
  every persisted line (OUT/.work/<episode>/lines-<market>.json), counting `repetition` flags.

    .venv/bin/python bench/season.py [--episodes 3] [--markets en-US,es-419,pt-BR] [--no-preview]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media  # noqa: E402
from localize.asr import load_model, transcribe  # noqa: E402
from localize.markets import parse_markets  # noqa: E402
from localize.paths import EpisodePaths  # noqa: E402
from localize.picture.ocr import load_engine  # noqa: E402
from localize.pipeline import RunSettings  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.scoring import cer, chrf  # noqa: E402
from localize.season_run import ThreadSubmitter, run_season  # noqa: E402
from localize.translate.checks import REPETITION, check_line  # noqa: E402
from localize.translate.glossary import default_directory  # noqa: E402
from localize.translate.hf_adapter import load_causal_lm  # noqa: E402
from localize.translation_io import read_translation_json  # noqa: E402
from localize.types import Line  # noqa: E402

BEAMS = (5, 1)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def align(lines: tuple[Line, ...], script: list[dict[str, str]]) -> tuple[list[str], int]:
    """One hypothesis per script row: the targets of the delivered lines that overlap it most in time
    (empty when none does), and how many spoken lines overlap no script row at all."""
    spans = [(int(row["start_ms"]), int(row["end_ms"])) for row in script]
    parts: list[list[str]] = [[] for _ in script]
    unmatched = 0
    for line in lines:
        if not line.source.strip():
            continue
        best = max(range(len(spans)), key=lambda i: overlap(line.start_ms, line.end_ms, *spans[i]), default=None)
        if best is None or overlap(line.start_ms, line.end_ms, *spans[best]) == 0:
            unmatched += 1
            continue
        parts[best].append(line.target)
    return [" ".join(p) for p in parts], unmatched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=REPO / "bench" / ".cache" / "sample-season",
                        help="where the sample season is generated (or reused)")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--markets", default="en-US,es-419,pt-BR")
    parser.add_argument("--no-preview", action="store_true")
    args = parser.parse_args()
    markets = parse_markets(args.markets)
    setup: dict[str, float] = {}
    stages: dict[str, float] = defaultdict(float)

    t0 = time.perf_counter()
    generate_season(args.season, episodes=args.episodes)
    setup["sample season (generate or reuse)"] = time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="localize-bench-") as tmp:
        season_dir, out = Path(tmp) / "season", Path(tmp) / "out"
        season_dir.mkdir()
        videos = [Path(shutil.copy2(v, season_dir / v.name)) for v in sorted(args.season.glob("ep*.mp4"))]
        videos = videos[: args.episodes]
        glossaries = default_directory() if default_directory().is_dir() else None  # as `localize run` does
        settings = RunSettings(out_dir=out, glossary_dir=glossaries, preview=not args.no_preview)

        t0 = time.perf_counter()
        load_model(settings.asr)
        setup["ASR model load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_engine()
        setup["OCR engine load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for model in dict.fromkeys(m.engine.model for m in markets):
            load_causal_lm(model)
        setup["MT model load"] = time.perf_counter() - t0

        submit = ThreadSubmitter(workers=1)
        try:
            season = run_season(videos, markets, settings, submit, show_progress=True)
        finally:
            submit.close()
        if season.failures:
            for failure in season.failures:
                print(f"FAILED {failure.episode} [{failure.market}] ({failure.fault}): {failure.error}")
            return 1
        pipeline_wall = season.seconds
        stages.update(season.stage_seconds)
        reused = sum(season.reused.values())
        qa_errors = season.errors
        lufs = [r.dub.integrated_lufs for r in season.results if r.dub]
        audio_ms = 0
        fused_cer: list[tuple[str, str]] = []
        asr_seconds = dict.fromkeys(BEAMS, 0.0)
        asr_cer: dict[int, list[tuple[str, str]]] = {b: [] for b in BEAMS}
        mt_pairs: dict[str, tuple[list[str], list[str]]] = {m.code: ([], []) for m in markets}
        unaligned: Counter[str] = Counter()
        facts: dict[str, Counter[str]] = {m.code: Counter() for m in markets}
        repetitions: Counter[str] = Counter()
        for video in videos:
            ep = video.stem
            script = read_tsv(args.season / f"{ep}.script.tsv")
            reference = "".join(row["text"] for row in script)
            paths = EpisodePaths(out, ep)
            audio_ms += media.probe(video).duration_ms
            fused = json.loads(paths.transcript.read_text(encoding="utf-8"))
            fused_cer.append(("".join(s["text"] for s in fused["segments"]), reference))
            for beam in BEAMS:
                t0 = time.perf_counter()
                heard = transcribe(paths.asr_audio, dataclasses.replace(settings.asr, beam_size=beam))
                asr_seconds[beam] += time.perf_counter() - t0
                asr_cer[beam].append(("".join(s.text for s in heard.segments), reference))

            for market in markets:
                qa = json.loads(paths.market(market.code).qa_json.read_text(encoding="utf-8"))
                for key in ("lines", "lines_retried", "lines_with_errors", "lines_shortened"):
                    facts[market.code][key] += int(qa[key])
                translation = read_translation_json(paths.lines(market.code))
                repetitions[market.code] += sum(
                    any(f.code == REPETITION for f in check_line(line.source, line.target, market))
                    for line in translation.lines)
                hyps, missed = align(translation.lines, script)
                unaligned[market.code] += missed
                mt_pairs[market.code][0].extend(hyps)
                mt_pairs[market.code][1].extend(
                    row["text"] for row in read_tsv(args.season / f"{ep}.ref.{market.language}.tsv"))

    stage_total = sum(stages.values())
    audio_s = audio_ms / 1000
    print(f"\nsample season: {len(videos)} episode(s), {audio_s:.1f} s of audio, "
          f"markets {', '.join(m.code for m in markets)}, previews {'off' if args.no_preview else 'on'}")
    print(f"{'setup (not in the total)':<36}{'seconds':>9}")
    for name, seconds in setup.items():
        print(f"{name:<36}{seconds:9.1f}")
    print(f"\n{'pipeline stage':<36}{'seconds':>9}{'share':>8}")
    for name, seconds in stages.items():
        print(f"{name:<36}{seconds:9.1f}{seconds / stage_total:8.1%}")
    print(f"{'total (pipeline stages)':<36}{stage_total:9.1f}")
    other = pipeline_wall - stage_total
    print(f"{'outside stages (probe, fuse, QA, io)':<36}{other:9.1f}")
    print(f"{'pipeline wall':<36}{pipeline_wall:9.1f}   "
          f"(stage results reused: {reused}; 0 means every stage ran)")

    def weighted_cer(pairs: list[tuple[str, str]]) -> float:
        return sum(cer(h, r) * len(r) for h, r in pairs) / sum(len(r) for _, r in pairs)

    print(f"\nsource CER vs script: fused transcript (speech + picture) {weighted_cer(fused_cer):.3f}")
    print("ASR alone, side by side on the run's 16 kHz audio (not in the stage total):")
    for beam in BEAMS:
        print(f"  beam {beam}: {asr_seconds[beam]:6.1f} s, real-time factor {asr_seconds[beam] / audio_s:.3f}, "
              f"CER vs script {weighted_cer(asr_cer[beam]):.3f}")
    print(f"  beam 1 / beam 5 time ratio: {asr_seconds[1] / asr_seconds[5]:.2f}")

    print("\ntranslation, end to end (fused transcript in, lines matched to the script by time):")
    print(f"  {'market':<8}{'chrF':>6}{'refs':>6}{'unmatched':>11}{'lines':>7}{'retried':>9}{'errors':>8}"
          f"{'shortened':>11}{'repetition':>12}")
    for market in markets:
        code = market.code
        hyps, refs = mt_pairs[code]
        f = facts[code]
        total = f["lines"] or 1
        print(f"  {code:<8}{chrf(hyps, refs):6.1f}{len(refs):6d}{unaligned[code]:11d}{f['lines']:7d}"
              f"{f['lines_retried'] / total:9.1%}{f['lines_with_errors'] / total:8.1%}"
              f"{f['lines_shortened'] / total:11.1%}{repetitions[code]:12d}")
    loudness = f"{min(lufs):.1f} .. {max(lufs):.1f} LUFS" if lufs else "no dub"
    print(f"\ndub integrated loudness: {loudness}; QA errors: {qa_errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
