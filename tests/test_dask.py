"""The season on Dask (a LocalCluster of worker processes) gives the same deliveries as on threads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stub_engines  # the workers preload this file
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.testing.utilities import prefect_test_harness
from prefect_dask import DaskTaskRunner

from flows.season import localize_season
from localize.markets import EngineSpec, get_market, with_engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _texts(out: Path, stem: str) -> dict[str, Any]:
    market = out / "en-US"
    found: dict[str, Any] = {suffix: (market / f"{stem}.{suffix}").read_text(encoding="utf-8")
                             for suffix in ("srt", "vtt", "ass")}
    found["qa"] = json.loads((market / f"{stem}.qa.json").read_text(encoding="utf-8"))["findings"]
    transcript = json.loads((out / "source" / f"{stem}.transcript.json").read_text(encoding="utf-8"))
    found["transcript"] = [(s["start_ms"], s["text"]) for s in transcript["segments"]]
    return found


def test_dask_local_cluster_gives_the_same_deliveries_as_threads(tiny_episode: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from localize.translate import engines

    monkeypatch.setitem(engines.ENGINES, stub_engines.EchoEngine.name, stub_engines.echo_factory)
    markets = [with_engine(get_market("en-US"), EngineSpec("echo-stub", "none"))]
    threads: Any = ThreadPoolTaskRunner(max_workers=2)
    on_threads = localize_season.with_options(task_runner=threads)(tiny_episode.parent, markets, tmp_path / "threads")
    dask: Any = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                               "dashboard_address": None, "preload": [stub_engines.__file__]})
    on_dask = localize_season.with_options(task_runner=dask)(tiny_episode.parent, markets, tmp_path / "dask",
                                                            in_process=False)
    assert not on_threads.failures and not on_dask.failures, on_dask.failures
    stem = tiny_episode.stem
    assert _texts(tmp_path / "dask", stem) == _texts(tmp_path / "threads", stem)
    assert (tmp_path / "dask" / "en-US" / f"{stem}.m4a").is_file()
    assert (tmp_path / "dask" / "en-US" / f"{stem}.mp4").is_file()
    ledger = json.loads((tmp_path / "dask" / ".localize-ledger.json").read_text())
    assert f"en-US/{stem}.srt" in ledger and f"source/{stem}.transcript.json" in ledger  # written by workers
