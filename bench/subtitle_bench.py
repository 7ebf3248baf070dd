"""Subtitle throughput per market, and the cost of removing the burned-in line per mode.

1. Cues per second on a synthetic season (default 100 episodes of 36-44 lines each), per market,
   the markets side by side. Each episode's translated lines are deterministic random text in the
   market's language, drawn from the words of its few-shot examples (`localize.translate.fewshot`;
   Thai cut into words by the PyThaiNLP segmenter, Japanese into 1-4 character pieces, both joined
   without spaces). Every word gets a start and end time (0.7-1.1 times the time the market's
   reading speed (max CPS) gives its characters, short pauses between words, longer ones between
   lines); a line spans its words. Two timings:
   - "cues/s (no files)": what `deliver_subtitles` does before writing, in memory: the market's
     layout and fitted rules (`VerticalLayout.for_market(...).fit_rules`), segmentation
     (`segment.make_cues`), timing (`timing.apply_timing`) and QA (`lint.check_cues`);
   - "cues/s (files)": `deliver_subtitles` itself, which also writes SRT, WebVTT, ASS and TTML
     (right-to-left marks added for Arabic) into a temporary folder.
2. Seconds of removal per second of video for each mode (inpaint, blur, box, avoid) on the
   built-in sample season (generated and cached under bench/.cache/removal, shared with
   bench/removal_eval.py, whose OCR reading of the burned-in lines is reused from its result store).
   Removal is `localize.picture.remove.remove_lines` (the picture pass, decode + clean + encode at
   the preview's size); box and avoid do not rewrite the picture (libass draws the box, or the
   line moves clear of the band, in the preview render), so their removal cost is 0. `--preview`
   also times the preview render of each mode (removal_eval.preview), where box and avoid spend theirs.

    .venv/bin/python bench/subtitle_bench.py                        # 100 synthetic episodes, 3 sample episodes
    .venv/bin/python bench/subtitle_bench.py --markets en-US,th-TH,ja-JP,ar --episodes 1 --preview
    .venv/bin/python bench/subtitle_bench.py --synthetic-episodes 2 --episodes 1 --clip-s 12  # smoke run
    .venv/bin/python bench/subtitle_bench.py --episodes 0          # subtitles only

`--episodes 0` skips removal; `--synthetic-episodes 0` skips the subtitle part; `--clip-s S`
removes only the first S seconds of each episode (a quick run; the rate is still per second of video;
the band is found only where the burned-in text changes, so a clip needs two lines or more: 12 s or so).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from removal_eval import preview  # noqa: E402

from localize import media  # noqa: E402
from localize.asr.source import PictureOptions, read_picture  # noqa: E402
from localize.markets import Market, parse_markets  # noqa: E402
from localize.picture.remove import REMOVAL_MODES, RemovalOptions, remove_lines  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.store import ResultStore  # noqa: E402
from localize.subtitle import thai  # noqa: E402
from localize.subtitle.deliver import deliver_subtitles  # noqa: E402
from localize.subtitle.layout import VerticalLayout  # noqa: E402
from localize.subtitle.lint import check_cues  # noqa: E402
from localize.subtitle.measure import base_language, is_unspaced  # noqa: E402
from localize.subtitle.segment import make_cues  # noqa: E402
from localize.subtitle.timing import apply_timing  # noqa: E402
from localize.translate.fewshot import EXAMPLES, SHORTER  # noqa: E402
from localize.types import Line, Word  # noqa: E402

FPS = 25.0
DEFAULT_MARKETS = "en-US,th-TH,ja-JP,ar"
REMOVAL_DIR = REPO / "bench" / ".cache" / "removal"  # removal_eval.py's: the same season and OCR store
_PUNCTUATION = re.compile(r"[\s。、，,.!?！？「」…]+")


# --- 1. segmentation + QA on a synthetic season ---------------------------------------------------

def vocabulary(language: str) -> list[str]:
    """Words of the language's few-shot targets (Thai by its segmenter, Japanese in short pieces)."""
    base = base_language(language)
    texts = [e.target for e in (*EXAMPLES.get(base, ()), *SHORTER.get(base, ()))]
    if not texts:
        raise SystemExit(f"no few-shot examples for {language!r} to draw words from")
    if base == "th":
        return [w for text in texts for w in thai.words(text) if w.strip()]
    if is_unspaced(base):
        pieces: list[str] = []
        for run in (r for text in texts for r in _PUNCTUATION.split(text) if r):
            at = 0
            while at < len(run):
                size = 1 + (at * 7 + len(run)) % 4  # deterministic 1-4 character pieces
                pieces.append(run[at:at + size])
                at += size
        return pieces
    return [w for text in texts for w in text.split()]


