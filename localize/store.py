"""Finished stage results, keyed by the content of everything they depend on: the one resume mechanism.

A stage's key hashes its inputs (file contents, not paths; dataclass fields; plain values),
the stage's name and the source code of the modules it runs (derived from its function's imports,
see `localize.stages`), so a code change that can alter a stage's output redoes it without anyone
bumping a version; the inputs a key holds are declared in the same table. The result is
pickled into OUT/.work/results/<stage>-<key>.pkl, written atomically after the stage's own
output files (also atomic), with their sha256: a result is reused only when every file it
made is still there, unchanged. A killed run leaves either a complete record or none.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import pickle
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from localize.fsutil import sha256_file, write_bytes_atomic
from localize.stages import code_version, get_stage

T = TypeVar("T")
_RECORD_LOCKS: dict[str, threading.Lock] = {}  # record path -> lock, shared by every store of this process
_RECORD_LOCKS_GUARD = threading.Lock()
log = logging.getLogger("localize")

def _canonical(value: Any) -> Any:
    if isinstance(value, Path):
        return {"file": sha256_file(value)} if value.is_file() else {"path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
        return {type(value).__name__: fields}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def content_digest(value: Any) -> str:
    """SHA-256 of a value as stage keys see it: files by their content, dataclasses by their fields."""
    return hashlib.sha256(repr(_canonical(value)).encode()).hexdigest()


def content_key(stage: str, inputs: dict[str, Any]) -> str:
    """The key of a stage's result: its name, its code (localize.stages.code_version) and its inputs."""
    declared = get_stage(stage).inputs
    if set(inputs) != set(declared):
        raise ValueError(f"stage {stage!r} keyed on {sorted(inputs)}; localize.stages declares {sorted(declared)}")
    digest = hashlib.sha256(f"{stage}:{code_version(stage)}:".encode())
    digest.update(repr(_canonical(inputs)).encode())
    return digest.hexdigest()[:32]


class ResultStore:
    """`store.run(stage, inputs, work, outputs)`: the saved result when nothing changed, else `work()`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ran: Counter[str] = Counter()  # stage -> times its work really ran in this process
        self.reused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Sent to a worker process (Dask): the folder and counters; each process has its own lock."""
        return {"folder": self.folder, "ran": self.ran, "reused": self.reused}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.folder, self.ran, self.reused = state["folder"], state["ran"], state["reused"]
        self._lock = threading.Lock()

    def scoped(self) -> ResultStore:
        """The same results with counters of its own (one market's work), merged back by `merge`."""
        return ResultStore(self.folder)

    def merge(self, other: ResultStore) -> None:
        with self._lock:
            self.ran.update(other.ran)
            self.reused.update(other.reused)

    def record_path(self, stage: str, key: str) -> Path:
        return self.folder / f"{stage}-{key}.pkl"

    def run(self, stage: str, inputs: dict[str, Any], work: Callable[[], T], outputs: Sequence[Path] = ()) -> T:
        key = content_key(stage, inputs)
        if outputs:  # the same work writing elsewhere (two markets' identical previews) is another record
            where = "|".join(f"{path.parent.name}/{path.name}" for path in outputs)
            key = f"{key}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"
        record = self.record_path(stage, key)
        with self._holding(record):  # the same work asked twice at once (two markets, one episode) runs once
            return self._run(stage, record, work, outputs)

    def _run(self, stage: str, record: Path, work: Callable[[], T], outputs: Sequence[Path]) -> T:
        saved = self._load(record, outputs)
        if saved is not None:
            with self._lock:
                self.reused[stage] += 1
            log.info("%s: unchanged since the last run, reused", stage)
            value: T = saved
            return value
        value = work()
        hashes = {str(p): sha256_file(p) for p in outputs}
        write_bytes_atomic(record, pickle.dumps({"value": value, "outputs": hashes}))
        with self._lock:
            self.ran[stage] += 1
        return value

    @contextmanager
    def _holding(self, record: Path) -> Iterator[None]:
        """One lock per record, for the threads of this process (processes apart may still both work)."""
        with _RECORD_LOCKS_GUARD:
            lock = _RECORD_LOCKS.setdefault(str(record), threading.Lock())
        with lock:
            yield

    @staticmethod
    def _load(record: Path, outputs: Sequence[Path]) -> Any:
        if not record.is_file():
            return None
        try:
            saved = pickle.loads(record.read_bytes())
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None  # written by other code: do the work again
        if not isinstance(saved, dict) or "value" not in saved:
            return None
        for path in outputs:
            if not path.is_file() or saved.get("outputs", {}).get(str(path)) != sha256_file(path):
                return None  # a file it made is gone or changed since
        return saved["value"]
