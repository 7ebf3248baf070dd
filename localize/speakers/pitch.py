"""A voice's pitch (median F0) and the gender/age hints read from it (YIN, numpy only)."""

from __future__ import annotations

import numpy as np

FRAME_S = 0.04  # two periods of a 50 Hz voice
FMIN, FMAX = 60.0, 500.0
THRESHOLD = 0.15  # YIN's aperiodicity threshold: a frame below it is voiced
# Adult speech: men ~85-180 Hz, women ~165-255 Hz; children above ~250 Hz.
FEMALE_ABOVE_HZ = 165.0
MALE_BELOW_HZ = 150.0
CHILD_ABOVE_HZ = 290.0


def f0_frames(samples: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """F0 in Hz of each voiced 40 ms frame (unvoiced and silent frames left out)."""
    wav = np.asarray(samples, dtype=np.float64)
    frame, hop = int(FRAME_S * sample_rate), sample_rate // 100
    if len(wav) < frame:
        return np.zeros(0)
    count = 1 + (len(wav) - frame) // hop
    frames = wav[np.arange(frame)[None, :] + hop * np.arange(count)[:, None]]
    loud = np.sqrt(np.mean(frames ** 2, axis=1)) > 0.02 * float(np.max(np.abs(wav)) or 1.0)
    frames = frames[loud]
    if not len(frames):
        return np.zeros(0)
    max_lag = int(sample_rate / FMIN)
    min_lag = int(sample_rate / FMAX)
    half = frame // 2
    # Difference function d(tau) over the first half of each frame, from energies and a correlation by FFT.
    spectrum = np.fft.rfft(frames, n=2 * frame, axis=1)
    head = np.fft.rfft(frames[:, :half], n=2 * frame, axis=1)
    corr = np.fft.irfft(spectrum * np.conj(head), axis=1)[:, :max_lag + 1]
    squares = np.cumsum(np.pad(frames ** 2, ((0, 0), (1, 0))), axis=1)
    energy0 = squares[:, half][:, None]
    lags = np.arange(max_lag + 1)
    energy_tau = squares[:, lags + half] - squares[:, lags]
    diff = energy0 + energy_tau - 2 * corr
    diff[:, 0] = 0
    cumulative = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, max_lag + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cumulative, 1e-12)
    f0 = []
    for row in cmnd:
        below = np.nonzero(row[min_lag:] < THRESHOLD)[0]
        if not len(below):
            continue
        tau = int(below[0]) + min_lag
        while tau + 1 < len(row) and row[tau + 1] < row[tau]:
            tau += 1  # walk down to the dip's bottom
        f0.append(sample_rate / tau)
    return np.asarray(f0)


def median_f0(samples: np.ndarray, sample_rate: int = 16000) -> float | None:
    """The median F0 over the voiced frames, or None when too few are voiced to tell."""
    f0 = f0_frames(samples, sample_rate)
    return float(np.median(f0)) if len(f0) >= 5 else None


def gender_hint(f0_hz: float | None) -> str:
    """"female", "male" or "unknown" (between the ranges, or no pitch): a hint for casting, not a fact."""
    if f0_hz is None:
        return "unknown"
    if f0_hz >= FEMALE_ABOVE_HZ:
        return "female"
    if f0_hz <= MALE_BELOW_HZ:
        return "male"
    return "unknown"


def age_hint(f0_hz: float | None) -> str:
    """"child" for very high voices, else "adult" ("unknown" without a pitch)."""
    if f0_hz is None:
        return "unknown"
    return "child" if f0_hz >= CHILD_ABOVE_HZ else "adult"
