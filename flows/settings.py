"""Prefect settings this project needs, applied before Prefect is imported.

- a project-local PREFECT_HOME (`./.prefect`, or $LOCALIZE_PREFECT_HOME), so runs need no
  server and caches stay beside the work;
- analytics off (otherwise a 'database is locked' traceback each run, DESIGN.md section 5).

Prefect's temporary API server for a run is started by flows.prefect_server.TemporaryServer.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect(home: Path | None = None) -> Path:
    chosen = home or Path(os.environ.get("LOCALIZE_PREFECT_HOME", Path.cwd() / ".prefect"))
    chosen = chosen.resolve()
    chosen.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(chosen))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    os.environ.setdefault("PREFECT_LOCAL_STORAGE_PATH", str(chosen / "storage"))
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return chosen
