"""`localize status OUT`: per episode x market, what the last run did, read from its journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from localize.cli import main
from localize.journal import Entry, Journal, read_status
from localize.paths import SeasonPaths


def _journal(out: Path) -> Journal:
    return Journal(SeasonPaths(out).journal)


def test_a_stopped_run_shows_done_failed_and_pending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = _journal(tmp_path)
    journal.start(["ep01", "ep02"], ["en-US", "es-419"])
    journal.record(Entry("ep01", "en-US", "done", 12.5, stages={"translate": 10.0}))
    journal.record(Entry("ep01", "es-419", "failed", error="ffmpeg failed on ep01.mp4 (exit 1)", fault="tool"))
    with open(SeasonPaths(tmp_path).journal, "a", encoding="utf-8") as handle:
        handle.write('{"episode": "ep02", "mar')  # the line a kill cut in half
    assert main(["status", str(tmp_path)]) == 1
    shown = capsys.readouterr().out
    assert "did not finish" in shown
    assert "ep01 [es-419] failed (tool): ffmpeg failed" in shown
    assert "1 done, 0 cached, 1 failed, 2 pending" in shown


def test_the_latest_run_counts_and_a_finished_run_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    journal = _journal(tmp_path)
    journal.start(["ep01"], ["en-US"])
    journal.record(Entry("ep01", "en-US", "failed", error="boom", fault="bug"))
    journal.start(["ep01"], ["en-US"])  # run again: the failure is history
    journal.record(Entry("ep01", "en-US", "cached"))
    journal.finish(3.2, {"translate": 0.1})
    status = read_status(SeasonPaths(tmp_path).journal)
    assert status is not None and [e.state for e in status.entries] == ["cached"]
    assert main(["status", str(tmp_path)]) == 0
    assert "finished" in capsys.readouterr().out


def test_no_run_recorded_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", str(tmp_path)]) == 2
    assert "no season run recorded" in capsys.readouterr().err


def test_runner_choice() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.season import season_flow
    from localize.errors import UnknownNameError

    threads, in_process = season_flow("threads", 3)
    assert in_process and isinstance(threads.task_runner, ThreadPoolTaskRunner)
    assert threads.task_runner._max_workers == 3
    dask, in_process = season_flow("dask:tcp://127.0.0.1:8786", None)
    assert not in_process and type(dask.task_runner).__name__ == "DaskTaskRunner"
    with pytest.raises(UnknownNameError, match="runner"):
        season_flow("ray")
