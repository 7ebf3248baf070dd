"""Loudness (ITU-R BS.1770 / EBU R128) and true peak: the only module importing pyloudnorm.

`normalize` brings a mix to a market's integrated loudness (default -16 LUFS)
while keeping its true peak under the ceiling (default -1 dBTP). When the gain
would push peaks over, a look-ahead peak limiter pulls just those peaks down,
and the gain is corrected again for the loudness the limiter took away.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass

import numpy as np

from localize.dub.wav import Audio
from localize.errors import MissingDependencyError
from localize.markets import Market

log = logging.getLogger("localize")

_MIN_BLOCK_S = 0.4  # BS.1770 gating block: shorter audio has no integrated loudness


@dataclass(frozen=True)
class LoudnessTarget:
    """Where a dub must land; `codec_margin_db` keeps room for the peaks AAC encoding adds."""

    integrated_lufs: float = -16.0
    true_peak_dbtp: float = -1.0
    codec_margin_db: float = 0.5
    tolerance_lu: float = 0.2  # stop correcting once this close
    lookahead_ms: float = 5.0  # limiter attack
    hold_ms: float = 50.0  # limiter holds its gain this long after a peak, to avoid distortion


def target_for(market: Market) -> LoudnessTarget:
    return LoudnessTarget(integrated_lufs=market.loudness_lufs, true_peak_dbtp=market.true_peak_dbtp)


@dataclass(frozen=True)
class LoudnessMeasure:
    integrated_lufs: float  # -inf for silence or audio shorter than 400 ms
    true_peak_dbtp: float  # -inf for silence


def integrated_lufs(audio: Audio) -> float:
    """Gated integrated loudness per BS.1770-4 (K-weighting, 400 ms blocks)."""
    if audio.frames < _MIN_BLOCK_S * audio.sample_rate or not np.any(audio.samples):
        return -math.inf
    try:
        import pyloudnorm
    except ImportError as exc:
        raise MissingDependencyError("pyloudnorm", "install it with: pip install pyloudnorm") from exc
    data = audio.samples.astype(np.float64)
    meter = pyloudnorm.Meter(audio.sample_rate)
    with np.errstate(divide="ignore"):
        value = float(meter.integrated_loudness(data[:, 0] if audio.channels == 1 else data))
    return value if math.isfinite(value) else -math.inf


def _oversample_factor(sample_rate: int) -> int:
    """4x at 44.1/48 kHz as BS.1770-4 asks; more for lower rates so the check runs near 192 kHz."""
    return max(4, math.ceil(176400 / sample_rate))


@functools.cache
def _interpolation_filter(factor: int) -> np.ndarray:
    """The low-pass FIR scipy's resample_poly designs for `factor`x upsampling, in float32 (half the time
    of its float64 path on a 54 s stereo episode, same peaks to 1e-7)."""
    from scipy.signal import firwin

    half = 10 * factor
    taps: np.ndarray = (firwin(2 * half + 1, 1.0 / factor, window=("kaiser", 5.0)) * factor).astype(np.float32)
    return taps


def _phase_gain(taps: np.ndarray, factor: int) -> float:
    """The most one oversampled value can exceed the largest input sample near it: the largest sum of
    absolute taps over the filter's phases (each phase weighs every factor-th tap)."""
    return float(max(np.abs(taps[phase::factor]).sum() for phase in range(factor)))


def _oversampled_peaks(samples: np.ndarray, taps: np.ndarray, factor: int) -> np.ndarray:
    """Per frame of `samples`, the largest absolute value of the oversampled signal from it to the next."""
    from scipy.signal import upfirdn

    frames, channels = samples.shape
    delay = (len(taps) - 1) // 2  # the filter is symmetric: output sample delay + k is input k / factor
    up = upfirdn(taps, samples, factor, 1, axis=0)[delay: delay + frames * factor]
    return np.abs(up).reshape(frames, factor, channels).max(axis=(1, 2))


