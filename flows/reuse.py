"""Skip file-producing steps whose inputs are unchanged and whose outputs are still there.

Prefect's cache covers the model steps (their results are values). Steps that write
deliveries also need their files to exist, so they keep a small record beside the work:
the content key of their inputs and the value they returned.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from flows.caching import content_key
from localize.fsutil import write_bytes_atomic

T = TypeVar("T")
log = logging.getLogger("localize")


def reuse_or_run(name: str, inputs: dict[str, Any], outputs: Sequence[Path], record: Path,
                 run: Callable[[], T]) -> T:
    key = content_key(name, inputs)
    if record.is_file() and all(p.is_file() for p in outputs):
        try:
            saved = pickle.loads(record.read_bytes())
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            saved = None
        if isinstance(saved, dict) and saved.get("key") == key:
            log.info("%s: unchanged, reusing %s", name, ", ".join(p.name for p in outputs))
            value: T = saved["value"]
            return value
    value = run()
    write_bytes_atomic(record, pickle.dumps({"key": key, "value": value}))
    return value