def words_for_line(rng: random.Random, vocab: Sequence[str], start_ms: int, count: int,
                   char_ms: float) -> list[Word]:
    words, t = [], start_ms
    for _ in range(count):
        text = rng.choice(vocab)
        duration = 40 + round(len(text) * char_ms * rng.uniform(0.7, 1.1))
        words.append(Word(t, t + duration, text))
        t += duration + rng.choice((0, 0, 40, 90, 180))
    return words


@dataclass(frozen=True)
class Episode:
    lines: tuple[Line, ...]
    duration_ms: int


def synthetic_episode(market: Market, vocab: Sequence[str], number: int) -> Episode:
    """About 40 word-timed lines in the market's language; the same for the same market and number."""
    rng = random.Random(f"{market.code}/{number}")
    joiner = "" if is_unspaced(market.language) else " "
    lines: list[Line] = []
    t = rng.randint(300, 1500)
    for index in range(rng.randint(36, 44)):
        words = words_for_line(rng, vocab, t, rng.randint(3, 16), 1000 / market.rules.max_cps)
        text = joiner.join(w.text for w in words)
        lines.append(Line(index=index, start_ms=words[0].start_ms, end_ms=words[-1].end_ms,
                          source=f"第{index + 1}句", target=text, speaker=f"S{rng.randint(1, 4)}"))
        t = words[-1].end_ms + rng.randint(150, 1800)
    return Episode(tuple(lines), t + 1000)


def cues_in_memory(episode: Episode, market: Market) -> tuple[int, int]:
    """What deliver_subtitles does before writing files: (cues, findings)."""
    layout = VerticalLayout.for_market(market)
    rules = layout.fit_rules(market.rules)
    cues = apply_timing(make_cues(episode.lines, rules, FPS, market.language), rules, FPS, episode.duration_ms)
    return len(cues), len(check_cues(cues, rules, FPS, language=market.language))


def cues_with_files(episode: Episode, market: Market, out_dir: Path, stem: str) -> tuple[int, int]:
    done = deliver_subtitles(episode.lines, market, fps=FPS, duration_ms=episode.duration_ms,
                             out_dir=out_dir, stem=stem)
    return len(done.cues), len(done.findings)


@dataclass
class SubtitleTally:
    lines: int = 0
    cues: int = 0
    findings: int = 0
    memory_s: float = 0.0
    files_s: float = 0.0
    files_cues: int = 0


def bench_subtitles(markets: Sequence[Market], episodes: int) -> dict[str, SubtitleTally]:
    tallies: dict[str, SubtitleTally] = {}
    for market in markets:
        vocab = vocabulary(market.language)
        season = [synthetic_episode(market, vocab, n) for n in range(1, episodes + 1)]
        tally = tallies[market.code] = SubtitleTally(lines=sum(len(e.lines) for e in season))
        cues_in_memory(season[0], market)  # warm up: word lists, the Thai segmenter, the font measure
        started = time.perf_counter()
        for episode in season:
            cues, findings = cues_in_memory(episode, market)
            tally.cues += cues
            tally.findings += findings
        tally.memory_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="subtitle-bench-") as tmp:
            started = time.perf_counter()
            for n, episode in enumerate(season, 1):
                tally.files_cues += cues_with_files(episode, market, Path(tmp), f"ep{n:03d}")[0]
            tally.files_s = time.perf_counter() - started
        print(f"{market.code}: {episodes} episodes done", file=sys.stderr)
    return tallies


def report_subtitles(tallies: dict[str, SubtitleTally], episodes: int) -> None:
    codes = list(tallies)
    rows: list[tuple[str, list[str]]] = [
        ("lines", [str(t.lines) for t in tallies.values()]),
        ("cues", [str(t.cues) for t in tallies.values()]),
        ("cues a line", [f"{t.cues / t.lines:.2f}" if t.lines else "-" for t in tallies.values()]),
        ("QA findings", [str(t.findings) for t in tallies.values()]),
        ("cues/s (no files)", [f"{t.cues / t.memory_s:,.0f}" if t.memory_s else "-" for t in tallies.values()]),
        ("cues/s (files)", [f"{t.files_cues / t.files_s:,.0f}" if t.files_s else "-" for t in tallies.values()]),
        ("season s (no files)", [f"{t.memory_s:.2f}" for t in tallies.values()]),
        ("season s (files)", [f"{t.files_s:.2f}" for t in tallies.values()]),
    ]
    print(f"Segmentation + timing + QA, synthetic season of {episodes} episodes at {FPS:g} fps "
          "(no files: layout rules, make_cues, apply_timing, check_cues in memory; "
          "files: deliver_subtitles writing srt, vtt, ass, ttml)")
    print(f"{'':<20}" + "".join(f"{code:>12}" for code in codes))
    for label, values in rows:
        print(f"{label:<20}" + "".join(f"{v:>12}" for v in values))


