"""Write outputs atomically: to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

PARTIAL = "partial-"  # in every temporary name: a run killed before its rename leaves only such files
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: Path | str, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to `target`; rename it over `target` only on success.

    The temporary name keeps the target's extension (ffmpeg and pydub pick the
    format from it). On any exception the temporary file is removed, so a
    failed stage never leaves a half-written output behind.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.{PARTIAL}", suffix=suffix or target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; deliveries get normal permissions
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_partials(folder: Path) -> int:
    """Delete temporaries a killed run left under `folder` (never a finished file); how many."""
    removed = 0
    for path in folder.rglob(f".*.{PARTIAL}*") if folder.is_dir() else ():
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def write_text_atomic(target: Path | str, text: str) -> Path:
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def write_bytes_atomic(target: Path | str, data: bytes) -> Path:
    target = Path(target)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}  # (path, inode, size, mtime, ctime) -> sha256
_DIGESTS_LOCK = threading.Lock()


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    """The file's SHA-256; remembered in this process while the file's inode, size, mtime and ctime stay
    (any write changes the ctime, which no tool can set back), so a season run hashes each video once."""
    info = os.stat(path)
    key = (str(Path(path).resolve()), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    with _DIGESTS_LOCK:
        known = _DIGESTS.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    with _DIGESTS_LOCK:
        _DIGESTS[key] = digest.hexdigest()
    return digest.hexdigest()


@contextlib.contextmanager
def file_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (created if missing): one writer at a time across
    threads' callers and worker processes (the ledger, the character registry)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_digests(path: Path) -> None:
    """Remember the digests another process kept in `path` (save_digests): a warm run hashes nothing again."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])): str(r[5]) for r in rows}
    except (OSError, ValueError, TypeError, IndexError):
        return
    with _DIGESTS_LOCK:
        _DIGESTS.update(known)


def save_digests(path: Path, keep: int = 20_000) -> None:
    with _DIGESTS_LOCK:
        rows = [[*key, digest] for key, digest in list(_DIGESTS.items())[-keep:]]
    write_text_atomic(path, json.dumps(rows))