def peak_envelope(audio: Audio, floor: float = 0.0) -> np.ndarray:
    """Per frame, the largest absolute value of the oversampled signal between it and the next frame.

    Frames that cannot reach `floor` hold their own sample peak instead: the oversampled value near a
    frame is at most the largest sample within the filter's reach times the filter's phase gain, so
    only the frames where that bound passes `floor` are oversampled (after loudness normalization a
    few per cent of a dialogue mix; the limiter asks with its ceiling, the true-peak reading with the
    largest sample). Every value at or over `floor` is exact.
    """
    factor = _oversample_factor(audio.sample_rate)
    if audio.frames == 0:
        return np.zeros(0, dtype=np.float64)
    from scipy.ndimage import maximum_filter1d

    taps = _interpolation_filter(factor)
    samples = audio.samples.astype(np.float32)
    peaks = _sample_peaks(samples)
    reach = (len(taps) - 1) // (2 * factor) + 2  # input frames on each side that one output depends on
    bound = maximum_filter1d(peaks, size=2 * reach + 1, mode="constant") * _phase_gain(taps, factor)
    wanted = bound > floor
    if wanted.mean() > 0.5:
        return np.maximum(_oversampled_peaks(samples, taps, factor), peaks).astype(np.float64)
    envelope = peaks.astype(np.float64)
    for first, last in _runs(wanted, gap=8 * reach):
        lo, hi = max(0, first - reach), min(audio.frames, last + reach)
        got = _oversampled_peaks(samples[lo:hi], taps, factor)[first - lo: last - lo]
        envelope[first:last] = np.maximum(got, peaks[first:last])
    return envelope


def _sample_peaks(samples: np.ndarray) -> np.ndarray:
    """Per frame, the largest absolute sample over the channels (column by column: numpy's max over a
    short last axis is ten times slower)."""
    peaks: np.ndarray = np.abs(samples[:, 0])
    for channel in range(1, samples.shape[1]):
        peaks = np.maximum(peaks, np.abs(samples[:, channel]))
    return peaks


def _runs(mask: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """[first, last) of each run of True in `mask`, runs closer than `gap` frames joined."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.view(np.int8), [0]))))
    runs: list[tuple[int, int]] = []
    for first, last in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and first - runs[-1][1] < gap:
            runs[-1] = (runs[-1][0], last)
        else:
            runs.append((first, last))
    return runs


def true_peak_dbtp(audio: Audio) -> float:
    """Maximum true peak in dBTP, from the oversampled signal (only near the largest samples)."""
    if audio.frames == 0:
        return -math.inf
    largest = float(np.abs(audio.samples).max())
    envelope = peak_envelope(audio, floor=largest)
    peak = float(envelope.max())
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def measure(audio: Audio) -> LoudnessMeasure:
    return LoudnessMeasure(integrated_lufs(audio), true_peak_dbtp(audio))


def _gain(audio: Audio, gain_db: float) -> Audio:
    factor = np.float32(10.0 ** (gain_db / 20.0))
    return Audio((audio.samples * factor).astype(np.float32), audio.sample_rate)


def limit(audio: Audio, ceiling_dbtp: float, lookahead_ms: float = 5.0, hold_ms: float = 50.0) -> Audio:
    """Pull true peaks down to `ceiling_dbtp` with a smooth gain curve; quieter parts are untouched.

    The gain needed at each frame is spread over a window reaching `lookahead_ms`
    ahead and `hold_ms` behind (minimum filter), then smoothed over the look-ahead
    (moving average): every value averaged is already at most the gain the frame
    needs, so the smoothed curve never lets a peak through.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    envelope = peak_envelope(audio, floor=ceiling)
    if envelope.size == 0 or envelope.max() <= ceiling:
        return audio
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    ahead = max(1, round(lookahead_ms * audio.sample_rate / 1000))
    behind = max(ahead, round(hold_ms * audio.sample_rate / 1000))
    size = ahead + behind + 1
    # window [i - behind, i + ahead]: scipy's origin shifts a centered window (negative = later)
    spread = minimum_filter1d(needed, size=size, origin=behind - size // 2, mode="nearest")
    smooth = uniform_filter1d(spread, size=ahead, mode="nearest")
    gain = np.minimum(smooth, needed).astype(np.float32)
    return Audio((audio.samples * gain[:, None]).astype(np.float32), audio.sample_rate)


def normalize(audio: Audio, target: LoudnessTarget | None = None,
              max_rounds: int = 4) -> tuple[Audio, LoudnessMeasure]:
    """Gain to the target loudness, limiting true peaks; returns the audio and what it measures now."""
    target = target or LoudnessTarget()
    ceiling = target.true_peak_dbtp - target.codec_margin_db
    loudness = integrated_lufs(audio)
    if not math.isfinite(loudness):
        log.warning("dub mix is silent or shorter than 400 ms; loudness left as is")
        return audio, measure(audio)
    out = audio
    for _ in range(max_rounds):
        out = limit(_gain(out, target.integrated_lufs - loudness), ceiling, target.lookahead_ms,
                    target.hold_ms)
        loudness = integrated_lufs(out)
        if abs(loudness - target.integrated_lufs) <= target.tolerance_lu:
            break
    result = LoudnessMeasure(loudness, true_peak_dbtp(out))  # the loop measured its loudness already
    log.info("loudness normalized to %.2f LUFS, true peak %.2f dBTP", result.integrated_lufs,
             result.true_peak_dbtp)
    return out, result
