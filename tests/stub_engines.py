"""Stub translation engines for flow tests.

Also a Dask preload module: `LocalCluster(preload=[this file])` registers them in every worker
process (`dask_setup`), so a season on Dask uses the same stubs as one on threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from localize.markets import Market
from localize.translate import engines


class EchoEngine:
    """Deterministic output that passes the checks: "Line N (K characters)"."""

    name = "echo-stub"

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        return [f"Line {i + 1} ({len(s)} characters)" for i, s in enumerate(sources)]


def echo_factory(spec: Any) -> EchoEngine:
    return EchoEngine()


def register() -> None:
    """The plugin hook (LOCALIZE_PLUGINS=stub_engines): a Prefect worker's flow process registers the stub."""
    engines.ENGINES.setdefault(EchoEngine.name, echo_factory)


def dask_setup(worker: Any) -> None:
    """Dask calls this in each worker process at start."""
    register()
