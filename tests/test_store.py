"""The one resume mechanism: results keyed by the content of their inputs and the code that made them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import localize.store
from localize.markets import get_market
from localize.stages import code_version, get_stage
from localize.store import ResultStore, content_key


def keyed(stage: str, **given: Any) -> dict[str, Any]:
    """The inputs the stage table declares for `stage`, None where not given."""
    return {name: given.get(name) for name in get_stage(stage).inputs}


def test_same_content_same_key_changed_content_new_key(tmp_path: Path) -> None:
    a = tmp_path / "a.wav"
    b = tmp_path / "copy" / "b.wav"
    b.parent.mkdir()
    a.write_bytes(b"RIFF-same-audio")
    b.write_bytes(b"RIFF-same-audio")
    market = get_market("en-US")
    def key(audio: Path, options: Any) -> str:
        return content_key("transcribe", keyed("transcribe", audio=audio, options=options))

    assert key(a, market) == key(b, market)
    b.write_bytes(b"RIFF-other-audio")
    assert key(a, market) != key(b, market)
    assert key(a, market) != key(a, get_market("es-419"))


def test_a_stage_is_redone_when_its_code_changes(monkeypatch, tmp_path: Path) -> None:
    before = content_key("subtitles", keyed("subtitles", episode="ep01"))
    assert code_version("subtitles") != code_version("dub")  # each stage hashes its own modules
    monkeypatch.setattr(localize.store, "code_version", lambda stage: "edited-" + stage)
    assert content_key("subtitles", keyed("subtitles", episode="ep01")) != before


def test_reuse_only_when_inputs_match_and_outputs_are_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "ep01.m4a"
    store = ResultStore(tmp_path / "results")
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        out.write_text(f"dub {len(calls)}")
        return "track"

    assert store.run("dub", keyed("dub", takes=1), work, [out]) == "track"
    assert ResultStore(store.folder).run("dub", keyed("dub", takes=1), work, [out]) == "track"  # a new process
    assert len(calls) == 1
    store.run("dub", keyed("dub", takes=2), work, [out])  # inputs changed
    out.unlink()
    store.run("dub", keyed("dub", takes=2), work, [out])  # output deleted
    out.write_text("edited by hand")
    store.run("dub", keyed("dub", takes=2), work, [out])  # output changed since
    assert len(calls) == 4
    assert store.ran["dub"] == 4 and store.reused["dub"] == 0


def test_a_damaged_record_means_the_work_is_done_again(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.run("translate", keyed("translate", transcript="你好"), lambda: "hello")
    record = next(tmp_path.glob("translate-*.pkl"))
    record.write_bytes(b"not a pickle")
    assert store.run("translate", keyed("translate", transcript="你好"), lambda: "hi") == "hi"


def test_the_same_work_written_to_two_places_is_reused_in_both(tmp_path: Path) -> None:
    """Two markets' previews made from identical inputs (same picture, dub and subtitles) are two records."""
    store = ResultStore(tmp_path / "results")
    outputs = [tmp_path / market / "ep01.mp4" for market in ("es-419", "es-ES")]

    def make(path: Path) -> Path:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"preview")
        return path

    for _ in range(2):
        for out in outputs:
            store.run("preview", keyed("preview", video="ep01"), lambda out=out: make(out), [out])
    assert store.ran["preview"] == 2 and store.reused["preview"] == 2


def test_the_same_work_asked_twice_at_once_runs_once(tmp_path: Path) -> None:
    """Two markets of one episode ask for its dialogue bed together: one makes it, the other reuses it."""
    import threading
    import time

    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "bed"

    stores = [ResultStore(tmp_path), ResultStore(tmp_path)]  # each market's own (scoped) store
    threads = [threading.Thread(target=store.run, args=("dialogue", keyed("dialogue", audio="ep01"), work))
               for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and sum(s.ran["dialogue"] for s in stores) == 1
    assert sum(s.reused["dialogue"] for s in stores) == 1
