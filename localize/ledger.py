"""Never overwrite a delivery file a person has edited (a post-edited .srt, say) without being asked.

The ledger (`OUT/.localize-ledger.json`) records the sha256 of every file localize wrote.
Before a run, a file that exists but is not in the ledger, or whose content changed since,
stops the run with OutputExistsError unless `force` is set.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path

from localize.errors import OutputExistsError
from localize.fsutil import file_lock, sha256_file, write_text_atomic

LEDGER_NAME = ".localize-ledger.json"


class Ledger:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / LEDGER_NAME
        self._lock = threading.Lock()  # markets finish concurrently
        self._hashes: dict[str, str] = self._read()  # none yet (or unreadable): every existing file is foreign

    def _key(self, path: Path) -> str:
        return path.resolve().relative_to(self.out_dir.resolve()).as_posix()

    def check(self, paths: Iterable[Path]) -> None:
        """Raise for the first existing file that localize did not write as it is now."""
        for path in paths:
            if path.is_file() and self._hashes.get(self._key(path)) != sha256_file(path):
                raise OutputExistsError(
                    path, "it was edited, or not written by localize; move it away or pass --force to overwrite")

    def record(self, paths: Iterable[Path]) -> None:
        """Add files as written now; safe from threads and from worker processes (the file is locked,
        re-read and merged, so records another process made in the meantime are kept)."""
        hashes = {self._key(path): sha256_file(path) for path in paths if path.is_file()}
        with self._lock, file_lock(self.path.with_name(self.path.name + ".lock")):
            self._hashes.update(self._read())
            self._hashes.update(hashes)
            write_text_atomic(self.path, json.dumps(self._hashes, indent=1, sort_keys=True))

    def _read(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}

    def __getstate__(self) -> dict[str, object]:
        return {"out_dir": self.out_dir, "path": self.path, "_hashes": dict(self._hashes)}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

