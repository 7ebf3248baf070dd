"""Loudness (BS.1770) measurement, true peak and normalization with limiting, on generated tones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from localize.dub.loudness import (
    LoudnessTarget,
    integrated_lufs,
    limit,
    measure,
    normalize,
    peak_envelope,
    target_for,
    true_peak_dbtp,
)
from localize.dub.wav import Audio
from localize.markets import get_market

RATE = 48000


def _tone(freq: float, seconds: float, amplitude: float, channels: int = 1, phase: float = 0.0) -> Audio:
    t = np.arange(round(seconds * RATE)) / RATE
    wave = (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)
    return Audio(np.repeat(wave[:, None], channels, axis=1), RATE)


def test_full_scale_997hz_sine_reads_minus_3_lufs() -> None:
    # BS.1770 calibration: a 0 dBFS 997 Hz sine in one channel measures -3.01 LUFS
    assert integrated_lufs(_tone(997, 5, 1.0)) == pytest.approx(-3.01, abs=0.05)


def test_true_peak_finds_peaks_between_samples() -> None:
    # fs/4 sine shifted 45 degrees: every sample is at 0.707, the waveform itself reaches 1.0
    audio = _tone(RATE / 4, 1, 1.0, phase=math.pi / 4)
    ramp = np.sin(np.linspace(0, np.pi / 2, RATE // 50)) ** 2  # soft edges: an abrupt start rings
    audio.samples[: ramp.size, 0] *= ramp
    audio.samples[-ramp.size:, 0] *= ramp[::-1]
    assert 20 * math.log10(np.abs(audio.samples).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_dbtp(audio) == pytest.approx(0.0, abs=0.1)


def test_peaks_are_oversampled_only_where_they_can_reach_the_floor_and_exact_there() -> None:
    # Speech-like bursts of noise at several levels, one burst with a peak between samples: the envelope
    # asked with a floor equals the whole signal oversampled at every frame that reaches the floor.
    rng = np.random.default_rng(7)
    samples = np.zeros((3 * RATE, 2), dtype=np.float32)
    for start, level in ((0.1, 0.05), (0.9, 0.4), (1.6, 0.9), (2.4, 0.2)):
        first = round(start * RATE)
        samples[first: first + RATE // 2] = level * np.clip(rng.normal(0, 0.3, (RATE // 2, 2)), -1, 1)
    t = np.arange(RATE // 10) / RATE
    samples[RATE // 2: RATE // 2 + t.size, 1] = 0.7 * np.sin(2 * np.pi * RATE / 4 * t + math.pi / 4)
    audio = Audio(samples, RATE)
    whole = peak_envelope(audio)  # floor 0: every frame oversampled
    assert whole.max() > np.abs(samples).max()  # there are peaks between samples to find
    for floor in (0.2, 0.5, 0.8):
        pruned = peak_envelope(audio, floor=floor)
        reaching = whole >= floor
        assert 0 < reaching.mean() < 0.5
        np.testing.assert_array_equal(pruned[reaching], whole[reaching])
        assert (pruned[~reaching] < floor).all()
    assert true_peak_dbtp(audio) == pytest.approx(20 * math.log10(whole.max()), abs=1e-9)


def test_silence_and_short_audio() -> None:
    silent = Audio(np.zeros((RATE, 2), dtype=np.float32), RATE)
    assert measure(silent).integrated_lufs == -math.inf and measure(silent).true_peak_dbtp == -math.inf
    out, result = normalize(silent)
    assert out is silent and result.integrated_lufs == -math.inf
    assert integrated_lufs(_tone(440, 0.2, 0.5)) == -math.inf


def test_normalizes_quiet_tone_to_target() -> None:
    out, result = normalize(_tone(440, 6, 0.02, channels=2))
    assert result.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert result.true_peak_dbtp <= -1.0
    assert measure(out) == result


def test_limits_peaks_that_gain_would_push_over() -> None:
    # a quiet tone with loud clicks: reaching -16 LUFS needs the clicks limited
    audio = _tone(300, 8, 0.03)
    clicks = audio.samples.copy()
    for start in range(RATE // 2, clicks.shape[0], RATE):
        clicks[start:start + 48, 0] += 0.5
    spiky = Audio(clicks, RATE)
    gain_only = measure(spiky).true_peak_dbtp + (-16.0 - integrated_lufs(spiky))
    assert gain_only > 3.0  # without the limiter the peaks would clip
    out, result = normalize(spiky, target_for(get_market("en-US")))
    assert result.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert result.true_peak_dbtp <= -1.0
    quiet_part = slice(RATE // 2 + 4800, RATE // 2 + 9600)  # away from the clicks: plain gain
    ratio = np.abs(out.samples[quiet_part]).max() / np.abs(spiky.samples[quiet_part]).max()
    assert np.allclose(out.samples[quiet_part], ratio * spiky.samples[quiet_part], atol=1e-4)
    assert 20 * math.log10(ratio) > -16.0 - integrated_lufs(spiky)  # the clicks lost loudness, not the tone


def test_limiter_leaves_quiet_audio_alone_and_caps_loud_audio() -> None:
    quiet = _tone(440, 1, 0.1)
    assert limit(quiet, -1.0) is quiet
    loud = _tone(440, 1, 1.0)
    assert true_peak_dbtp(limit(loud, -3.0)) <= -3.0 + 0.05


def test_market_target() -> None:
    assert target_for(get_market("es-419")) == LoudnessTarget(-16.0, -1.0)
