"""Who speaks each line: diarization measured on the eval two-speaker clip and on the sample season.

(a) `../shared/eval/asr/mossttsd_single_reference_2spk.wav`: the [S1]/[S2] turns of its reference
    text are placed in time by aligning them to Whisper's word times (localize.asr.align); the
    figure is the share of that speech time whose diarization label is right after the best
    one-to-one mapping of labels to S1/S2, and the number of voices found.
(b) The built-in sample season (its script names each line's character): the script's speakers
    are hidden, every episode is diarized and linked to one fresh character registry, and the
    figure is the share of lines whose character maps to the script's (one season-wide mapping,
    each registry character to the script name it speaks most), plus, per script character, the
    registry characters it was given in each episode (one each is the goal).

    .venv/bin/python bench/speaker_eval.py [--season DIR] [--clip WAV] [--skip-clip]
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize import media  # noqa: E402
from localize.asr.script import read_script  # noqa: E402
from localize.speakers.assign import assign_speakers  # noqa: E402
from localize.speakers.diarize import Diarization, diarize_file  # noqa: E402
from localize.speakers.registry import CharacterRegistry  # noqa: E402
from localize.types import Segment, Transcript  # noqa: E402

CLIP = REPO.parent / "shared" / "eval" / "asr" / "mossttsd_single_reference_2spk.wav"
_TAG = re.compile(r"\[(S\d+)\]")


def reference_turns(clip: Path) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, speaker) of each tagged turn, timed by aligning its text to Whisper's words."""
    from localize.asr import AsrOptions, transcribe
    from localize.asr.align import align_lines, timed_chars

    parts = _TAG.split(clip.with_suffix(".txt").read_text(encoding="utf-8"))
    turns = [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]
    heard = transcribe(clip, AsrOptions())
    words = [w for s in heard.segments for w in s.words]
    aligned = align_lines([text for _, text in turns], timed_chars(words))
    return [(a.start_ms, a.end_ms, speaker) for a, (speaker, _) in zip(aligned, turns, strict=True)
            if a.start_ms is not None and a.end_ms is not None]


def clip_accuracy(reference: list[tuple[int, int, str]], diarization: Diarization) -> float:
    """Share of reference speech time (10 ms steps) labelled right, after the best label mapping."""
    labels = sorted({t.label for t in diarization.turns})
    speakers = sorted({s for _, _, s in reference})
    best = 0
    total = 0
    steps: list[tuple[str, str | None]] = []
    for start, end, speaker in reference:
        for t in range(start, end, 10):
            hit = next((turn.label for turn in diarization.turns if turn.start_ms <= t < turn.end_ms), None)
            steps.append((speaker, hit))
    total = len(steps)
    for chosen in itertools.permutations(labels, min(len(labels), len(speakers))):
        mapping = dict(zip(chosen, speakers, strict=False))
        best = max(best, sum(1 for speaker, hit in steps if hit is not None and mapping.get(hit) == speaker))
    return best / total if total else 0.0


def season_accuracy(season: Path, work: Path) -> None:
    registry = CharacterRegistry(work / "characters.json")
    episodes = sorted(season.glob("ep*.mp4"))
    results: list[tuple[str, str, str | None]] = []  # episode, script speaker, assigned character
    seconds = 0.0
    audio_s = 0.0
    for video in episodes:
        audio = media.extract_audio(video, work / f"{video.stem}.wav", sample_rate=16000, channels=1)
        script = read_script(season / f"{video.stem}.script.tsv")
        segments = tuple(Segment(line.start_ms or 0, line.end_ms or 0, line.text, speaker=line.speaker)
                         for line in script.lines)
        started = time.perf_counter()
        diarization = diarize_file(audio)
        seconds += time.perf_counter() - started
        audio_s += media.probe(audio).duration_ms / 1000
        transcript = Transcript("zh", segments, duration_ms=segments[-1].end_ms)
        labelled = assign_speakers(transcript, diarization, registry, video.stem, use_script=False)
        results += [(video.stem, str(s.speaker), t.speaker) for s, t in zip(segments, labelled.segments,
                                                                             strict=True)]
        print(f"  {video.stem}: {len(diarization.voices)} voices, "
              f"{sum(1 for s in labelled.segments if any(f.code == 'speaker-uncertain' for f in s.flags))} "
              "lines flagged speaker-uncertain")
    speaks: dict[str | None, Counter[str]] = {}
    for _, truth, got in results:
        speaks.setdefault(got, Counter())[truth] += 1
    mapping = {got: counts.most_common(1)[0][0] for got, counts in speaks.items()}
    right = sum(1 for _, truth, got in results if got is not None and mapping[got] == truth)
    print(f"(b) sample season: {right}/{len(results)} lines = {right / len(results):.1%} carry the script's "
          f"character after mapping; {len(registry.characters())} registry characters; "
          f"diarization {seconds / max(audio_s, 1e-9):.3f} s per second of audio")
    for truth in sorted({t for _, t, _ in results}):
        per_episode = {ep: sorted({str(g) for e, t, g in results if e == ep and t == truth})
                       for ep in sorted({e for e, t, _ in results if t == truth})}
        one = all(len(v) == 1 for v in per_episode.values()) and len({x for v in per_episode.values() for x in v}) == 1
        print(f"    {truth}: {per_episode} {'one label in every episode' if one else 'SPLIT'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--season", type=Path, help="a sample season folder (default: generated now)")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--skip-clip", action="store_true", help="skip (a), which loads Whisper")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_clip and args.clip.is_file():
            reference = reference_turns(args.clip)
            diarization = diarize_file(args.clip)
            print(f"(a) {args.clip.name}: {len(diarization.voices)} voices; "
                  f"{clip_accuracy(reference, diarization):.1%} of the reference turns' speech time labelled "
                  f"right after mapping ({len(reference)} turns aligned)")
            for turn in diarization.turns:
                print(f"    {turn.start_ms:>6}-{turn.end_ms:<6} {turn.label} ({turn.confidence:.2f})")
        season = args.season
        if season is None:
            from localize.sample import generate_season

            season = work / "season"
            generate_season(season)
        season_accuracy(season, work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
