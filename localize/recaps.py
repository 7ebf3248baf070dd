"""Recaps: spans of an episode that replay earlier material of the season, found by sound and picture.

Most micro-drama episodes open by replaying the last one's cliffhanger. Such a span is found by
its sound, then confirmed by its picture:

1. Sound: a fingerprint of 32 bits every 8 ms (after Haitsma and Kalker's: the signs of energy
   differences between 33 bands of 300-2000 Hz, across bands and across time), which survives
   re-encoding at another bitrate. Identical 32-bit words shared by two episodes vote for the time
   offset between them; along the best offsets, the share of differing bits, smoothed over a second,
   stays far under the 50% of unrelated sound where the material is the same.
2. Picture: a 64-bit difference hash of frames sampled along the span must match the earlier
   episode's frames at the same offset (a shared music bed or room tone alone is not a recap).

What is found (`Recap`: where in this episode, which earlier episode, where there) is then reused by
the pipeline instead of recomputed (localize.pipeline).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from hashlib import sha256
from pathlib import Path

import numpy as np

from localize import media
from localize.asr.flags import source_flag
from localize.types import OcrCue, Segment, Transcript

RATE = 8000
WINDOW = 2048  # 256 ms of sound per fingerprint word
HOP = 64  # 8 ms between words
BANDS = 33  # 32 differences
LOW_HZ, HIGH_HZ = 300.0, 2000.0
MAX_REPEATS = 4  # a word found more often than this in an episode says nothing about where it is
FRAME_SIZE = (9, 8)  # difference hash: 8x8 comparisons of a 9x8 grayscale picture


@dataclass(frozen=True)
class RecapOptions:
    """How sure a span must be to count as a recap. Set from the fingerprint's published figures (a bit
    error rate under 0.35 is the same sound), not tuned on bench/recap_bench.py, whose figures report."""

    enabled: bool = True
    min_seconds: float = 3.0  # shorter repeats (a sting, a logo) are not recaps
    max_bit_error: float = 0.30  # share of differing fingerprint bits, smoothed over a second
    min_votes: int = 12  # identical half-words that must agree on an offset to look there at all
    picture_samples: int = 3  # frames compared along a span (each decoded on its own: ~0.2 s at 1080x1920)
    max_picture_distance: int = 12  # of 64 bits, per frame (median over the samples)


@dataclass(frozen=True)
class Fingerprint:
    """An episode's sound as 32-bit words (bits), every HOP/RATE seconds; `digest` names it in keys."""

    digest: str
    words: bytes = field(compare=False, repr=False)

    @property
    def array(self) -> np.ndarray:
        return np.frombuffer(self.words, dtype=np.uint32)


@dataclass(frozen=True)
class Recap:
    """[start_ms, end_ms) of this episode replays `episode` from `source_start_ms` on."""

    start_ms: int
    end_ms: int
    episode: str
    source_start_ms: int

    @property
    def seconds(self) -> float:
        return (self.end_ms - self.start_ms) / 1000

    def source_ms(self, ms: int) -> int:
        """Where a time of this episode inside the recap is in the earlier episode."""
        return ms - self.start_ms + self.source_start_ms


def fingerprint(video: Path | str) -> Fingerprint:
    samples = media.pcm_samples(video, RATE)
    words = fingerprint_samples(samples)
    return Fingerprint(sha256(words.tobytes()).hexdigest(), words.tobytes())


def fingerprint_samples(samples: np.ndarray) -> np.ndarray:
    if len(samples) < WINDOW + HOP:
        return np.zeros(0, dtype=np.uint32)
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(WINDOW), axis=1)) ** 2
    edges = np.geomspace(LOW_HZ, HIGH_HZ, BANDS + 1) * WINDOW / RATE
    bins = np.arange(spectrum.shape[1])
    energy = np.stack([spectrum[:, (bins >= lo) & (bins < hi)].sum(axis=1)
                       for lo, hi in itertools.pairwise(edges)], axis=1)
    across = energy[:, :-1] - energy[:, 1:]  # (frames, 32)
    bits = (across[1:] - across[:-1]) > 0
    weights = (1 << np.arange(32, dtype=np.uint64)).astype(np.uint64)
    return (bits.astype(np.uint64) @ weights).astype(np.uint32)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _bit_errors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing bits of each pair of words (0-32)."""
    x = (a ^ b).view(np.uint8).reshape(-1, 4)
    return _POPCOUNT[x].sum(axis=1)


def matching_spans(episode: np.ndarray, earlier: np.ndarray, options: RecapOptions) -> list[tuple[int, int, int]]:
    """(start word, end word, offset) of each span of `episode` that `earlier` holds `offset` words later."""
    if not len(episode) or not len(earlier):
        return []
    # Each half of a word votes for the offset at which the earlier episode has the same half: after
    # re-encoding a whole 32-bit word survives too rarely (at 15% differing bits, 1 in 180), a half
    # one time in 14. Only halves rare in both vote: silence and steady tones repeat one half thousands
    # of times and would vote for every offset.
    votes: Counter[int] = Counter()
    for shift in (0, 16):
        mine = ((episode >> shift) & 0xFFFF).tolist()
        theirs = ((earlier >> shift) & 0xFFFF).tolist()
        rare_here = _rare(mine)
        where: dict[int, list[int]] = {}
        for j, half in enumerate(theirs):
            where.setdefault(half, []).append(j)
        for i, half in enumerate(mine):
            found = where.get(half, ())
            if len(found) <= MAX_REPEATS and half in rare_here:
                for j in found:
                    votes[j - i] += 1
    spans = []
    smooth = max(1, RATE // HOP)  # a second of words
    shortest = int(options.min_seconds * RATE / HOP)
    taken = np.zeros(len(episode), dtype=bool)
    for offset, count in votes.most_common(8):
        if count < options.min_votes:
            break
        lo, hi = max(0, -offset), min(len(episode), len(earlier) - offset)
        if hi - lo < shortest:
            continue
        errors = _bit_errors(episode[lo:hi], earlier[lo + offset:hi + offset]) / 32.0
        smoothed = np.convolve(errors, np.ones(smooth) / smooth, mode="same")
        good = (smoothed < options.max_bit_error) & ~taken[lo:hi]
        for start, end in _runs(good):
            if end - start >= shortest:
                spans.append((lo + start, lo + end, offset))
                taken[lo + start:lo + end] = True
    return sorted(spans)


def _rare(halves: list[int]) -> set[int]:
    return {half for half, count in Counter(halves).items() if count <= MAX_REPEATS}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    changes = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(changes[::2], changes[1::2], strict=True)]


def _ms(word: int) -> int:
    return round(word * HOP * 1000 / RATE)


def frame_hash(video: Path, at_ms: int) -> int | None:
    """64-bit difference hash of the frame at `at_ms` (None if there is none)."""
    grid = media.gray_frame(video, at_ms, *FRAME_SIZE)
    if grid is None:
        return None
    bits = (grid[:, 1:].astype(np.int16) > grid[:, :-1]).flatten()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def same_picture(video: Path, earlier_video: Path, recap: Recap, options: RecapOptions) -> bool:
    """Frames along the span match the earlier episode's at the same offset (median distance)."""
    step = (recap.end_ms - recap.start_ms) / (options.picture_samples + 1)
    distances = []
    for k in range(1, options.picture_samples + 1):
        at = int(recap.start_ms + k * step)
        mine, theirs = frame_hash(video, at), frame_hash(earlier_video, recap.source_ms(at))
        if mine is None or theirs is None:
            continue
        distances.append(bin(mine ^ theirs).count("1"))
    return bool(distances) and float(np.median(distances)) <= options.max_picture_distance


