"""Shared fixtures: ../shared/eval (optional), generated media, a project-local Prefect home.

Models are assembled into the user's models directory (as `localize models` does), not per test.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval"

# Tests never reach a network: transformers/hub stay offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LOCALIZE_PREFECT_HOME", str(REPO / ".prefect-test"))
# Fresh task-result storage per test session: a flow's first run really does the model work.
_RESULTS = tempfile.mkdtemp(prefix="localize-prefect-results-")
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = _RESULTS
from flows.settings import configure_prefect  # noqa: E402  (before any test module imports Prefect)

configure_prefect()
atexit.register(shutil.rmtree, _RESULTS, ignore_errors=True)


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


@pytest.fixture(scope="session")
def sample_season(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The built-in three-episode sample season (`localize sample`), rendered once; tests only read it."""
    from localize.sample import generate_season

    return generate_season(tmp_path_factory.mktemp("sample-season") / "season")


@pytest.fixture(scope="session")
def tiny_episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 9:16 episode of a few seconds: two Mandarin lines (two voices) over a colour picture."""
    from pypinyin import Style, lazy_pinyin

    from localize import media
    from localize.dub.espeak import synthesize

    folder = tmp_path_factory.mktemp("season")
    lines = [("林晓，你终于回来了。", "cmn-latn-pinyin+f3", 60), ("我们一起去公园吧。", "cmn-latn-pinyin+m3", 40)]
    parts = []
    for i, (text, voice, pitch) in enumerate(lines):
        pinyin = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
        parts.append(synthesize(pinyin, voice, folder / f"line{i}.wav", words_per_minute=150, pitch=pitch))
    speech = folder / "speech.wav"
    media.run_ffmpeg(["-i", str(parts[0]), "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono:d=0.8",
                      "-i", str(parts[1]), "-filter_complex", "[0:a][1:a][2:a]concat=n=3:v=0:a=1",
                      str(speech)])
    video = folder / "ep01.mp4"
    media.run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x203040:s=270x480:r=25", "-i", str(speech),
                      "-af", "apad=pad_dur=0.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                      "yuv420p", "-c:a", "aac", "-ar", "48000", "-ac", "2", "-shortest", str(video)])
    for p in [*parts, speech]:
        p.unlink()
    return video


@pytest.fixture
def stand_ins() -> Iterator[Callable[[dict[str, Callable[..., Any]]], None]]:
    """`stand_ins({"transcribe": fake})`: the stage table runs `fake` for that stage until the test ends."""
    from localize.stages import replaced

    with ExitStack() as stack:
        yield lambda mapping: stack.enter_context(replaced(mapping))
