"""Speakers: pitch, clustering of synthetic voices, the character registry, linking, casting, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from localize.cli import main
from localize.dub.voices import CastVoice, cast_voices, find_voice, market_voices, voice_for
from localize.errors import InputFormatError, UnknownNameError
from localize.markets import get_market
from localize.speakers.assign import assign_speakers, script_names, segment_labels
from localize.speakers.diarize import Diarization, DiarizeOptions, SpeakerTurn, Voiceprint, _Piece, cluster_pieces
from localize.speakers.pitch import gender_hint, median_f0
from localize.speakers.registry import CharacterRegistry
from localize.types import Segment, Transcript

RNG = np.random.default_rng(7)
BASES = [v / np.linalg.norm(v) for v in RNG.normal(size=(4, 256))]


def _near(base: int, noise: float = 0.05) -> np.ndarray:
    v = BASES[base] + RNG.normal(scale=noise, size=256) / np.sqrt(256) * 4
    return v / np.linalg.norm(v)


def _voice(label: str, base: int, f0: float, speech_ms: int = 5000, noise: float = 0.05) -> Voiceprint:
    return Voiceprint(label, tuple(float(x) for x in _near(base, noise)), speech_ms, f0)


def test_median_f0_of_tones_and_gender_hints() -> None:
    t = np.arange(16000) / 16000
    for hz in (95.0, 140.0, 220.0):
        tone = 0.3 * np.sign(np.sin(2 * np.pi * hz * t)) + 0.1 * np.sin(4 * np.pi * hz * t)
        assert median_f0(tone) == pytest.approx(hz, rel=0.03)
    assert median_f0(np.zeros(16000)) is None
    assert (gender_hint(110), gender_hint(210), gender_hint(158), gender_hint(None)) == (
        "male", "female", "unknown", "unknown")


def test_clustering_separates_voices_and_joins_turns() -> None:
    pieces = [_Piece(i * 1000, i * 1000 + 900) for i in range(8)]
    owners = [0, 0, 1, 1, 0, 1, 0, 1]
    embeddings = np.array([_near(o) for o in owners])
    f0 = [110.0 if o == 0 else 220.0 for o in owners]
    result = cluster_pieces(np.zeros(16000 * 9), pieces, embeddings, f0, DiarizeOptions(min_cluster_ms=0))
    assert [v.label for v in result.voices] == ["S1", "S2"]
    labels = [next(t.label for t in result.turns if t.start_ms <= p.start_ms < t.end_ms) for p in pieces]
    assert labels == ["S1" if o == 0 else "S2" for o in owners]
    assert result.turns[0] == SpeakerTurn(0, 1900, "S1", result.turns[0].confidence)  # gap < join_gap_ms


def test_segments_take_the_label_speaking_most_and_script_names_map_by_overlap() -> None:
    turns = [SpeakerTurn(0, 2000, "S1"), SpeakerTurn(2100, 5000, "S2"), SpeakerTurn(5200, 6000, "S1")]
    segments = [Segment(0, 2100, "a", speaker="林晓"), Segment(2000, 5000, "b"), Segment(6300, 6800, "c"),
                Segment(20000, 21000, "d")]
    assert segment_labels(segments, turns) == ["S1", "S2", "S1", None]
    assert script_names(segments, turns) == {"S1": "林晓"}


def test_registry_links_episodes_by_voiceprint_and_keeps_script_names(tmp_path: Path) -> None:
    registry = CharacterRegistry.in_folder(tmp_path)
    first = registry.link("ep01", [(_voice("S1", 0, 210), "林晓"), (_voice("S2", 1, 100), None)])
    assert (first["S1"].name, first["S2"].name) == ("林晓", "Speaker 1")
    second = registry.link("ep02", [(_voice("S1", 1, 102), None), (_voice("S2", 0, 205), None),
                                    (_voice("S3", 2, 150), None)])
    assert (second["S1"].name, second["S2"].name, second["S3"].name) == ("Speaker 1", "林晓", "Speaker 2")
    assert second["S1"].confident and second["S3"].new
    characters = {c.name: c for c in registry.characters()}
    assert characters["林晓"].gender == "female" and characters["Speaker 1"].gender == "male"
    assert set(characters["林晓"].lines) == {"ep01", "ep02"}


def test_a_loose_match_flags_the_lines(tmp_path: Path) -> None:
    registry = CharacterRegistry.in_folder(tmp_path)
    registry.link("ep01", [(_voice("S1", 0, 200), None)])
    loose = np.asarray(registry.characters()[0].voiceprint) * 0.7 + BASES[3] * 0.66  # distance ~0.27
    voice = Voiceprint("S1", tuple(loose / np.linalg.norm(loose)), 4000, 200.0)
    diarization = Diarization((SpeakerTurn(0, 3000, "S1"),), (voice,))
    transcript = Transcript("zh", (Segment(100, 2900, "你好"),), 3000)
    out = assign_speakers(transcript, diarization, registry, "ep02")
    segment = out.segments[0]
    assert segment.speaker == "Speaker 1"
    assert [f.code for f in segment.flags] == ["speaker-uncertain"]
    assert registry.characters()[0].lines == {"ep01": 0, "ep02": 1}


def test_script_speakers_win_and_can_be_hidden(tmp_path: Path) -> None:
    registry = CharacterRegistry.in_folder(tmp_path)
    diarization = Diarization((SpeakerTurn(0, 3000, "S1"), SpeakerTurn(3200, 6000, "S2")),
                              (_voice("S1", 0, 210), _voice("S2", 1, 100)))
    transcript = Transcript("zh", (Segment(0, 3000, "甲", speaker="林晓"), Segment(3200, 6000, "乙")), 6000)
    out = assign_speakers(transcript, diarization, registry, "ep01")
    assert [s.speaker for s in out.segments] == ["林晓", "Speaker 1"]
    hidden = assign_speakers(transcript, diarization, CharacterRegistry(tmp_path / "other.json"), "ep01",
                             use_script=False)
    assert [s.speaker for s in hidden.segments] == ["Speaker 1", "Speaker 2"]


def test_registry_keeps_hand_edits_and_refuses_a_broken_file(tmp_path: Path) -> None:
    registry = CharacterRegistry.in_folder(tmp_path)
    registry.link("ep01", [(_voice("S1", 0, 210), None), (_voice("S2", 1, 100), None)])
    data = json.loads(registry.path.read_text(encoding="utf-8"))
    data["characters"][0]["name"] = "林晓"
    data["characters"][0]["voices"] = {"es-419": "espeak:es-419+f2"}
    data["characters"][1]["gender"] = "female"  # a person knows better than the pitch
    registry.path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    registry.link("ep02", [(_voice("S1", 0, 212), None), (_voice("S2", 1, 101), None)])
    cast = registry.cast("es-419", lambda chars, current: cast_voices(get_market("es-419"), chars, current))
    characters = registry.characters()
    assert [c.name for c in characters] == ["林晓", "Speaker 2"]
    assert cast["林晓"] == "espeak:es-419+f2" and characters[1].gender == "female"
    assert set(characters[0].lines) == {"ep01", "ep02"}
    registry.path.write_text('{"characters": [ {"name": "A",}', encoding="utf-8")
    before = registry.path.read_bytes()
    with pytest.raises(InputFormatError):
        registry.link("ep03", [(_voice("S1", 0, 210), None)])
    assert registry.path.read_bytes() == before


def test_casting_is_stable_distinct_and_follows_gender(tmp_path: Path) -> None:
    market = get_market("es-419")
    chars = [("林晓", "female", 210.0), ("陈默", "male", 74.0), ("王桂芳", "female", 171.0), ("张浩", "male", None)]
    cast = cast_voices(market, chars, {})
    assert len(set(cast.values())) == 4
    assert all(find_voice(market, cast[n]).gender == g for n, g, _ in chars)
    assert cast_voices(market, [*chars, ("Speaker 5", "unknown", None)], cast).items() >= cast.items()
    registry = CharacterRegistry.in_folder(tmp_path)
    registry.link("ep01", [(_voice("S1", 0, 210), "林晓"), (_voice("S2", 1, 100), "陈默")])
    caster = lambda c, cur: cast_voices(market, c, cur)  # noqa: E731
    assert registry.cast(market.code, caster) == registry.cast(market.code, caster)
    english = [o.id for o in market_voices(get_market("en-US"))]
    assert english[0] == "piper:joe" and any(i.startswith("espeak:en-us+f") for i in english)


def test_the_deeper_character_gets_the_lower_copy_of_a_voice() -> None:
    english = get_market("en-US")
    # leads first: 陈默 would take joe and 张浩 joe-low, but 陈默 speaks lower
    cast = cast_voices(english, [("陈默", "male", 74.0), ("张浩", "male", 95.0), ("李强", "male", 120.0)], {})
    assert cast == {"陈默": "piper:joe-low", "张浩": "piper:joe", "李强": "piper:joe-high"}
    # a character already cast keeps the voice; only the new ones are ordered among themselves
    kept = cast_voices(english, [("陈默", "male", 74.0), ("张浩", "male", 60.0)], {"陈默": "piper:joe"})
    assert kept == {"陈默": "piper:joe", "张浩": "piper:joe-low"}
    # voices of different families (a neural voice and espeak-ng) are not swapped by pitch
    many = [(f"M{i}", "male", 100.0 - i) for i in range(5)]
    assert cast_voices(english, many, {})["M3"].startswith("espeak:")


def test_cast_voice_routes_each_character(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    market = get_market("es-419")
    voice = voice_for(market, {"林晓": "espeak:es-419+f3", "陈默": "espeak:es-419+m1"})
    assert isinstance(voice, CastVoice) and voice.voice_id("林晓") == "espeak:es-419+f3"
    a = voice.synthesize("hola", tmp_path / "a.wav", "林晓")
    b = voice.synthesize("hola", tmp_path / "b.wav", "陈默")
    c = voice.synthesize("hola", tmp_path / "c.wav", "nadie")  # outside the cast: the market's own voice
    assert a.read_bytes() != b.read_bytes() and c.is_file()
    with pytest.raises(UnknownNameError):
        voice_for(market, {"林晓": "espeak:xx+f9"})


def test_cli_shows_renames_and_recasts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = CharacterRegistry.in_folder(tmp_path)
    registry.link("ep01", [(_voice("S1", 0, 210), None), (_voice("S2", 1, 100), None)])
    assert main(["cast", str(tmp_path), "--rename", "Speaker 2=陈默", "--voice", "陈默:en-US=espeak:en-us+m3"]) == 0
    shown = capsys.readouterr().out
    assert "陈默 (was Speaker 2)" in shown and "en-US espeak:en-us+m3" in shown
    assert registry.find("Speaker 2").name == "陈默"
    assert main(["cast", str(tmp_path), "--voice", "陈默:en-US=espeak:nope+m9"]) == 2
    assert "espeak:en-us+m3" in capsys.readouterr().err  # the accepted voices are listed
    assert main(["cast", str(tmp_path / "none")]) == 2


def test_cli_writes_auditions_of_each_voice_and_each_cast_character(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    from localize.dub.wav import read_wav

    market = get_market("es-419")
    folder = tmp_path / "voices"
    assert main(["cast", str(tmp_path), "--voices", "es-419", "--listen", str(folder)]) == 0
    files = sorted(folder.glob("*.wav"))
    assert len(files) == len(market_voices(market)) and (folder / "espeak_es-419_f3.wav") in files
    assert len({f.read_bytes() for f in files}) == len(files)  # each voice sounds different
    assert all(700 < read_wav(f).duration_ms < 6000 for f in files)  # one short line each
    assert main(["cast", str(tmp_path), "--voices", "es-419", "--listen", str(folder)]) == 2  # not overwritten
    assert "choose an empty folder" in capsys.readouterr().err

    registry = CharacterRegistry.in_folder(tmp_path)
    registry.link("ep01", [(_voice("S1", 0, 210), "林晓"), (_voice("S2", 1, 100), "陈默")])
    registry.cast(market.code, lambda c, cur: cast_voices(market, c, cur))
    assert main(["cast", str(tmp_path), "--listen", str(tmp_path / "cast")]) == 0
    assert sorted(p.name for p in (tmp_path / "cast" / "es-419").iterdir()) == ["林晓.wav", "陈默.wav"]


@pytest.mark.slow
def test_diarization_tells_espeak_voices_apart(tmp_path: Path) -> None:
    """Real models: two espeak-ng voices of different pitch, alternating, become two speakers in the right turns."""
    pytest.importorskip("onnxruntime")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    from localize.dub import espeak
    from localize.dub.wav import read_wav, resample
    from localize.errors import MissingDependencyError
    from localize.speakers.diarize import diarize_samples

    text = "ni3 hao3, jin1 tian1 tian1 qi4 hen3 hao3, wo3 men5 qu4 gong1 yuan2 zou3 zou3 ba5."
    voices = [("cmn-latn-pinyin+f3", 70), ("cmn-latn-pinyin+m3", 30)]
    parts, truth, at = [], [], 0
    for turn in range(4):
        name, pitch = voices[turn % 2]
        wav = read_wav(espeak.synthesize(text, name, tmp_path / f"{turn}.wav", pitch=pitch))
        samples = resample(wav, 16000).samples[:, 0]
        parts += [samples, np.zeros(8000, dtype=np.float32)]
        truth.append((at + 100, at + len(samples) * 1000 // 16000 - 100, turn % 2))
        at += (len(samples) + 8000) * 1000 // 16000
    try:
        result = diarize_samples(np.concatenate(parts))
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    assert len(result.voices) == 2
    for start, end, who in truth:
        inside = {t.label for t in result.turns if t.end_ms > start and t.start_ms < end}
        assert inside == {f"S{who + 1}"}
    f0 = {v.label: v.f0_hz for v in result.voices}
    assert f0["S1"] and f0["S2"] and f0["S1"] > f0["S2"]


@pytest.mark.slow
def test_two_speaker_clip_gets_two_speakers_in_the_right_turns() -> None:
    """The eval clip (a real recording of two speakers, turns tagged [S1]/[S2] in its text)."""
    from conftest import shared_eval

    from localize.speakers.diarize import diarize_file
    from localize.speakers.evaluation import time_accuracy, timed_reference_turns

    clip = shared_eval("asr", "mossttsd_single_reference_2spk.wav")
    reference = timed_reference_turns(clip)
    assert {speaker for _, _, speaker in reference} == {"S1", "S2"} and len(reference) >= 4
    diarization = diarize_file(clip)
    assert len(diarization.voices) == 2
    assert time_accuracy(reference, diarization) >= 0.8  # measured 0.849 (bench/speaker_eval.py)


@pytest.mark.slow
def test_sample_season_lines_get_the_scripts_characters_without_the_script(sample_season: Any,
                                                                           tmp_path: Path) -> None:
    """Speakers hidden: diarized and linked across the season, each line's character maps to the script's."""
    from localize.speakers.evaluation import diarize_season_blind, season_score

    lines, episodes = diarize_season_blind(sample_season.out_dir, tmp_path)
    assert len(episodes) == 3 and len(lines) == sum(e.lines for e in sample_season.episodes)
    score = season_score(lines)
    assert score.share >= 0.9, score
    assert score.split() == [], score.labels  # each character one label, the same in every episode
    assert len(score.labels) >= 4


def test_the_registry_is_the_same_whatever_order_the_episodes_come_in(tmp_path: Path) -> None:
    season = {"ep01": [(_voice("S1", 0, 210), "林晓"), (_voice("S2", 1, 100), None)],
              "ep02": [(_voice("S1", 1, 102), None), (_voice("S2", 2, 150), None)],
              "ep03": [(_voice("S1", 2, 151), None), (_voice("S2", 3, 120), None), (_voice("S3", 0, 208), None)]}
    written = set()
    for order in (("ep01", "ep02", "ep03"), ("ep03", "ep02", "ep01"), ("ep02", "ep03", "ep01")):
        registry = CharacterRegistry.in_folder(tmp_path / "-".join(order))
        for episode in order:
            registry.link(episode, season[episode], lines=[(None, v.label) for v, _ in season[episode]])
        written.add(registry.path.read_text(encoding="utf-8"))
    assert len(written) == 1  # byte for byte
    characters = CharacterRegistry.in_folder(tmp_path / "ep01-ep02-ep03").characters()
    assert [c.name for c in characters] == ["林晓", "Speaker 1", "Speaker 2", "Speaker 3"]
    assert characters[2].lines == {"ep02": 1, "ep03": 1} and characters[0].lines == {"ep01": 1, "ep03": 1}


def test_a_rename_survives_episodes_that_come_in_before_it(tmp_path: Path) -> None:
    registry = CharacterRegistry.in_folder(tmp_path)
    registry.link("ep02", [(_voice("S1", 1, 100), None), (_voice("S2", 2, 150), None)])
    registry.rename("Speaker 2", "王桂芳")  # the voice of base 2, auto-named while only ep02 was known
    # ep01 arrives later: in episode order its voices come first (base 3 "Speaker 1", base 1 "Speaker 2")
    registry.link("ep01", [(_voice("S1", 3, 120), None), (_voice("S2", 1, 101), None)])
    names = {c.name: c for c in registry.characters()}
    assert set(names) == {"Speaker 1", "Speaker 2", "王桂芳"}
    assert names["王桂芳"].named_by == "person" and names["王桂芳"].heard == ("ep02:S2",)
    assert names["Speaker 1"].heard == ("ep01:S1",) and names["Speaker 2"].heard == ("ep01:S2", "ep02:S1")
    assert registry.link("ep02", [(_voice("S1", 1, 100), None), (_voice("S2", 2, 150), None)])["S2"].name == "王桂芳"
