"""Take the original dialogue out of what the dub is laid over, keeping the music and effects.

Three ways, best first (`DialogueOptions.mode`, "auto" picks the first that is possible):

- "me":       the studio's music-and-effects stem (`epNN.me.wav` beside the video) is the bed: no
              original dialogue at all.
- "subtract": DeepFilterNet (localize.dub.enhance) estimates the speech of the original's centre
              (mid) channel; what is not speech is kept with a spectral mask, `1 - |speech|²/|mix|²`
              per time-frequency bin (floored, smoothed over a few frames), applied to each channel's
              own STFT. Only magnitudes are scaled: the original's phase stays, so nothing cancels
              badly when the estimate's phase is a little off, as a plain waveform subtraction would.
- "duck":     the original, turned down under each dub line with raised-cosine ramps (the fallback
              when no enhancer can run).

`residual_db` measures the speech of the original left in the bed during the dubbed lines, relative
to the original's speech there: the same operation applied to the speech estimate (the mask, or the
ducking gain), so it is a model-based figure, not ground truth (bench/dub_bench.py compares it with
the sample season's true dialogue).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize.dub.wav import Audio, read_wav, resample, write_wav
from localize.errors import UnknownNameError
from localize.types import DubPlacement

log = logging.getLogger("localize")

MODES = ("auto", "me", "subtract", "duck")
RESIDUAL_FLOOR_DB = -60.0  # reported for a bed with no original dialogue in it (an M&E stem)
_STFT_SIZE = 2048
_STFT_HOP = 512


@dataclass(frozen=True)
class DialogueOptions:
    mode: str = "auto"  # one of MODES
    mask_floor_db: float = -40.0  # the most a bin of the original is turned down when it is all speech
    over_subtract: float = 1.3  # >1 takes a little more than the estimate, for the speech it misses
    smooth_frames: int = 3  # the mask is averaged over this many STFT frames (no "musical noise")
    duck_db: float = -12.0  # "duck": the original's level under a dub line
    duck_ramp_ms: int = 120  # "duck": raised-cosine ramp into and out of the duck
    duck_merge_ms: int = 300  # "duck": lines closer than this share one duck

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UnknownNameError("dialogue mode", self.mode, MODES)


@dataclass(frozen=True)
class DialogueBed:
    """What the dub of an episode is laid over, for every market.

    `bed` is a WAV (the M&E stem, the original with its speech subtracted, or the original itself for
    "duck", which each market ducks under its own lines). `speech` is the estimate of the original's
    dialogue and `speech_left` what of it the bed still holds (None for an M&E stem: nothing).
    """

    mode: str
    bed: Path
    speech: Path | None = None
    speech_left: Path | None = None

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.bed, self.speech, self.speech_left) if p is not None)


def me_stem_for(video: Path) -> Path | None:
    """The studio's music-and-effects stem beside the video (`epNN.me.wav`), if there is one."""
    stem = Path(video).with_name(f"{Path(video).stem}.me.wav")
    return stem if stem.is_file() else None


def _fit(audio: Audio, frames: int, channels: int, rate: int) -> np.ndarray:
    """Samples at `rate`, `channels` wide, exactly `frames` long (padded or cut)."""
    audio = resample(audio, rate)
    data = audio.samples
    if data.shape[1] != channels:
        data = np.repeat(data.mean(axis=1, keepdims=True), channels, axis=1)
    out = np.zeros((frames, channels), dtype=np.float32)
    n = min(frames, len(data))
    out[:n] = data[:n]
    return out


def prepare_bed(original_wav: Path, work_dir: Path, *, me_stem: Path | None = None,
                options: DialogueOptions | None = None) -> DialogueBed:
    """Build the bed for one episode from its original mix (and the studio's stem, if any)."""
    from localize.dub import enhance

    options = options or DialogueOptions()
    work_dir.mkdir(parents=True, exist_ok=True)
    mode = options.mode
    if mode == "auto":
        mode = "me" if me_stem is not None else "subtract" if enhance.available() else "duck"
    if mode == "me":
        if me_stem is None:
            raise UnknownNameError("M&E stem (epNN.me.wav beside the video)", "none found", ["auto", "duck"])
        original = read_wav(original_wav)
        stem = _fit(read_wav(me_stem), original.frames, original.channels, original.sample_rate)
        return DialogueBed("me", write_wav(Audio(stem, original.sample_rate), work_dir / "bed-me.wav"))
    if mode == "duck":
        return DialogueBed("duck", Path(original_wav))
    original = read_wav(original_wav)
    bed, speech, left = subtract_speech(original, options)
    return DialogueBed("subtract", write_wav(bed, work_dir / "bed-subtract.wav"),
                       write_wav(speech, work_dir / "speech-estimate.wav"),
                       write_wav(left, work_dir / "speech-left.wav"))


def subtract_speech(original: Audio, options: DialogueOptions | None = None) -> tuple[Audio, Audio, Audio]:
    """(bed, speech estimate, speech estimate left in the bed) of an original mix, all at its rate.

    Each signal's STFT is taken once: the mix's (the mid channel's) is the mean of its channels' (the
    transform is linear), and the speech estimate's serves both the mask and what the bed keeps of it."""
    options = options or DialogueOptions()
    speech = estimate_speech(original)
    channels = [_spectrum(original.samples[:, c], original.sample_rate) for c in range(original.channels)]
    spoken = _spectrum(speech.samples[:, 0], speech.sample_rate)
    keep = _keep(sum(channels[1:], channels[0]) / len(channels), spoken, options)
    return _masked(channels, keep, original), speech, _masked([spoken], keep, speech)


