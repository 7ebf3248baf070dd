"""PCM WAV in and out with the standard library, and the float sample buffer the dub stages share.

Samples travel as float32 numpy arrays shaped (frames, channels) in [-1, 1];
files on disk are 16-bit PCM. No heavy library is needed for this.
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize.errors import MediaError
from localize.fsutil import atomic_path

_INT16_SCALE = 32768.0


@dataclass(frozen=True)
class Audio:
    """Float samples shaped (frames, channels) at one sample rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_ms(self) -> int:
        return round(self.frames * 1000 / self.sample_rate)


def mono(samples: np.ndarray, sample_rate: int) -> Audio:
    """Wrap a 1-D float array as one-channel Audio."""
    return Audio(np.asarray(samples, dtype=np.float32).reshape(-1, 1), sample_rate)


def resample(audio: Audio, sample_rate: int) -> Audio:
    """The same sound at another sample rate (polyphase filter, in this process: a line of dub
    costs no ffmpeg start)."""
    if audio.sample_rate == sample_rate or audio.frames == 0:
        return Audio(audio.samples, sample_rate)
    from scipy.signal import resample_poly

    common = math.gcd(sample_rate, audio.sample_rate)
    samples = resample_poly(audio.samples, sample_rate // common, audio.sample_rate // common, axis=0)
    return Audio(np.asarray(samples, dtype=np.float32), sample_rate)


def read_wav(path: Path | str) -> Audio:
    """Read a 16-bit PCM WAV file (what espeak-ng, ffmpeg and this package write)."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as handle:
            width = handle.getsampwidth()
            channels = handle.getnchannels()
            rate = handle.getframerate()
            raw = handle.readframes(handle.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise MediaError(path, f"not a readable WAV file ({exc})") from exc
    if width != 2:
        raise MediaError(path, f"expected 16-bit PCM WAV, got {8 * width}-bit")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / _INT16_SCALE
    return Audio(data.reshape(-1, channels), rate)


def write_wav(audio: Audio, path: Path | str) -> Path:
    """Write 16-bit PCM, clipping to full scale, atomically."""
    path = Path(path)
    pcm = np.clip(np.round(audio.samples * _INT16_SCALE), -32768, 32767).astype("<i2")
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as handle:
        handle.setnchannels(audio.channels)
        handle.setsampwidth(2)
        handle.setframerate(audio.sample_rate)
        handle.writeframes(pcm.tobytes())
    return path


def wav_duration_ms(path: Path | str) -> int:
    """Length of a WAV file in milliseconds, from its header."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as handle:
            return round(handle.getnframes() * 1000 / handle.getframerate())
    except (OSError, EOFError, wave.Error) as exc:
        raise MediaError(path, f"not a readable WAV file ({exc})") from exc


def pcm16_format(path: Path | str) -> tuple[int, int] | None:
    """(sample rate, channels) of a 16-bit PCM WAV file, or None for anything else."""
    try:
        with wave.open(str(path), "rb") as handle:
            if handle.getsampwidth() != 2:
                return None
            return handle.getframerate(), handle.getnchannels()
    except (OSError, EOFError, wave.Error):
        return None


def trim_silence(audio: Audio, threshold_db: float = -45.0, keep_ms: int = 30) -> Audio:
    """Cut leading and trailing near-silence (TTS engines pad their output), keeping a short margin.

    Fitting works on the speech itself: padding would count as speech and be
    sped up or truncated for nothing.
    """
    if audio.frames == 0:
        return audio
    level = np.max(np.abs(audio.samples), axis=1)
    loud = np.flatnonzero(level > 10.0 ** (threshold_db / 20.0))
    if loud.size == 0:
        return Audio(audio.samples[:0], audio.sample_rate)
    keep = round(keep_ms * audio.sample_rate / 1000)
    first = max(0, int(loud[0]) - keep)
    last = min(audio.frames, int(loud[-1]) + 1 + keep)
    return Audio(audio.samples[first:last], audio.sample_rate)
