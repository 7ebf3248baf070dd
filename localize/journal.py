"""What a season run did, episode by market: the record `localize status` reads.

OUT/.work/journal.jsonl gets one JSON line when a run starts (its plan) and one per episode
and market when it finishes or fails. Lines are appended whole, so a killed run leaves a
readable journal: what it finished is there, the rest shows as pending.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

STATES = ("done", "cached", "approved", "failed", "pending")  # approved: kept as a reviewer approved it


@dataclass(frozen=True)
class Entry:
    """One episode x market: done (work ran), cached (every stage reused), failed (with the error), pending."""

    episode: str
    market: str
    state: str
    seconds: float = 0.0
    error: str = ""
    fault: str = ""  # "user", "tool" or "bug" for a failure (localize.errors.whose_fault)
    stages: dict[str, float] | None = None  # seconds per stage


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _append(self, record: dict[str, object]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)

    def start(self, episodes: Sequence[str], markets: Sequence[str]) -> None:
        self._append({"run": time.strftime("%Y-%m-%dT%H:%M:%S"), "episodes": list(episodes),
                      "markets": list(markets)})

    def record(self, entry: Entry) -> None:
        self._append(asdict(entry))

    def finish(self, seconds: float, stage_seconds: dict[str, float]) -> None:
        self._append({"finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(seconds, 1),
                      "stage_seconds": {k: round(v, 1) for k, v in stage_seconds.items()}})


@dataclass(frozen=True)
class RunStatus:
    started: str
    finished: str | None
    seconds: float | None
    entries: tuple[Entry, ...]  # every planned episode x market, in plan order
    stage_seconds: dict[str, float]


def read_status(path: Path) -> RunStatus | None:
    """The last run's plan and what became of each episode x market (None if no run was journalled)."""
    if not path.is_file():
        return None
    plan: dict[str, Any] | None = None
    found: dict[tuple[str, str], Entry] = {}
    finished: dict[str, Any] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        if "run" in record:
            plan, found, finished = record, {}, None
        elif "finished" in record:
            finished = record
        elif {"episode", "market", "state"} <= set(record):
            entry = Entry(**{k: record[k] for k in Entry.__dataclass_fields__ if k in record})
            found[(entry.episode, entry.market)] = entry
    if plan is None:
        return None
    episodes = [str(e) for e in plan.get("episodes", [])]
    markets = [str(m) for m in plan.get("markets", [])]
    entries = tuple(found.get((e, m), Entry(e, m, "pending")) for e in episodes for m in markets)
    return RunStatus(str(plan["run"]), str(finished["finished"]) if finished else None,
                     float(finished["seconds"]) if finished else None,
                     entries, dict(finished.get("stage_seconds", {})) if finished else {})
