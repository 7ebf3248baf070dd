"""The command line as a user meets it: help, exit codes, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from localize.cli import main

GOOD_SRT = """1
00:00:01,000 --> 00:00:03,000
Lin Xiao, you finally came back.

2
00:00:03,500 --> 00:00:05,500
Let's go to the park together.
"""

# 80 characters in 0.5 s: far too fast, and longer than two 42-character lines.
BAD_SRT = """1
00:00:01,000 --> 00:00:01,500
This line is much too long to read in half a second, and it does not fit at all.
"""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "localize.cli", *args], capture_output=True, text=True)


def test_help_teaches_the_commands() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for word in ("run", "sample", "transcribe", "translate", "qa", "markets", "OUT/<market>/<episode>"):
        assert word in done.stdout


def test_qa_exit_status_clean_errors_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.srt"
    good.write_text(GOOD_SRT)
    bad = tmp_path / "bad.srt"
    bad.write_text(BAD_SRT)
    broken = tmp_path / "broken.srt"
    broken.write_text("1\nnot a timing line\nhello\n")

    assert main(["qa", str(good), "--market", "en-US"]) == 0
    capsys.readouterr()
    assert main(["qa", str(bad), "--market", "en-US", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    assert {"cps-too-high", "line-too-long"} <= {f["code"] for f in report["findings"]}
    assert main(["qa", str(broken), "--market", "en-US"]) == 2
    assert "broken.srt" in capsys.readouterr().err


def test_unknown_market_lists_the_accepted_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    srt = tmp_path / "a.srt"
    srt.write_text(GOOD_SRT)
    assert main(["qa", str(srt), "--market", "xx-YY"]) == 2
    err = capsys.readouterr().err
    assert "unknown market 'xx-YY'" in err and "en-US" in err and "es-419" in err


def test_run_on_a_missing_season_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope"), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "nope" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_engines_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engines"]) == 0
    out = capsys.readouterr().out
    assert "causal-lm" in out and "seq2seq" in out and "localize.toml" in out


def test_markets_lists_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["markets"]) == 0
    out = capsys.readouterr().out
    assert "en-US" in out and "42 chars/line" in out and "-16 LUFS" in out


@pytest.mark.slow
def test_transcribe_json_has_segments_with_ms_and_words(mandarin_clip: tuple[Path, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    wav, _text = mandarin_clip
    assert main(["transcribe", str(wav), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    seg = doc["segments"][0]
    assert isinstance(seg["start_ms"], int) and seg["end_ms"] > seg["start_ms"]
    assert seg["words"] and seg["text"]


def test_the_exit_status_says_whose_fault_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """2: the user's (nothing to retry); 4: a tool failed (run again); a bug keeps its traceback."""
    from localize.errors import ToolError

    broken = tmp_path / "ep01.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    assert main(["ocr", str(broken)]) == 2  # a file ffmpeg cannot read: the user's
    assert "not a media file" in capsys.readouterr().err

    def crashes(path: object) -> None:
        raise ToolError("ffprobe", ["ffprobe", str(path)], -11, "Segmentation fault", path=str(path))

    monkeypatch.setattr("localize.media.probe", crashes)
    assert main(["ocr", str(broken)]) == 4
    err = capsys.readouterr().err
    assert "ffprobe failed" in err and "Segmentation fault" in err and "run the same command again" in err

    def bug(path: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("localize.media.probe", bug)
    with pytest.raises(ZeroDivisionError):
        main(["ocr", str(broken)])
