"""Mandarin dialogue for the sample season: espeak-ng clips placed on a timeline.

espeak-ng's `cmn`/`zh` voices read Hanzi wrongly, so each line is converted to
pinyin with tone numbers (neutral tone 5) and spoken by the `cmn-latn-pinyin` voice.
Clips are trimmed to where the speech really is, so the script's times are exact.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pypinyin import Style, lazy_pinyin
from scipy.signal import resample_poly

from localize.dub.espeak import synthesize
from localize.dub.wav import read_wav
from localize.sample.script import StoryLine, character

SAMPLE_RATE = 48000
_MS = SAMPLE_RATE // 1000  # samples per millisecond

LEAD_MS = 1200  # silence before the first line, under the title card
TAIL_MS = 1500
MIN_GAP_MS, MAX_GAP_MS = 300, 1200
MIN_EPISODE_MS, MAX_EPISODE_MS = 40_500, 59_500  # inside 40-60 s with a little room

_SPEECH_RMS = 10 ** (-18 / 20)  # every clip at the same loudness, whoever speaks
_PEAK_LIMIT = 10 ** (-1 / 20)
_TRIM_FLOOR = 10 ** (-40 / 20)  # relative to the clip's peak
_TRIM_MARGIN_MS = 15

_PUNCTUATION = str.maketrans({"，": ",", "。": ".", "？": "?", "！": "!", "、": ",", "：": ",", "；": ","})

Samples = NDArray[np.float64]


@dataclass(frozen=True)
class Clip:
    """One line spoken and trimmed, at SAMPLE_RATE, mono."""

    line: StoryLine
    samples: Samples

    @property
    def duration_ms(self) -> int:
        return -(-len(self.samples) // _MS)  # ceiling: the script never cuts speech short


def to_pinyin(text: str) -> str:
    """Tone-numbered pinyin that espeak-ng's pinyin voice reads, with ASCII punctuation for pauses."""
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(s.strip() for s in syllables if s.strip()).translate(_PUNCTUATION)


def speak(line: StoryLine, work_dir: Path, index: int) -> Clip:
    """Synthesize one line in its character's voice; trim silence; level it."""
    cast = character(line.speaker)
    wav = synthesize(to_pinyin(line.zh), cast.voice, work_dir / f"line{index:02d}.wav",
                     words_per_minute=cast.words_per_minute, pitch=cast.pitch)
    samples = _level(_trim(_resample(*_read_wav(wav))))
    if samples.size == 0:
        raise ValueError(f"espeak-ng produced silence for line {line.line_no}: {line.zh}")
    return Clip(line, samples)


def _read_wav(path: Path) -> tuple[Samples, int]:
    """Mono float64 samples and the rate of a 16-bit WAV (espeak-ng's output)."""
    audio = read_wav(path)
    return audio.samples.astype(np.float64).mean(axis=1), audio.sample_rate


def _resample(samples: Samples, rate: int) -> Samples:
    if rate == SAMPLE_RATE:
        return samples
    common = gcd(rate, SAMPLE_RATE)
    return np.asarray(resample_poly(samples, SAMPLE_RATE // common, rate // common), dtype=np.float64)


def _trim(samples: Samples) -> Samples:
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak == 0.0:
        return samples[:0]
    loud = np.flatnonzero(np.abs(samples) >= peak * _TRIM_FLOOR)
    margin = _TRIM_MARGIN_MS * _MS
    return samples[max(0, loud[0] - margin): loud[-1] + 1 + margin]


def _level(samples: Samples) -> Samples:
    if samples.size == 0:
        return samples
    rms = float(np.sqrt(np.mean(samples**2)))
    gain = _SPEECH_RMS / rms if rms > 0 else 1.0
    peak = float(np.max(np.abs(samples))) * gain
    if peak > _PEAK_LIMIT:
        gain *= _PEAK_LIMIT / peak
    return samples * gain


def plan_starts(clips: Sequence[Clip], episode: int) -> tuple[list[int], int]:
    """Start of each clip and the episode's length, in ms.

    Pauses are drawn from a generator seeded by the episode number (so every run gives
    the same times): short when the same character goes on, longer when another answers.
    They are squeezed, never below MIN_GAP_MS, if the episode would run past MAX_EPISODE_MS;
    a short episode gets a longer tail instead.
    """
    rng = random.Random(f"localize-sample-episode-{episode}")
    gaps: list[int] = []
    for before, after in itertools.pairwise(clips):
        low, high = (300, 600) if before.line.speaker == after.line.speaker else (500, 1100)
        gaps.append(10 * round(rng.uniform(low, high) / 10))
    speech = sum(c.duration_ms for c in clips)
    fixed = LEAD_MS + speech + TAIL_MS
    if fixed + sum(gaps) > MAX_EPISODE_MS:
        spare = sum(g - MIN_GAP_MS for g in gaps)
        excess = fixed + sum(gaps) - MAX_EPISODE_MS
        if excess > spare:
            raise ValueError(f"sample episode {episode} is too long: {fixed + sum(gaps)} ms of dialogue")
        gaps = [g - -(-(g - MIN_GAP_MS) * excess // spare) for g in gaps]  # ceiling: at least `excess` in all
    starts = [LEAD_MS]
    for clip, gap in zip(clips, gaps, strict=False):
        starts.append(starts[-1] + clip.duration_ms + gap)
    total = max(starts[-1] + clips[-1].duration_ms + TAIL_MS, MIN_EPISODE_MS)
    return starts, total


def dialogue_track(clips: Sequence[Clip], starts: Sequence[int], total_ms: int) -> Samples:
    """All clips at their start times on one mono track of `total_ms`."""
    track = np.zeros(total_ms * _MS, dtype=np.float64)
    for clip, start in zip(clips, starts, strict=True):
        begin = start * _MS
        track[begin: begin + len(clip.samples)] += clip.samples
    return track
