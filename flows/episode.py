"""Prefect tasks over the pipeline's two stage functions (localize.pipeline), and nothing more.

A task that fails with a tool's error (ffmpeg, espeak-ng crashed) is retried; finished stages
inside it are reused from the ResultStore, so a retry redoes only what failed. A user's mistake
and a bug are not retried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from localize.errors import is_retryable
from localize.ledger import Ledger
from localize.markets import Market
from localize.pipeline import (
    EpisodeSource,
    MarketResult,
    RunSettings,
    Step,
    episode_source,
    market_delivery,
)
from localize.store import ResultStore


def _retry(_task: Any, _run: Any, state: Any) -> bool:
    """Retry a tool's failure (ffmpeg, espeak-ng crashed); never a user's mistake or a bug."""
    try:
        state.result()
    except Exception as exc:
        return is_retryable(exc)
    return False


@task(name="source", retries=2, retry_delay_seconds=1, retry_condition_fn=_retry, cache_policy=NO_CACHE)
def source_task(store: ResultStore, video: Path, settings: RunSettings, ledger: Ledger | None,
                on_step: Step | None = None, replayed: dict[str, Any] | None = None) -> EpisodeSource:
    """`replayed`: the earlier episodes' sources this one replays (failed ones arrive as states: left out)."""
    given = {name: s for name, s in (replayed or {}).items() if isinstance(s, EpisodeSource)}
    return episode_source(video, settings, store, ledger, on_step, given)


@task(name="market", retries=2, retry_delay_seconds=1, retry_condition_fn=_retry, cache_policy=NO_CACHE)
def market_task(store: ResultStore, source: EpisodeSource, market: Market, settings: RunSettings,
                ledger: Ledger | None, on_step: Step | None = None) -> MarketResult:
    return market_delivery(source, market, settings, store, ledger, on_step)