def estimate_speech(original: Audio) -> Audio:
    """DeepFilterNet's speech of the original's mid channel, mono, at the original's rate and length."""
    from localize.dub import enhance

    rate = original.sample_rate
    mid = resample(Audio(original.samples.mean(axis=1, keepdims=True), rate), enhance.SAMPLE_RATE)
    speech = resample(Audio(enhance.enhance(mid.samples[:, 0]).reshape(-1, 1), enhance.SAMPLE_RATE), rate)
    return Audio(_fit(speech, original.frames, 1, rate), rate)


def _spectrum(x: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import stft

    return np.asarray(stft(x, fs=rate, nperseg=_STFT_SIZE, noverlap=_STFT_SIZE - _STFT_HOP)[2])


def keep_mask(original: Audio, speech: Audio, options: DialogueOptions | None = None) -> np.ndarray:
    """Per STFT bin, the share of the original's magnitude that is not speech (floored, smoothed)."""
    rate = original.sample_rate
    return _keep(_spectrum(original.samples.mean(axis=1), rate), _spectrum(speech.samples[:, 0], rate),
                 options or DialogueOptions())


def _keep(mix: np.ndarray, speech: np.ndarray, options: DialogueOptions) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    power_mix = uniform_filter1d(np.abs(mix) ** 2, options.smooth_frames, axis=1)
    power_speech = uniform_filter1d(np.abs(speech) ** 2, options.smooth_frames, axis=1)
    floor = 10.0 ** (options.mask_floor_db / 10.0)
    ratio = options.over_subtract * power_speech / np.maximum(power_mix, 1e-12)
    keep: np.ndarray = np.sqrt(np.clip(1.0 - ratio, floor, 1.0))
    return keep


def apply_mask(audio: Audio, keep: np.ndarray) -> Audio:
    """Each channel's STFT scaled by `keep` (its phase untouched), back to samples of the same length."""
    return _masked([_spectrum(audio.samples[:, c], audio.sample_rate) for c in range(audio.channels)], keep, audio)


def _masked(spectra: Sequence[np.ndarray], keep: np.ndarray, audio: Audio) -> Audio:
    """`audio` whose channels' STFTs are `spectra`, each scaled by `keep` and turned back into samples."""
    from scipy.signal import istft

    out = np.zeros_like(audio.samples, dtype=np.float32)
    for c, z in enumerate(spectra):
        data = np.asarray(istft(z * keep[:, : z.shape[1]], fs=audio.sample_rate, nperseg=_STFT_SIZE,
                                noverlap=_STFT_SIZE - _STFT_HOP)[1])[: audio.frames]
        out[: len(data), c] = data
    return Audio(out, audio.sample_rate)


def duck_gain(placements: Sequence[DubPlacement], frames: int, rate: int,
              options: DialogueOptions | None = None) -> np.ndarray:
    """Gain per frame: 1, easing down to `duck_db` with raised-cosine ramps around each dub line."""
    options = options or DialogueOptions()
    ms = rate / 1000
    ramp = max(1, round(options.duck_ramp_ms * ms))
    spans: list[list[int]] = []
    for p in sorted(placements, key=lambda p: p.start_ms):
        if p.end_ms <= p.start_ms:
            continue
        start, end = round(p.start_ms * ms), round(p.end_ms * ms)
        if spans and start - spans[-1][1] <= options.duck_merge_ms * ms + 2 * ramp:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    depth = 1.0 - 10.0 ** (options.duck_db / 20.0)
    amount = np.zeros(frames, dtype=np.float32)
    shape = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, ramp))).astype(np.float32)
    for start, end in spans:
        lo, hi = max(0, start - ramp), min(frames, end + ramp)
        amount[max(0, start): min(frames, end)] = 1.0
        down = shape[ramp - (start - lo):] if start > lo else shape[:0]
        amount[lo: lo + len(down)] = np.maximum(amount[lo: lo + len(down)], down)
        up = shape[::-1][: hi - end] if hi > end else shape[:0]
        if end < frames:
            amount[end: end + len(up)] = np.maximum(amount[end: end + len(up)], up)
    gain: np.ndarray = 1.0 - depth * amount
    return gain


def spans_mask(placements: Sequence[DubPlacement], frames: int, rate: int) -> np.ndarray:
    """True on the frames where a dub line plays."""
    mask = np.zeros(frames, dtype=bool)
    for p in placements:
        mask[round(p.start_ms * rate / 1000): round(p.end_ms * rate / 1000)] = True
    return mask


def residual_db(speech: np.ndarray, left: np.ndarray, during: np.ndarray) -> float:
    """Energy of `left` over that of `speech` on the frames `during`, in dB (floored; no speech: floor)."""
    n = min(len(speech), len(left), len(during))
    if n == 0:
        return RESIDUAL_FLOOR_DB
    mask = during[:n]
    total = float(np.sum(np.square(speech[:n][mask], dtype=np.float64)))
    kept = float(np.sum(np.square(left[:n][mask], dtype=np.float64)))
    if total <= 0 or kept <= 0:
        return RESIDUAL_FLOOR_DB
    return max(RESIDUAL_FLOOR_DB, 10.0 * math.log10(kept / total))