# --- 2. removal of the burned-in line per mode ----------------------------------------------------

@dataclass
class RemovalTally:
    video_s: float = 0.0
    removal_s: float = 0.0
    preview_s: float = 0.0


def clip(video: Path, seconds: float | None, work: Path) -> Path:
    """The first `seconds` of the episode (stream copy, cached), or the episode itself."""
    if not seconds:
        return video
    dst = work / f"{video.stem}-first{seconds:g}s.mp4"
    if not dst.is_file():
        media.run_ffmpeg(["-i", str(video), "-t", f"{seconds:g}", "-c", "copy", str(dst)], what=video)
    return dst


def bench_removal(episodes: int, clip_s: float | None, with_preview: bool) -> dict[str, RemovalTally]:
    work = REMOVAL_DIR
    work.mkdir(parents=True, exist_ok=True)
    season = generate_season(work / "season", episodes=episodes).out_dir
    store = ResultStore(work / "results")  # removal_eval.py's: the OCR reading of each episode is reused
    bench_dir = REPO / "bench" / ".cache" / "subtitle-bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    tallies = {mode: RemovalTally() for mode in REMOVAL_MODES}
    for video in sorted(Path(season).glob("*.mp4"))[:episodes]:
        info = media.probe(clip(video, clip_s, bench_dir))
        # The burned-in lines as the pipeline finds them (OCR; cached, under the same key as removal_eval's).
        shown = store.run("read-picture", {"info": info, "options": PictureOptions()},
                          lambda info=info: read_picture(info, PictureOptions()))  # type: ignore[misc]
        for mode in REMOVAL_MODES:
            tally = tallies[mode]
            tally.video_s += info.duration_ms / 1000
            clean = None
            options = RemovalOptions(mode=mode)
            if options.rewrites_picture and shown.cues:
                started = time.perf_counter()
                clean = bench_dir / f"{info.path.stem}-{mode}-clean.mp4"
                remove_lines(info, shown.cues, clean, options)
                tally.removal_s += time.perf_counter() - started
            if with_preview and shown.band is not None:
                # English lines from the season's reference (placeholders when a clip cuts it short).
                reference = video.with_name(f"{video.stem}.ref.en.tsv")
                tally.preview_s += preview(mode, info, shown, clean, bench_dir, reference)[1]
        print(f"{video.name}: {len(shown.cues)} burned-in lines in {info.duration_ms / 1000:.1f} s"
              + ("" if shown.cues else " (nothing to remove: a longer --clip-s?)"), file=sys.stderr)
    return tallies


def report_removal(tallies: dict[str, RemovalTally], episodes: int, clip_s: float | None, with_preview: bool) -> None:
    video_s = next(iter(tallies.values())).video_s
    what = f"the first {clip_s:g} s of " if clip_s else ""
    print(f"\nRemoval of the burned-in line, {what}{episodes} sample episode(s), {video_s:.1f} s of video "
          "(removal: remove_lines, decode + clean + encode; box and avoid leave the picture alone"
          + ("; preview: the market preview's render, where box and avoid do their work)" if with_preview else ")"))
    header = f"{'mode':<9}{'removal s/s':>13}" + (f"{'preview s/s':>13}{'total s/s':>11}" if with_preview else "")
    print(header)
    for mode, t in tallies.items():
        removal = t.removal_s / t.video_s if t.video_s else 0.0
        row = f"{mode:<9}{removal:>13.3f}"
        if with_preview:
            shown = t.preview_s / t.video_s if t.video_s else 0.0
            row += f"{shown:>13.3f}{removal + shown:>11.3f}"
        print(row)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markets", default=DEFAULT_MARKETS, help=f"comma-separated (default {DEFAULT_MARKETS})")
    parser.add_argument("--synthetic-episodes", type=int, default=100,
                        help="episodes of the synthetic season for segmentation + QA (0: skip)")
    parser.add_argument("--episodes", type=int, default=3, help="sample-season episodes for removal (0: skip)")
    parser.add_argument("--clip-s", type=float, help="remove only the first S seconds of each episode")
    parser.add_argument("--preview", action="store_true", help="also time each mode's preview render")
    args = parser.parse_args(argv)
    markets = parse_markets(args.markets)
    if args.synthetic_episodes > 0:
        report_subtitles(bench_subtitles(markets, args.synthetic_episodes), args.synthetic_episodes)
    if args.episodes > 0:
        report_removal(bench_removal(args.episodes, args.clip_s, args.preview), args.episodes, args.clip_s,
                       args.preview)
    return 0


if __name__ == "__main__":
    sys.exit(main())
