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
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localize.speakers.diarize import diarize_file  # noqa: E402
from localize.speakers.evaluation import (  # noqa: E402
    diarize_season_blind,
    season_score,
    time_accuracy,
    timed_reference_turns,
)

CLIP = REPO.parent / "shared" / "eval" / "asr" / "mossttsd_single_reference_2spk.wav"


def season_accuracy(season: Path, work: Path) -> None:
    lines, episodes = diarize_season_blind(season, work)
    for ep in episodes:
        print(f"  {ep.episode}: {ep.voices} voices, {ep.flagged} lines flagged speaker-uncertain")
    score = season_score(lines)
    seconds = sum(ep.seconds for ep in episodes)
    audio_s = sum(ep.audio_s for ep in episodes)
    characters = len({line.got for line in lines if line.got})
    print(f"(b) sample season: {score.right}/{score.total} lines = {score.share:.1%} carry the script's "
          f"character after mapping; {characters} registry characters; "
          f"diarization {seconds / max(audio_s, 1e-9):.3f} s per second of audio")
    split = score.split()
    for truth, per_episode in score.labels.items():
        print(f"    {truth}: {per_episode} {'SPLIT' if truth in split else 'one label in every episode'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--season", type=Path, help="a sample season folder (default: generated now)")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--skip-clip", action="store_true", help="skip (a), which loads Whisper")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_clip and args.clip.is_file():
            reference = timed_reference_turns(args.clip)
            diarization = diarize_file(args.clip)
            print(f"(a) {args.clip.name}: {len(diarization.voices)} voices; "
                  f"{time_accuracy(reference, diarization):.1%} of the reference turns' speech time labelled "
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
