"""Cache keys by content, so an unchanged season does no model work on the next run.

Prefect's default key includes the flow run id; ours hashes what the task
really depends on: file contents (not paths), dataclass fields, plain values.
"""

from __future__ import annotations

import dataclasses
import hashlib
from enum import Enum
from pathlib import Path
from typing import Any

from localize.fsutil import sha256_file

CACHE_VERSION = "3"  # bump when a stage's output changes for the same inputs


def _canonical(value: Any) -> Any:
    if isinstance(value, Path):
        return {"file": sha256_file(value)} if value.is_file() else {"path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {type(value).__name__: fields}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def content_key(task_name: str, parameters: dict[str, Any]) -> str:
    digest = hashlib.sha256(f"{CACHE_VERSION}:{task_name}:".encode())
    digest.update(repr(_canonical(parameters)).encode())
    return f"{task_name}-{digest.hexdigest()[:32]}"


def cache_key_fn(context: Any, parameters: dict[str, Any]) -> str:
    """Prefect `cache_key_fn`: task name + content hash of its parameters."""
    return content_key(context.task.name, parameters)
