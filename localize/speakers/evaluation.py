"""How right diarization is, measured against references: what `bench/speaker_eval.py` prints and the
slow tests assert.

- A clip whose reference text tags each turn ("[S1]... [S2]..."): the share of the turns' speech
  time whose diarization label is right after the best one-to-one mapping of labels to speakers.
- A season whose script names each line's character: the share of lines whose assigned character
  maps to the script's (one season-wide mapping: each assigned character to the script name it
  speaks most), and which assigned characters each script character got in each episode.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from localize.speakers.diarize import Diarization

_TAG = re.compile(r"\[(S\d+)\]")


def tagged_turns(text: str) -> list[tuple[str, str]]:
    """(speaker, text) of each turn of a "[S1]... [S2]..." reference."""
    parts = _TAG.split(text)
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def timed_reference_turns(clip: Path) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, speaker) of each turn of `clip`'s tagged `.txt`, placed in time by aligning the
    turn's text to Whisper's word times (localize.asr.align); turns that do not align are left out."""
    from localize.asr import AsrOptions, transcribe
    from localize.asr.align import align_lines, timed_chars

    turns = tagged_turns(clip.with_suffix(".txt").read_text(encoding="utf-8"))
    heard = transcribe(clip, AsrOptions())
    words = [w for s in heard.segments for w in s.words]
    aligned = align_lines([text for _, text in turns], timed_chars(words))
    return [(a.start_ms, a.end_ms, speaker) for a, (speaker, _) in zip(aligned, turns, strict=True)
            if a.start_ms is not None and a.end_ms is not None]


def time_accuracy(reference: Sequence[tuple[int, int, str]], diarization: Diarization, step_ms: int = 10) -> float:
    """Share of reference speech time (in `step_ms` steps) labelled right, after the best label mapping."""
    labels = sorted({t.label for t in diarization.turns})
    speakers = sorted({s for _, _, s in reference})
    steps: list[tuple[str, str | None]] = []
    for start, end, speaker in reference:
        for t in range(start, end, step_ms):
            hit = next((turn.label for turn in diarization.turns if turn.start_ms <= t < turn.end_ms), None)
            steps.append((speaker, hit))
    best = 0
    for chosen in itertools.permutations(labels, min(len(labels), len(speakers))):
        mapping = dict(zip(chosen, speakers, strict=False))
        best = max(best, sum(1 for speaker, hit in steps if hit is not None and mapping.get(hit) == speaker))
    return best / len(steps) if steps else 0.0


@dataclass(frozen=True)
class LabelledLine:
    episode: str
    truth: str  # the script's character
    got: str | None  # the character diarization and the registry gave the line


@dataclass(frozen=True)
class SeasonScore:
    right: int
    total: int
    mapping: dict[str | None, str]  # assigned character -> the script character it stands for
    labels: dict[str, dict[str, tuple[str, ...]]]  # script character -> episode -> assigned characters

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0

    def split(self) -> list[str]:
        """Script characters that did not get exactly one assigned character, the same in every episode."""
        return [truth for truth, episodes in self.labels.items()
                if any(len(got) != 1 for got in episodes.values())
                or len({g for got in episodes.values() for g in got}) != 1]


def season_score(lines: Sequence[LabelledLine]) -> SeasonScore:
    speaks: dict[str | None, Counter[str]] = {}
    for line in lines:
        speaks.setdefault(line.got, Counter())[line.truth] += 1
    mapping = {got: counts.most_common(1)[0][0] for got, counts in speaks.items()}
    right = sum(1 for line in lines if line.got is not None and mapping[line.got] == line.truth)
    labels: dict[str, dict[str, tuple[str, ...]]] = {}
    for truth in sorted({line.truth for line in lines}):
        episodes = sorted({line.episode for line in lines if line.truth == truth})
        labels[truth] = {ep: tuple(sorted({str(line.got) for line in lines if line.episode == ep
                                           and line.truth == truth})) for ep in episodes}
    return SeasonScore(right, len(lines), mapping, labels)


@dataclass(frozen=True)
class EpisodeDiarization:
    episode: str
    voices: int  # voices diarization found
    flagged: int  # lines flagged speaker-uncertain
    seconds: float  # diarization time
    audio_s: float


def diarize_season_blind(season: Path, work: Path) -> tuple[list[LabelledLine], list[EpisodeDiarization]]:
    """Diarize every `epNN.mp4` of a season whose `epNN.script.tsv` names the characters, with the script's
    speakers hidden, linking the episodes to one fresh registry in `work`; each script line's character
    (the truth) beside the one assigned."""
    import time

    from localize import media
    from localize.asr.script import read_script
    from localize.speakers.assign import assign_speakers
    from localize.speakers.diarize import diarize_file
    from localize.speakers.registry import CharacterRegistry
    from localize.types import Segment, Transcript

    registry = CharacterRegistry(work / "characters.json")
    lines: list[LabelledLine] = []
    episodes: list[EpisodeDiarization] = []
    for video in sorted(season.glob("ep*.mp4")):
        audio = media.extract_audio(video, work / f"{video.stem}.wav", sample_rate=16000, channels=1)
        script = read_script(season / f"{video.stem}.script.tsv")
        segments = tuple(Segment(line.start_ms or 0, line.end_ms or 0, line.text, speaker=line.speaker)
                         for line in script.lines)
        started = time.perf_counter()
        diarization = diarize_file(audio)
        seconds = time.perf_counter() - started
        transcript = Transcript("zh", segments, duration_ms=segments[-1].end_ms)
        labelled = assign_speakers(transcript, diarization, registry, video.stem, use_script=False)
        lines += [LabelledLine(video.stem, str(s.speaker), t.speaker)
                  for s, t in zip(segments, labelled.segments, strict=True)]
        flagged = sum(1 for s in labelled.segments if any(f.code == "speaker-uncertain" for f in s.flags))
        episodes.append(EpisodeDiarization(video.stem, len(diarization.voices), flagged, seconds,
                                           media.probe(audio).duration_ms / 1000))
    return lines, episodes
