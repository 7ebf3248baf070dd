"""Errors say whose fault they are, and every error class survives pickling (workers raise them)."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import localize.market_check  # registers the preflight's MarketIncompleteError
import localize.subtitle.errors  # registers the subtitle stage's subclasses too
import localize.translate.errors  # and the HTTP translation engines' errors
from localize import errors, media
from localize.dub import espeak
from localize.errors import (
    LocalizeError,
    MediaError,
    ToolError,
    UserError,
    is_retryable,
    whose_fault,
)

# Representative constructor arguments for every class; a new subclass needs an entry here.
EXAMPLES: dict[str, tuple[Any, ...]] = {
    "LocalizeError": ("something a person should read",),
    "UserError": ("your input is wrong",),
    "ToolError": ("ffmpeg", ["/usr/bin/ffmpeg", "-i", "ep01.mp4", "x" * 500], 1,
                  "line 1\nep01.mp4: Invalid data found when processing input\n", "ep01.mp4"),
    "MediaError": (Path("season/ep02.mp4"), "file is empty (0 bytes)"),
    "UnknownNameError": ("TTS engine", "festival", ["espeak", "piper"]),
    "UnknownMarketError": ("xx", ["br", "mx"]),
    "InputFormatError": ("glossary.tsv", 3, "2 cells", "term<TAB>translation"),
    "ModelError": ("ASR model 'tiny' is neither bundled nor a directory",),
    "MissingDependencyError": ("espeak-ng", "install it with: sudo apt-get install espeak-ng"),
    "OutputExistsError": ("out/ep01.mp4",),
    "SubtitleFileError": ("ep01.srt", "not a subtitle format", 7),
    "InvalidSettingError": ("fps", 0.0, "a frame rate above 0"),
    "ServiceError": ("http://127.0.0.1:8000/v1/chat/completions", 500, "CUDA out of memory", 4),
    "ServiceRefusedError": ("http://127.0.0.1:8000/v1/chat/completions", 401, "invalid key", "check the key"),
    "UnsetVariableError": ("LOCALIZE_API_KEY", "the API key for http://h/v1", "api_key_env"),
    "MarketIncompleteError": ([localize.market_check.Missing("th-TH", "font", "Noto Sans Thai is not installed",
                                                             "sudo apt-get install fonts-noto-core")],),
}


def _all_subclasses(cls: type[LocalizeError]) -> list[type[LocalizeError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _all_subclasses(sub)
    return found


CLASSES = [c for c in _all_subclasses(LocalizeError) if c.__module__.startswith("localize.")]


def _example(cls: type[LocalizeError]) -> LocalizeError:
    assert cls.__name__ in EXAMPLES, f"add representative arguments for {cls.__name__} to EXAMPLES"
    return cls(*EXAMPLES[cls.__name__])


def test_every_error_class_is_covered() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"LocalizeError", "UserError", "ToolError", "MediaError", "InvalidSettingError"} <= names
    assert names == set(EXAMPLES)
    assert localize.subtitle.errors.InvalidSettingError in CLASSES


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_survives_pickling(cls: type[LocalizeError]) -> None:
    exc = _example(cls)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is cls
    assert str(back) == str(exc)
    assert back.args == exc.args
    assert vars(back) == vars(exc)


def test_tool_error_keeps_a_short_command_and_the_stderr_tail() -> None:
    exc = _example(ToolError)
    assert isinstance(exc, ToolError)
    assert exc.command[:3] == ["ffmpeg", "-i", "ep01.mp4"]
    assert len(exc.command[3]) < 200
    assert "Invalid data" in exc.stderr and "Invalid data" in str(exc)
    assert "ep01.mp4" in str(exc) and "exit 1" in str(exc)
    long = ToolError("espeak-ng", ["espeak-ng"], 2, "\n".join(f"line {i}" for i in range(1000)))
    assert long.stderr.endswith("line 999") and "line 0\n" not in long.stderr


def test_whose_fault_and_retry() -> None:
    user, tool, bug = _example(MediaError), _example(ToolError), ValueError("a bug")
    assert (whose_fault(user), whose_fault(tool), whose_fault(bug)) == ("user", "tool", "bug")
    assert (is_retryable(user), is_retryable(tool), is_retryable(bug)) == (False, True, False)
    assert whose_fault(LocalizeError("a message for a person")) == "user"
    assert not is_retryable(LocalizeError("a message for a person"))
    for cls in CLASSES:
        if not issubclass(cls, ToolError) and cls is not LocalizeError:
            assert issubclass(cls, UserError), cls


def test_real_ffmpeg_failure_is_a_tool_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.mp4"
    with pytest.raises(ToolError) as caught:
        media.run_ffmpeg(["-i", str(missing), str(tmp_path / "out.wav")], what=missing)
    exc = caught.value
    assert exc.tool == "ffmpeg" and exc.command[0] == "ffmpeg" and exc.returncode != 0
    assert "No such file or directory" in exc.stderr
    assert exc.path == missing and "missing.mp4" in str(exc)
    assert is_retryable(exc) and whose_fault(exc) == "tool"


def test_frame_decode_failure_is_a_tool_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    with pytest.raises(ToolError) as caught:
        list(media.video_frames(bad, 64, 64, gray=True))
    assert caught.value.tool == "ffmpeg" and caught.value.stderr


def test_probe_of_a_text_file_is_the_users_fault(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video\n")
    with pytest.raises(MediaError) as caught:
        media.probe(bad)
    assert isinstance(caught.value, UserError) and whose_fault(caught.value) == "user"
    assert not is_retryable(caught.value)


def test_espeak_failure_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError) as caught:
        espeak.synthesize("你好", "nonexistent-voice", tmp_path / "x.wav")
    assert caught.value.tool == "espeak-ng" and "voice does not exist" in caught.value.stderr
    assert not (tmp_path / "x.wav").exists()


def _raise_tool_error(stderr: str) -> None:
    raise errors.ToolError("ffmpeg", ["ffmpeg", "-i", "ep01.mp4"], 183, stderr, path="ep01.mp4")


def test_tool_error_raised_in_a_worker_arrives_whole() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_tool_error, "ep01.mp4: moov atom not found")
        with pytest.raises(ToolError) as caught:
            future.result(timeout=60)
    exc = caught.value
    assert exc.stderr == "ep01.mp4: moov atom not found" and exc.returncode == 183
    assert exc.path == Path("ep01.mp4") and "moov atom not found" in str(exc)
