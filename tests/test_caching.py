"""Cache keys follow content, not paths or run ids."""

from __future__ import annotations

from pathlib import Path

from flows.caching import content_key
from flows.reuse import reuse_or_run
from localize.markets import get_market


def test_same_content_same_key_changed_content_new_key(tmp_path: Path) -> None:
    a = tmp_path / "a.wav"
    b = tmp_path / "copy" / "b.wav"
    b.parent.mkdir()
    a.write_bytes(b"RIFF-same-audio")
    b.write_bytes(b"RIFF-same-audio")
    market = get_market("en-US")
    assert content_key("transcribe", {"audio": a, "m": market}) == content_key("transcribe", {"audio": b, "m": market})
    b.write_bytes(b"RIFF-other-audio")
    assert content_key("transcribe", {"audio": a, "m": market}) != content_key("transcribe", {"audio": b, "m": market})
    assert content_key("transcribe", {"audio": a, "m": market}) != content_key(
        "transcribe", {"audio": a, "m": get_market("es-419")})


def test_reuse_skips_only_when_inputs_match_and_outputs_exist(tmp_path: Path) -> None:
    out = tmp_path / "ep01.m4a"
    record = tmp_path / "dub.record"
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        out.write_text("dub")
        return "track"

    assert reuse_or_run("dub", {"x": 1}, [out], record, work) == "track"
    assert reuse_or_run("dub", {"x": 1}, [out], record, work) == "track"
    assert len(calls) == 1
    reuse_or_run("dub", {"x": 2}, [out], record, work)  # inputs changed
    out.unlink()
    reuse_or_run("dub", {"x": 2}, [out], record, work)  # output deleted
    assert len(calls) == 3