def find_recaps(video: Path, fingerprint_: Fingerprint, earlier: Sequence[tuple[str, Path, Fingerprint]],
                options: RecapOptions | None = None) -> tuple[Recap, ...]:
    """The spans of `video` that replay one of the `earlier` episodes (name, video, fingerprint), latest first:
    each moment of the episode is credited to at most one earlier episode."""
    options = options or RecapOptions()
    if not options.enabled:
        return ()
    mine = fingerprint_.array
    found: list[Recap] = []
    covered = np.zeros(len(mine), dtype=bool)
    for name, earlier_video, print_ in reversed(list(earlier)):
        for start, end, offset in matching_spans(mine, print_.array, options):
            if covered[start:end].mean() > 0.5:
                continue
            recap = Recap(_ms(start), _ms(end), name, _ms(start + offset))
            if same_picture(Path(video), Path(earlier_video), recap, options):
                found.append(recap)
                covered[start:end] = True
    return tuple(sorted(found, key=lambda r: r.start_ms))


def with_recaps(transcript: Transcript, recaps: Sequence[Recap], replayed: Mapping[str, Transcript]) -> Transcript:
    """The transcript with each recap's lines taken from the episode it replays (moved to this episode's
    time, flagged "recap"); this episode's own reading of those spans is dropped. A recap whose episode
    is not in `replayed` is left as it was read."""
    used = [r for r in recaps if r.episode in replayed]
    if not used:
        return transcript

    def inside(segment: Segment, recap: Recap) -> bool:
        middle = (segment.start_ms + segment.end_ms) // 2
        return recap.start_ms <= middle < recap.end_ms

    kept = [s for s in transcript.segments if not any(inside(s, r) for r in used)]
    for recap in used:
        shift = recap.start_ms - recap.source_start_ms
        for segment in replayed[recap.episode].segments:
            moved = replace(segment, start_ms=segment.start_ms + shift, end_ms=segment.end_ms + shift,
                            words=tuple(replace(w, start_ms=w.start_ms + shift, end_ms=w.end_ms + shift)
                                        for w in segment.words))
            if inside(moved, recap):
                detail = f"{recap.episode} at {segment.start_ms / 1000:.1f} s"
                kept.append(replace(moved, start_ms=max(moved.start_ms, recap.start_ms),
                                    end_ms=min(moved.end_ms, recap.end_ms),
                                    flags=(*moved.flags, source_flag("recap", detail))))
    return replace(transcript, segments=tuple(sorted(kept, key=lambda s: (s.start_ms, s.end_ms))))


def recap_cues(recaps: Sequence[Recap], replayed: Mapping[str, Sequence[OcrCue]], fps: float) -> tuple[OcrCue, ...]:
    """The burned-in lines the recaps show, as the episodes they replay read them, moved to this episode's
    frames and cut to each recap: what the removal stage takes out there, with no reading of its own."""
    moved = []
    for recap in recaps:
        shift = round((recap.start_ms - recap.source_start_ms) * fps / 1000)
        first, end = round(recap.start_ms * fps / 1000), round(recap.end_ms * fps / 1000)  # this episode's frames
        for cue in replayed.get(recap.episode, ()):
            a, b = max(cue.first_frame + shift, first), min(cue.last_frame + shift, end - 1)
            if a <= b:
                moved.append(replace(cue, first_frame=a, last_frame=b, start_ms=round(a * 1000 / fps),
                                     end_ms=round((b + 1) * 1000 / fps)))
    return tuple(moved)
