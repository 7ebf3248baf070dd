"""A re-run with nothing to do answers in seconds: what went into the last finished run, remembered.

After a run in which every delivery was made, `remember` writes `OUT/.work/last-run.json`: a digest of
everything a delivery depends on (the code of the project and the versions of the libraries that
compute, the settings from localize.toml and the flags, the markets, the episodes and their scripts,
the glossaries, the translation memory, the characters and the reviewers' decisions) and what came of
it. `unchanged` computes the same digest before the next run and, when it matches and every delivery
is still there as localize wrote it, returns that outcome: the run is not started at all (no Prefect,
no models, no stage keys). Any difference, a missing or edited file, or `--force` runs the season as
usual, where the result store still skips whatever did not change.

Files are hashed once per version of them: their digests are kept with their inode, size and times
(`OUT/.work/digests.json`), so a warm check reads no video again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from localize.asr.script import find_script
from localize.code_graph import PACKAGES, ROOT
from localize.decisions import FILE as DECISIONS
from localize.fsutil import load_digests, save_digests, write_text_atomic
from localize.paths import WORK, SeasonPaths
from localize.run_request import PreparedRun
from localize.speakers.registry import REGISTRY_NAME
from localize.store import content_digest
from localize.translate.glossary import glossary_files

RECORD = "last-run.json"
DIGESTS = "digests.json"
LIBRARIES = ("faster-whisper", "ctranslate2", "transformers", "torch", "onnxruntime", "rapidocr-onnxruntime",
             "piper-tts", "pysubs2", "numpy", "opencv-python-headless")


@dataclass(frozen=True)
class LastRun:
    digest: str
    finished: str
    deliveries: int
    errors: int
    needs_review: tuple[str, ...]  # "ep01 [en-US]"


def _code() -> str:
    files = sorted(f for package in PACKAGES for f in (ROOT / package).rglob("*.py"))
    return content_digest([(f.relative_to(ROOT).as_posix(), f) for f in files])


def _libraries() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = ""
    return found


def run_digest(run: PreparedRun) -> str:
    out = run.request.out
    season = run.request.season
    return content_digest({
        "code": _code(), "libraries": _libraries(), "settings": replace(run.settings, memory=None),
        "markets": list(run.markets), "episodes": [(video, find_script(video)) for video in run.episodes],
        "glossaries": [glossary_files(m.code, run.settings.glossary_dir, season) for m in run.markets],
        "memory": (str(run.settings.memory), _memory(run.settings.memory)),
        "characters": out / REGISTRY_NAME, "decisions": out / DECISIONS,
    })


def _memory(path: Path | None) -> str | None:
    """The translation memory by its entries, not its bytes: SQLite rewrites the file when the last
    connection closes (a WAL checkpoint), which may happen after the run, when a thread ends."""
    if path is None or not path.is_file():
        return None
    from localize.translate.memory import TranslationMemory

    with TranslationMemory(path) as memory:
        return memory.fingerprint()


def _delivered(run: PreparedRun) -> bool:
    """Every file the run delivers is there (that none was edited since, preflight has checked: the ledger)."""
    planned = SeasonPaths(run.request.out).planned([v.stem for v in run.episodes], [m.code for m in run.markets],
                                                   run.settings.preview)
    return all(path.is_file() for path in planned)


def unchanged(run: PreparedRun) -> LastRun | None:
    """The last run's outcome when nothing it depends on changed since, else None."""
    work = run.request.out / WORK
    record = work / RECORD
    if run.request.force or not record.is_file():
        return None
    load_digests(work / DIGESTS)
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        last = LastRun(str(data["digest"]), str(data["finished"]), int(data["deliveries"]), int(data["errors"]),
                       tuple(str(x) for x in data["needs_review"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if last.digest != run_digest(run) or not _delivered(run):
        return None
    return last


def remember(run: PreparedRun, deliveries: int, errors: int, needs_review: list[str]) -> None:
    """Keep what this finished run depended on and what came of it (call only when nothing failed)."""
    work = run.request.out / WORK
    last = LastRun(run_digest(run), time.strftime("%Y-%m-%dT%H:%M:%S"), deliveries, errors, tuple(needs_review))
    body: dict[str, Any] = asdict(last)
    body["needs_review"] = list(last.needs_review)
    write_text_atomic(work / RECORD, json.dumps(body, ensure_ascii=False, indent=1) + "\n")
    save_digests(work / DIGESTS)


def forget(run: PreparedRun) -> None:
    """A run that did not finish every delivery: the next one must run."""
    (run.request.out / WORK / RECORD).unlink(missing_ok=True)
