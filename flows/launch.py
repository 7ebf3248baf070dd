"""A season run as a user asks for it: the one place `localize run` and a Prefect deployment
turn a request (folders, market codes, options) into a call of the season flow.

`launch_season` is the flow that `prefect.yaml` deploys: its parameters are plain strings,
lists and flags, so a team fills them in the Prefect UI; it runs the season flow as a subflow
on the runner asked for (threads, or Dask) and fails when any delivery failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prefect import flow

from flows.prefect_server import TemporaryServer
from flows.season import SeasonResult, season_flow
from localize import cores, warmup
from localize.errors import UserError
from localize.run_request import PreparedRun, RunRequest, prepare
from localize.season_run import default_workers

__all__ = ["PreparedRun", "RunRequest", "execute", "launch_season", "prepare"]


def execute(run: PreparedRun, server: TemporaryServer | None = None) -> SeasonResult:
    """The season flow on the runner asked for. In this process (threads), its pieces share the cores,
    and the models load in the background while the flow starts (localize.warmup). `server`: Prefect's
    temporary server, started before Prefect was imported (flows.prefect_server), waited for here."""
    request = run.request
    flow_on_runner, in_process = season_flow(request.runner, request.workers)
    pieces = min(request.workers or default_workers(), max(1, len(run.episodes) * len(run.markets)))
    with cores.shared_by(pieces if in_process else 1):  # as the season run shares them (models load for it)
        if in_process:
            warmup.start(run.settings.asr, run.settings.picture, run.markets)
        if server is not None:
            server.ready()
        result: SeasonResult = flow_on_runner(
            request.season, run.markets, request.out, run.settings, episodes=run.episodes,
            show_progress=request.show_progress and in_process, force=request.force, in_process=in_process)
    return result


@flow(name="localize-launch", validate_parameters=True)
def launch_season(season: str, out: str, markets: Sequence[str] = ("en-US", "es-419", "pt-BR"),
                  config: str | None = None, glossaries: str | None = None, dialect: str | None = None,
                  device: str | None = None, no_ocr: bool = False, preview: bool = True, force: bool = False,
                  runner: str = "threads", workers: int | None = None, platform: str | None = None,
                  band: str | None = None) -> dict[str, Any]:
    """Localize every episode in `season` (a folder on the worker's machine) into `out`, per market.

    The deployment's entry point (prefect.yaml): paths are as the worker sees them. Fails when any
    delivery failed (the season summary and `localize status OUT` say which and why).
    """
    request = RunRequest(season=Path(season), markets=",".join(markets), out=Path(out),
                         config=Path(config) if config else None, glossaries=Path(glossaries) if glossaries else None,
                         dialect=dialect, device=device, no_ocr=no_ocr, preview=preview, force=force,
                         runner=runner, workers=workers, platform=platform, band=band)
    result = execute(prepare(request))
    failed = [f"{f.episode} [{f.market}] ({f.fault}): {f.error}" for f in result.failures]
    if failed:
        raise UserError(f"{len(failed)} deliveries failed: " + "; ".join(failed))
    return {"out": str(result.out_dir), "deliveries": len(result.results), "qa_errors": result.errors,
            "seconds": round(result.seconds, 1)}
