"""Mixing dub lines over the ducked original, export, and a short real dub of a generated episode."""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from localize import media
from localize.dub.dub import DubOptions, dub_episode, dub_findings
from localize.dub.loudness import measure
from localize.dub.mix import MixOptions, PlacedClip, duck_intervals, export_audio, mix_dub
from localize.dub.wav import Audio, mono, read_wav, write_wav
from localize.errors import LocalizeError
from localize.markets import get_market
from localize.types import DubPlacement, Line, Translation, TranslationFlag

RATE = 48000
needs_tools = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
                                 reason="needs ffmpeg and espeak-ng")


def _rms_db(samples: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))))


def _tone(freq: float, ms: int, amplitude: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(rate * ms // 1000) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_duck_intervals_pad_merge_and_clamp() -> None:
    options = MixOptions(duck_fade_ms=100, duck_merge_ms=300)
    placements = [DubPlacement(2, 5000, 6000, 1000, 1.0), DubPlacement(0, 50, 1000, 950, 1.0),
                  DubPlacement(1, 1200, 2000, 800, 1.0), DubPlacement(3, 9950, 9950, 0, 1.0)]
    assert duck_intervals(placements, 8000, options) == [(0, 2100), (4900, 6100)]


def test_mix_ducks_original_only_under_dub_lines_and_cuts_long_clips(tmp_path: Path) -> None:
    original = write_wav(mono(_tone(440, 6000, 0.25), RATE), tmp_path / "orig.wav")
    silent_clip = write_wav(mono(np.zeros(RATE), RATE), tmp_path / "silent.wav")
    long_clip = write_wav(mono(_tone(1000, 3000, 0.3), RATE), tmp_path / "long.wav")
    clips = [PlacedClip(DubPlacement(0, 1000, 2000, 1000, 1.0), silent_clip),
             PlacedClip(DubPlacement(1, 3000, 4000, 3000, 1.2, truncated_ms=1500), long_clip)]
    options = MixOptions(duck_db=-12.0, duck_fade_ms=80, duck_merge_ms=0)
    mixed = mix_dub(original, clips, 6000, options)
    assert mixed.sample_rate == RATE and mixed.channels == 2 and mixed.duration_ms == 6000

    def part(start_ms: int, end_ms: int) -> np.ndarray:
        return mixed.samples[start_ms * RATE // 1000:end_ms * RATE // 1000, 0]

    untouched = _rms_db(part(200, 800))
    assert untouched == pytest.approx(_rms_db(_tone(440, 600, 0.25)), abs=0.1)
    assert _rms_db(part(1200, 1800)) == pytest.approx(untouched - 12.0, abs=0.2)  # ducked, silent line
    assert _rms_db(part(2300, 2900)) == pytest.approx(untouched, abs=0.1)  # restored between lines
    spectrum = np.abs(np.fft.rfft(part(4200, 5200)))
    assert spectrum[1000] < 0.01 * spectrum[440]  # the long line was cut at its placement's end


def test_export_wav_and_m4a(tmp_path: Path) -> None:
    audio = Audio(np.repeat(_tone(440, 1000, 0.2)[:, None], 2, axis=1), RATE)
    wav = export_audio(audio, tmp_path / "a.wav")
    assert read_wav(wav).frames == RATE
    m4a = export_audio(audio, tmp_path / "a.m4a")
    info = media.probe(m4a)
    assert info.audio_codec == "aac" and abs(info.duration_ms - 1000) < 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.m4a", "a.wav"]  # no temporary left behind
    with pytest.raises(LocalizeError, match=r"use \.wav or \.m4a"):
        export_audio(audio, tmp_path / "a.ogg")


@needs_tools
@pytest.mark.slow
def test_real_dub_of_generated_episode(tmp_path: Path) -> None:
    episode = tmp_path / "episode.m4a"  # 10 s of "dialogue" (a tone) with room noise
    media.run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=180:duration=10", "-f", "lavfi",
                      "-i", "anoisesrc=d=10:c=pink:a=0.03", "-filter_complex", "[0][1]amix=inputs=2",
                      "-c:a", "aac", "-b:a", "96k", str(episode)])
    lines = (
        Line(0, 400, 2600, "你要去哪儿？", "¿Adónde vas tan temprano?", "SPEAKER_00"),
        Line(1, 3000, 4200, "我不告诉你，这是我的秘密。",
             "No te lo voy a decir, es mi secreto y nadie lo sabrá jamás.", "SPEAKER_01"),
        Line(2, 5200, 5600, "嗯。", "", "SPEAKER_00"),
        Line(3, 6000, 9000, "那我跟你一起去。", "Entonces voy contigo.", "SPEAKER_00"),
        Line(4, 9200, 9900, "走吧。", "走吧。", "SPEAKER_01",
             flags=(TranslationFlag("copied-source", "the translation repeats the Chinese source"),)),
    )
    market = get_market("es-419")
    out = tmp_path / "delivery" / "dub.m4a"
    track = dub_episode(Translation("es-419", "test", lines), episode, market, out, tmp_path / "work",
                        duration_ms=10_000, options=DubOptions())
    assert out.is_file() and out.with_suffix(".wav").is_file() and track.path == out
    assert abs(media.probe(out).duration_ms - 10_000) < 150
    assert [p.line_index for p in track.placements] == [0, 1, 3]  # the empty line is not voiced
    for first, second in itertools.pairwise(track.placements):
        assert first.end_ms <= second.start_ms
    assert all(p.speed <= DubOptions().hard_max_speed + 1e-9 for p in track.placements)
    past = {p.line_index for p in track.placements if p.speed > market.max_dub_speed + 1e-3 or p.truncated_ms}
    assert track.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert track.true_peak_dbtp <= -1.0
    again = measure(read_wav(out.with_suffix(".wav")))
    assert again.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    # line 1 is far too long for its 1.2 s: it borrows up to line 2, then is sped past 1.2x or cut, flagged
    findings = dub_findings(track, market)
    codes = {f.code for f in findings}
    assert past == {1}
    assert {"dub-truncated", "dub-too-fast"} & codes and "dub-loudness" not in codes and "dub-true-peak" not in codes
    # line 5 kept its Chinese: not voiced, the original stays audible, QA says so
    assert track.skipped == (4,) and 4 not in {p.line_index for p in track.placements}
    assert "dub-skipped" in codes


class CountingVoice:
    """A tone per line, its length from the text; counts what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str, out_wav: Path, speaker: str | None = None) -> Path:
        self.said.append(text)
        return write_wav(Audio(_tone(220, 60 * len(text), 0.3, 22050)[:, None], 22050), out_wav)


def test_an_edited_line_is_the_only_one_voiced_again(tmp_path: Path) -> None:
    episode = tmp_path / "episode.wav"
    write_wav(Audio(np.repeat(_tone(180, 6000, 0.2)[:, None], 2, axis=1), RATE), episode)
    lines = [Line(0, 200, 1800, "你好。", "Hello there.", "A"), Line(1, 2500, 4000, "再见。", "Goodbye now.", "B"),
             Line(2, 4400, 5800, "走吧。", "Let us go.", "A")]
    options = DubOptions(write_wav=False, speech_cache=tmp_path / "speech")
    voice = CountingVoice()
    market = get_market("en-US")
    dub_episode(Translation("en-US", "t", tuple(lines)), episode, market, tmp_path / "one.m4a", tmp_path / "w1",
                duration_ms=6000, voice=voice, options=options)
    assert voice.said == ["Hello there.", "Goodbye now.", "Let us go."]
    lines[1] = Line(1, 2500, 4000, "再见。", "See you.", "B")
    track = dub_episode(Translation("en-US", "t", tuple(lines)), episode, market, tmp_path / "two.m4a",
                        tmp_path / "w2", duration_ms=6000, voice=voice, options=options)
    assert voice.said[3:] == ["See you."] and len(track.placements) == 3
