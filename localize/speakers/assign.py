"""Each line's character: diarization labels mapped to the script's names, then to the season's characters.

Script speakers win: a line the studio's script names keeps that name. The script also names
the episode's voices: a voice whose speech falls mostly on lines of one named character is that
character (by overlap), which gives the registry a voiceprint for the name. Lines the script
does not cover (or all lines, with no script) get the character their voice links to; a link the
registry is unsure of flags the line ("speaker-uncertain") for QA.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from localize.asr.flags import source_flag
from localize.speakers.diarize import Diarization, SpeakerTurn
from localize.speakers.registry import CharacterRegistry, LinkOptions, Match
from localize.types import Segment, Transcript

log = logging.getLogger("localize")
NEAR_MS = 600  # a line no turn overlaps takes the label of a turn this close


def segment_labels(segments: Sequence[Segment], turns: Sequence[SpeakerTurn]) -> list[str | None]:
    """The diarization label speaking most of each segment (the nearest turn when none overlaps)."""
    labels: list[str | None] = []
    for segment in segments:
        overlap: Counter[str] = Counter()
        for turn in turns:
            shared = min(segment.end_ms, turn.end_ms) - max(segment.start_ms, turn.start_ms)
            if shared > 0:
                overlap[turn.label] += shared
        if overlap:
            labels.append(overlap.most_common(1)[0][0])
            continue
        gaps = [(max(turn.start_ms - segment.end_ms, segment.start_ms - turn.end_ms), turn.label) for turn in turns]
        near = min(gaps, default=None)
        labels.append(near[1] if near and near[0] <= NEAR_MS else None)
    return labels


def script_names(segments: Sequence[Segment], turns: Sequence[SpeakerTurn], min_share: float = 0.5) -> dict[str, str]:
    """Diarization label -> script speaker, where most of the label's speech on named lines is that speaker's."""
    by_label: dict[str, Counter[str]] = {}
    for segment in segments:
        if not segment.speaker:
            continue
        for turn in turns:
            shared = min(segment.end_ms, turn.end_ms) - max(segment.start_ms, turn.start_ms)
            if shared > 0:
                by_label.setdefault(turn.label, Counter())[segment.speaker] += shared
    names = {}
    for label, counts in by_label.items():
        name, ms = counts.most_common(1)[0]
        if ms >= min_share * sum(counts.values()):
            names[label] = name
    return names


def assign_speakers(transcript: Transcript, diarization: Diarization, registry: CharacterRegistry, episode: str,
                    *, use_script: bool = True, options: LinkOptions | None = None) -> Transcript:
    """The transcript with each segment's character; the episode's voices and lines go into the registry."""
    segments = transcript.segments if use_script else tuple(replace(s, speaker=None) for s in transcript.segments)
    named = script_names(segments, diarization.turns)
    labels = segment_labels(segments, diarization.turns)
    matches = registry.link(episode, [(voice, named.get(voice.label)) for voice in diarization.voices], options,
                            lines=[(s.speaker, label) for s, label in zip(segments, labels, strict=True)])
    out = [_labelled(segment, matches.get(label) if label else None) for segment, label in zip(
        segments, labels, strict=True)]
    return replace(transcript, segments=tuple(out))


def _labelled(segment: Segment, match: Match | None) -> Segment:
    if segment.speaker or match is None:
        return segment
    flags = segment.flags
    if not match.confident:
        flags = (*flags, source_flag("speaker-uncertain", f"voice closest to {match.name} "
                                                          f"(distance {match.distance:.2f})"))
    return replace(segment, speaker=match.name, flags=flags)
