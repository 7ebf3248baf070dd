"""Source-text benchmark: raw ASR vs OCR alone vs the fused transcript, side by side on the same episodes.

1. The built-in sample season (its scripts are the reference; the pipeline does not read them,
   except in the rows marked "+script"): CER, median and 95th-percentile start-time error,
   and seconds of OCR per second of video.
2. Real speech (../shared/eval/asr, skipped when absent): Mandarin and Cantonese clips made into
   one episode each, their reference text burned in (localize.sample.clips), and the same
   episode as a clean master. Raw faster-whisper (beam 5, VAD, temperature 0, OpenCC t2s) next
   to the pipeline, each with its real-time factor.
3. Pictures it was not tuned on (../shared/eval/asr, skipped when absent): the same real clips
   as episodes with screen furniture (localize.sample.furniture): a running timecode, a
   scrolling ticker, a sign in the scene, a 720x1280 frame, other subtitle fonts, colours and
   positions, and a timecode with no subtitles at all. The clips of each language are split by
   their sorted order: even positions are the TUNING half (thresholds were chosen looking at
   these), odd positions the REPORTING half (not looked at while tuning). Per episode: CER of
   speech alone, picture alone and fused, the band chosen and why, and, on the reporting half,
   whether fused CER is at most 0.05 and never above speech alone.

    .venv/bin/python bench/source_eval.py [--season DIR] [--episodes 3] [--no-sample] [--no-real]
        [--no-furniture] [--half tune|report|both] [--looks timecode,ticker,...]
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
from localize.sample.furniture import LOOKS, Look  # noqa: E402
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


GOAL_CER = 0.05
NO_SUBTITLES = "timecode-only"  # a timecode and no burned-in dialogue: the speech must be kept


def eval_rows() -> list[dict[str, str]]:
    with open(EVAL / "asr" / "transcripts.tsv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def split_clips(rows: Sequence[dict[str, str]], language: str, half: str) -> list[tuple[Path, str]]:
    """The clips of one language, in file-name order: even positions tune, odd positions report."""
    clips = sorted((EVAL / r["file"], re.sub(r"\[S\d\]", "", r["transcript"])) for r in rows
                   if r["lang"].startswith(language))
    return [clip for index, clip in enumerate(clips) if (index % 2 == 0) == (half == "tune")]


def band_words(transcript: Transcript) -> str:
    band = transcript.band
    if band is None:
        return "no band"
    return f"y {100 * band.box.y0 // band.frame_height}-{100 * band.box.y1 // band.frame_height}%"


def furniture(halves: Sequence[str], looks: Sequence[str],
              languages: Sequence[tuple[str, str]] = (("cmn", "mandarin"), ("yue", "cantonese"))) -> bool:
    """Each look x language x half: speech, picture and fused CER. True when the reporting half meets the goal."""
    if not (EVAL / "asr" / "transcripts.tsv").is_file():
        print("\nPictures it was not tuned on: skipped (../shared/eval not found)")
        return True
    rows = eval_rows()
    met = True
    for half in halves:
        print(f"\nPictures it was not tuned on, {half.upper()} half of the clips"
              f"{' (goal: fused CER <= 0.05 and <= speech)' if half == 'report' else ' (tuned on: not a result)'}")
        print(f"{'episode':<30} {'speech':>7} {'picture':>8} {'fused':>6} {'OCR s/s':>7}  band chosen (and why)")
        for language, dialect in languages:
            clips = split_clips(rows, language, half)
            reference = "".join(t for _, t in clips)
            heard: Transcript | None = None
            for name in looks:
                look = LOOKS[name] if name != NO_SUBTITLES else Look(NO_SUBTITLES, timecode=True)
                stem = f"look-{language}-{half}-{name}"
                video = CACHE / f"{stem}.mp4"
                if not video.is_file():
                    build_clip_episode(clips, video, CACHE / stem, look=look, burn=name != NO_SUBTITLES)
                if heard is None:  # the same clips, the same sound in every look: heard once
                    wav = media.extract_audio(video, CACHE / f"{stem}.wav")
                    heard = transcribe(wav, AsrOptions(dialect=dialect))
                info = media.probe(video)
                started = time.perf_counter()
                picture = read_picture(info, speech=heard.speech)
                ocr_rate = (time.perf_counter() - started) / (info.duration_ms / 1000)
                fused = combine(heard, picture, None)
                scores = [cer(to_simplified(t), to_simplified(reference)) for t in
                          (text(heard), "".join(c.text for c in picture.cues), text(fused))]
                verdict = ""
                if half == "report":
                    ok = scores[2] <= GOAL_CER and scores[2] <= scores[0] + 1e-9
                    if name == NO_SUBTITLES:
                        ok = scores[2] <= scores[0] + 1e-9
                    met &= ok
                    verdict = "  ok" if ok else "  MISSED"
                figures = f"{scores[0]:7.3f} {scores[1]:8.3f} {scores[2]:6.3f} {ocr_rate:7.2f}"
                print(f"{language + ' ' + name:<30} {figures}  "
                      f"{band_words(fused)}: {fused.band.reason if fused.band else picture_note(fused)}{verdict}",
                      flush=True)
    return met


def picture_note(transcript: Transcript) -> str:
    return "; ".join(note.message for note in transcript.notes) or "speech only"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--season", type=Path, default=CACHE / "sample-season")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--no-sample", action="store_true", help="skip the sample-season part")
    parser.add_argument("--no-real", action="store_true", help="skip the real-speech part")
    parser.add_argument("--no-furniture", action="store_true", help="skip the screen-furniture part")
    parser.add_argument("--half", choices=("tune", "report", "both"), default="both",
                        help="which half of the eval clips the furniture part runs on")
    parser.add_argument("--looks", default=",".join((*LOOKS, NO_SUBTITLES)),
                        help="furniture looks to run (comma-separated; default: all)")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    load_model(AsrOptions())  # loading is not part of any row
    load_engine()
    if not args.no_sample:
        sample_season(args.season, args.episodes)
    if not args.no_real:
        real_speech((("cmn", "mandarin"), ("yue", "cantonese")))
    met = True
    if not args.no_furniture:
        halves = ("tune", "report") if args.half == "both" else (args.half,)
        met = furniture(halves, args.looks.split(","))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
