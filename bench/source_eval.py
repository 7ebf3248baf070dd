"""Source-text benchmark: raw ASR vs OCR alone vs the fused transcript, side by side on the same episodes.

1. The built-in sample season (its scripts are the reference; the pipeline does not read them,
   except in the rows marked "+script"): CER, median and 95th-percentile start-time error,
   and seconds of OCR per second of video.
2. Real speech (../shared/eval/asr, skipped when absent): Mandarin and Cantonese clips made into
   one episode each, their reference text burned in (localize.sample.clips), and the same
   episode as a clean master. Raw faster-whisper (beam 5, VAD, temperature 0, OpenCC t2s) next
   to the pipeline, each with its real-time factor.

    .venv/bin/python bench/source_eval.py [--season DIR] [--episodes 3] [--no-real]
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media  # noqa: E402
from localize.asr import AsrOptions, load_model, transcribe  # noqa: E402
from localize.asr.chinese import to_simplified  # noqa: E402
from localize.asr.script import read_script  # noqa: E402
from localize.asr.source import PictureOptions, PictureText, combine, read_picture  # noqa: E402
from localize.picture.ocr import load_engine  # noqa: E402
from localize.sample import generate_season  # noqa: E402
from localize.sample.clips import build_clip_episode  # noqa: E402
from localize.scoring import cer  # noqa: E402
from localize.types import Transcript  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
CACHE = REPO / "bench" / ".cache"


@dataclass
class Score:
    """Accumulated over episodes: text for CER, start errors, seconds of work and of media."""

    hypothesis: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    start_errors: list[int] = field(default_factory=list)
    seconds: float = 0.0
    media_seconds: float = 0.0

    def add(self, text: str, reference: str, errors: Sequence[int] = (), seconds: float = 0.0,
            media_seconds: float = 0.0) -> None:
        self.hypothesis.append(text)
        self.reference.append(reference)
        self.start_errors += errors
        self.seconds += seconds
        self.media_seconds += media_seconds

    def row(self, name: str) -> str:
        value = cer(to_simplified("".join(self.hypothesis)), to_simplified("".join(self.reference)))
        starts = "      -        -"
        if self.start_errors:
            ordered = sorted(self.start_errors)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            starts = f"{statistics.median(ordered):7.0f} {p95:8.0f}"
        rate = f"{self.seconds / self.media_seconds:8.3f}" if self.media_seconds else "       -"
        return f"{name:<34} {value:6.3f} {starts} {rate}"


HEADER = f"{'':<34} {'CER':>6} {'med ms':>7} {'p95 ms':>8} {'s per s':>8}"


def start_errors(found: Sequence[int], starts: Sequence[int]) -> list[int]:
    """For each reference line, how far the nearest start found is (ms)."""
    return [min(abs(f - start) for f in found) if found else 10**6 for start in starts]


def segment_starts(transcript: Transcript) -> list[int]:
    return [s.start_ms for s in transcript.segments]


def text(transcript: Transcript) -> str:
    return "".join(s.text for s in transcript.segments)


def sample_season(season: Path, episodes: int) -> None:
    generate_season(season, episodes=episodes)
    rows = {name: Score() for name in ("ASR (whisper base + guard)", "OCR alone", "fused (picture + speech)",
                                       "fused + script", "script + speech (no OCR)")}
    for number in range(1, episodes + 1):
        video = season / f"ep{number:02d}.mp4"
        script = read_script(season / f"ep{number:02d}.script.tsv")
        reference = "".join(line.text for line in script.lines)
        starts = [line.start_ms or 0 for line in script.lines]
        info = media.probe(video)
        wav = media.extract_audio(video, CACHE / f"sample-ep{number:02d}.wav")
        seconds = info.duration_ms / 1000
        t0 = time.perf_counter()
        picture = read_picture(info)
        ocr_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        heard = transcribe(wav, AsrOptions())
        asr_seconds = time.perf_counter() - t0
        fused = combine(heard, picture, None)
        rows["ASR (whisper base + guard)"].add(text(heard), reference, start_errors(segment_starts(heard), starts),
                                           asr_seconds, seconds)
        rows["OCR alone"].add("".join(c.text for c in picture.cues), reference,
                              start_errors([c.start_ms for c in picture.cues], starts), ocr_seconds, seconds)
        rows["fused (picture + speech)"].add(text(fused), reference, start_errors(segment_starts(fused), starts),
                                             asr_seconds + ocr_seconds, seconds)
        with_script = combine(heard, picture, script)
        rows["fused + script"].add(text(with_script), reference, start_errors(segment_starts(with_script), starts))
        no_ocr = combine(heard, PictureText(), script)
        rows["script + speech (no OCR)"].add(text(no_ocr), reference, start_errors(segment_starts(no_ocr), starts))
        print(f"  ep{number:02d}: {seconds:.1f} s, OCR {ocr_seconds:.1f} s ({len(picture.cues)} lines), "
              f"ASR {asr_seconds:.1f} s", flush=True)
    print(f"\nSample season ({episodes} episodes; reference: the scripts)\n{HEADER}")
    for name, score in rows.items():
        print(score.row(name))


def raw_whisper(wav: Path) -> str:
    """faster-whisper as DESIGN.md's reference figures ran it: beam 5, VAD, temperature 0, then t2s."""
    model = load_model(AsrOptions())
    segments, _ = model.transcribe(str(wav), language="zh", beam_size=5, vad_filter=True, temperature=0.0,
                                   condition_on_previous_text=False)
    return to_simplified("".join(s.text for s in segments))


