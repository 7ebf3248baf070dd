"""Modules a team adds to localize without changing it: their own engines, voices, markets.

`LOCALIZE_PLUGINS` names modules (comma-separated, importable where localize runs: the
CLI, a Prefect worker, a Dask worker); each is imported and its `register()` called, which
adds to the registries (e.g. `localize.translate.engines.ENGINES["my-engine"] = factory`).
Loaded before preflight, so a market's config may name a plugin's engine.
"""

from __future__ import annotations

import importlib
import os

from localize.errors import UserError

PLUGINS_ENV = "LOCALIZE_PLUGINS"
_loaded: set[str] = set()


def load_plugins(names: str | None = None) -> list[str]:
    """Import and register each named module once per process; returns the names loaded now."""
    wanted = [n.strip() for n in (os.environ.get(PLUGINS_ENV, "") if names is None else names).split(",")]
    loaded = []
    for name in (n for n in wanted if n and n not in _loaded):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise UserError(f"{PLUGINS_ENV}: cannot import plugin module {name!r} ({exc}); "
                            "give module names importable on this machine, separated by commas") from None
        register = getattr(module, "register", None)
        if not callable(register):
            raise UserError(f"{PLUGINS_ENV}: plugin module {name!r} has no register() function")
        register()
        _loaded.add(name)
        loaded.append(name)
    return loaded
