"""Shared fixtures: paths to ../shared/eval (optional), generated media, isolated Prefect/model dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval"

# Tests never reach a network: transformers/hub stay offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LOCALIZE_PREFECT_HOME", str(REPO / ".prefect-test"))


def shared_eval(*parts: str) -> Path:
    """A file under ../shared/eval, or skip the test when the evaluation data is absent."""
    path = SHARED_EVAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"evaluation data not available: {path}")
    return path


@pytest.fixture(scope="session")
def mandarin_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A short Mandarin sentence spoken by espeak-ng (pinyin voice), and its text."""
    from pypinyin import Style, lazy_pinyin

    from localize.dub.espeak import synthesize

    text = "今天天气很好，我们一起去公园吧。"
    pinyin = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
    wav = tmp_path_factory.mktemp("zh") / "zh.wav"
    synthesize(pinyin, "cmn-latn-pinyin", wav, words_per_minute=150)
    return wav, text