def real_speech(languages: Sequence[tuple[str, str]]) -> None:
    table = EVAL / "asr" / "transcripts.tsv"
    if not table.is_file():
        print(f"\nReal speech: skipped ({table} not found)")
        return
    with open(table, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    print(f"\nReal speech (../shared/eval/asr; clips in a row, 1080x1920)\n{HEADER}")
    for language, dialect in languages:
        clips = [(EVAL / r["file"], re.sub(r"\[S\d\]", "", r["transcript"])) for r in rows
                 if r["lang"].startswith(language)]
        reference = "".join(t for _, t in clips)
        burned = build_clip_episode(clips, CACHE / f"eval-{language}.mp4", CACHE / f"eval-{language}")
        clean = build_clip_episode(clips, CACHE / f"eval-{language}-clean.mp4", CACHE / f"eval-{language}-clean",
                                   burn=False)
        seconds = burned.duration_ms / 1000
        wav = media.extract_audio(burned.video, CACHE / f"eval-{language}.wav")
        t0 = time.perf_counter()
        raw = raw_whisper(wav)
        raw_seconds = time.perf_counter() - t0
        score = Score()
        score.add(raw, reference, seconds=raw_seconds, media_seconds=seconds)
        print(score.row(f"{language}: raw faster-whisper"))
        for name, video, ocr in (("burned-in", burned.video, True), ("clean master", clean.video, True),
                                 ("clean master, --no-ocr", clean.video, False)):
            t0 = time.perf_counter()
            picture = read_picture(media.probe(video), PictureOptions(enabled=ocr))
            heard = transcribe(wav, AsrOptions(dialect=dialect))
            fused = combine(heard, picture, None)
            score = Score()
            score.add(text(fused), reference, seconds=time.perf_counter() - t0, media_seconds=seconds)
            print(score.row(f"{language}: pipeline, {name}"))
        print(f"  ({len(clips)} clips, {seconds:.0f} s; s per s = real-time factor of the whole row)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=CACHE / "sample-season")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--no-real", action="store_true", help="skip the real-speech part")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    load_model(AsrOptions())  # loading is not part of any row
    load_engine()
    sample_season(args.season, args.episodes)
    if not args.no_real:
        real_speech((("cmn", "mandarin"), ("yue", "cantonese")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
