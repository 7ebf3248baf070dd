"""A quiet, deterministic music bed (soft pad chords and a gentle arpeggio) and the final mix.

Everything is computed with numpy from the episode number alone: no randomness, no
samples from elsewhere, so the same episode always gets the same music.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfilt

from localize.dub import wav

Samples = NDArray[np.float64]

MUSIC_BELOW_DIALOGUE_DB = 20.0
CHORD_MS = 4000
_ARPEGGIO_STEP_MS = 500
_FADE_IN_MS, _FADE_OUT_MS = 1500, 2000
_MINOR, _MAJOR = (0, 3, 7, 12), (0, 4, 7, 12)

# Chord roots as MIDI notes: ep1 A minor (Am F C G), ep2 D minor (Dm Bb F C), ep3 C major (C G Am F).
_PROGRESSIONS: dict[int, tuple[tuple[int, tuple[int, ...]], ...]] = {
    1: ((57, _MINOR), (53, _MAJOR), (48, _MAJOR), (55, _MAJOR)),
    2: ((50, _MINOR), (58, _MAJOR), (53, _MAJOR), (48, _MAJOR)),
    3: ((48, _MAJOR), (55, _MAJOR), (57, _MINOR), (53, _MAJOR)),
}


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def _raised_cosine(n: int) -> Samples:
    return 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float64))


def _pad_note(freq: float, t: Samples, detune: float) -> Samples:
    f = freq * (1.0 + detune)
    return (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)
            + 0.1 * np.sin(6 * np.pi * f * t))


def _chord_envelope(n: int, fade: int) -> Samples:
    env = np.ones(n, dtype=np.float64)
    fade = min(fade, n // 2)
    env[:fade] = _raised_cosine(fade)
    env[n - fade:] = _raised_cosine(fade)[::-1]
    return env


def music_bed(total_ms: int, episode: int, rate: int) -> Samples:
    """Stereo (n, 2) pad-and-arpeggio bed of `total_ms`, normalised to RMS 1."""
    n = total_ms * rate // 1000
    out = np.zeros((n, 2), dtype=np.float64)
    progression = _PROGRESSIONS[(episode - 1) % len(_PROGRESSIONS) + 1]
    chord_len, fade = CHORD_MS * rate // 1000, rate  # chords overlap by a one-second crossfade
    for index, begin in enumerate(range(0, n, chord_len)):
        root, shape = progression[index % len(progression)]
        start, stop = max(0, begin - fade // 2), min(n, begin + chord_len + fade // 2)
        t = np.arange(start, stop, dtype=np.float64) / rate
        env = _chord_envelope(stop - start, fade)
        for channel, detune in enumerate((-0.0015, 0.0015)):
            voice = _pad_note(_hz(root - 12), t, detune) * 0.8  # bass
            for offset in shape:
                voice += _pad_note(_hz(root + offset), t, detune) * 0.5
            tremolo = 1.0 + 0.12 * np.sin(2 * np.pi * 0.2 * t + channel * np.pi / 2)
            out[start:stop, channel] += voice * env * tremolo
        _add_arpeggio(out, begin, min(n, begin + chord_len), root, shape, rate)
    out[:, :] = sosfilt(butter(4, 2500, fs=rate, output="sos"), out, axis=0)
    rms = float(np.sqrt(np.mean(out**2))) if n else 0.0
    if rms > 0:
        out /= rms
    fade_in, fade_out = min(n, _FADE_IN_MS * rate // 1000), min(n, _FADE_OUT_MS * rate // 1000)
    out[:fade_in] *= _raised_cosine(fade_in)[:, None]
    out[n - fade_out:] *= _raised_cosine(fade_out)[::-1, None]
    return out


def _add_arpeggio(out: Samples, begin: int, end: int, root: int, shape: tuple[int, ...], rate: int) -> None:
    """Soft plucked chord tones an octave up, one every half second, panned gently left and right."""
    step = _ARPEGGIO_STEP_MS * rate // 1000
    pattern = (0, 1, 2, 3, 2, 1, 2, 1)
    length = 2 * step
    t = np.arange(length, dtype=np.float64) / rate
    envelope = np.exp(-t / 0.35) * np.minimum(1.0, t / 0.008)
    for index, at in enumerate(range(begin, end, step)):
        freq = _hz(root + 12 + shape[pattern[index % len(pattern)]])
        note = (np.sin(2 * np.pi * freq * t) + 0.2 * np.sin(4 * np.pi * freq * t)) * envelope * 0.6
        stop = min(len(out), at + length)
        pan = 0.35 if index % 2 else -0.35
        out[at:stop, 0] += note[: stop - at] * (1.0 - pan)
        out[at:stop, 1] += note[: stop - at] * (1.0 + pan)


def mix(dialogue: Samples, music: Samples, dialogue_rms: float) -> Samples:
    """Dialogue in the centre, music MUSIC_BELOW_DIALOGUE_DB under the dialogue's level."""
    return mix_stems(dialogue, music, dialogue_rms)[0]


def mix_stems(dialogue: Samples, music: Samples, dialogue_rms: float) -> tuple[Samples, Samples]:
    """The mix, and its music-and-effects stem (the same music at the same gain, no dialogue)."""
    music_gain = dialogue_rms * 10 ** (-MUSIC_BELOW_DIALOGUE_DB / 20)
    me = music * music_gain
    out = me + dialogue[:, None]
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0.98:
        out *= 0.98 / peak
        me = me * (0.98 / peak)
    return out, me


def write_wav(path: Path, samples: Samples, rate: int) -> Path:
    """16-bit PCM WAV of mono or (frames, channels) samples, written atomically."""
    frames = samples.reshape(len(samples), -1).astype(np.float32)
    return wav.write_wav(wav.Audio(frames, rate), path)
