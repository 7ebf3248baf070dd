"""Translation memory: an embedded SQLite file of past translations, shared by episodes and seasons.

Each entry pairs a Chinese source line with a target for one market, and says where the target
came from: "machine" (an engine's output that passed the checks) or "approved" (a translator's
post-edit). Lookups compare a normalized source (NFKC, case-folded, without spaces, punctuation
or symbols), so full-width and half-width punctuation or stray spaces do not matter; the
original source is stored as written.

- `exact(source, market)`: the approved entry if there is one (the newest approval wins), else
  the newest machine entry (optionally of one engine only).
- `fuzzy(source, market)`: similar entries, scored 0-100 by rapidfuzz's character-level
  `fuzz.ratio` on the normalized text. Each `TranslationMemory` keeps the normalized sources
  of a market in memory (read once, then only the rows added since, on every lookup) and
  lets rapidfuzz score them all in C with a score cutoff (it skips by length bound and
  bit-parallel LCS); only the few best rows are read back from SQLite. Measured in
  bench/memory_bench.py: ~10 ms a lookup at 100k entries, where a character-bigram FTS5
  prefilter ranked by bm25 took ~40 ms (Chinese dialogue shares common bigrams, so the
  posting lists are long).
- Machine output never overwrites an approved entry: machine and approved entries are separate
  rows, and the approved one always wins.

Safe for several threads and processes at once: WAL journal, a busy timeout, one short
transaction per write, one connection per thread (opened lazily, reopened after a fork).
A `TranslationMemory` pickles as its path.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from localize.errors import InputFormatError

Origin = Literal["machine", "approved"]
MACHINE: Origin = "machine"
APPROVED: Origin = "approved"
ORIGINS: tuple[Origin, ...] = (MACHINE, APPROVED)

MEMORY_ENV = "LOCALIZE_MEMORY"  # overrides every default location of the memory file
MEMORY_NAME = "localize-memory.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0
_SHORTLIST = 4  # rows read back per wanted match (duplicates of one source are merged)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    market TEXT NOT NULL,
    norm TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('machine', 'approved')),
    engine TEXT NOT NULL DEFAULT '',
    series TEXT NOT NULL DEFAULT '',
    episode TEXT NOT NULL DEFAULT '',
    line TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_lookup ON entries (market, norm);
CREATE UNIQUE INDEX IF NOT EXISTS machine_key ON entries (market, norm, engine) WHERE origin = 'machine';
CREATE UNIQUE INDEX IF NOT EXISTS approved_key ON entries (market, norm, target) WHERE origin = 'approved';
"""
# What a lookup reads, in `_entry`'s order (the normalized source last).
_COLUMNS = "source, target, market, origin, engine, series, episode, line, created, updated, norm"
_INSERT = """
INSERT INTO entries (market, norm, source, target, origin, engine, series, episode, line, created, updated)
VALUES (:market, :norm, :source, :target, :origin, :engine, :series, :episode, :line, :now, :now)
"""
# One machine entry per engine and source (the newest output); one approved entry per source and target.
_UPSERT_MACHINE = _INSERT + """ON CONFLICT (market, norm, engine) WHERE origin = 'machine' DO UPDATE SET
    source = excluded.source, target = excluded.target, series = excluded.series,
    episode = excluded.episode, line = excluded.line, updated = excluded.updated
"""
_UPSERT_APPROVED = _INSERT + """ON CONFLICT (market, norm, target) WHERE origin = 'approved' DO UPDATE SET
    source = excluded.source, engine = excluded.engine, series = excluded.series,
    episode = excluded.episode, line = excluded.line, updated = excluded.updated
"""


@dataclass(frozen=True)
class Entry:
    """One translation in the memory; times are seconds since the epoch."""

    source: str
    target: str
    market: str
    origin: Origin = MACHINE
    engine: str = ""  # engine (and model) that wrote a machine entry; free text for approved ones
    series: str = ""
    episode: str = ""
    line: str = ""  # line id within the episode
    created: float = 0.0
    updated: float = 0.0


@dataclass(frozen=True)
class Match:
    """An entry found for a source line, with its similarity (100: the same normalized text)."""

    entry: Entry
    score: float

    @property
    def target(self) -> str:
        return self.entry.target

    @property
    def approved(self) -> bool:
        return self.entry.origin == APPROVED


@dataclass(frozen=True)
class MarketStats:
    market: str
    approved: int
    machine: int


@dataclass(frozen=True)
class MemoryStats:
    path: Path
    entries: int
    approved: int
    machine: int
    markets: tuple[MarketStats, ...]
    size_bytes: int


def normalize(text: str) -> str:
    """The text lookups compare: NFKC (full-width to half-width), case-folded, no spaces/punctuation/symbols."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


def default_memory_path(out_dir: Path | None = None) -> Path:
    """$LOCALIZE_MEMORY, else `localize-memory.sqlite` beside the delivery folder (else the current folder).

    Beside OUT, not inside it, so every season delivered next to it (out/s1, out/s2) shares one memory.
    """
    if env := os.environ.get(MEMORY_ENV):
        return Path(env).expanduser()
    base = out_dir.resolve().parent if out_dir is not None else Path.cwd()
    return base / MEMORY_NAME


class TranslationMemory:
    """The memory file at `path` (created on first use, with its folder)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._indexes: dict[tuple[str, str | None], _SourceIndex] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}  # connections stay in their process

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"TranslationMemory({str(self.path)!r})"

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close this thread's connection (other threads' close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()

    # -- writing ---------------------------------------------------------------------------------

    def add(self, entries: Iterable[Entry]) -> int:
        """Store entries in one short transaction; returns how many were written.

        A machine entry replaces the machine entry of the same engine for that source; an
        approved entry only refreshes an identical approval. Neither ever touches the other kind.
        """
        rows = [self._row(entry) for entry in entries if normalize(entry.source) and entry.target.strip()]
        if not rows:
            return 0
        with self._write() as conn:
            for row in rows:
                conn.execute(_UPSERT_APPROVED if row["origin"] == APPROVED else _UPSERT_MACHINE, row)
        return len(rows)

    def add_machine(self, source: str, target: str, market: str, *, engine: str = "", series: str = "",
                    episode: str = "", line: str = "") -> None:
        self.add([Entry(source, target, market, MACHINE, engine, series, episode, line)])

    def approve(self, source: str, target: str, market: str, *, engine: str = "", series: str = "",
                episode: str = "", line: str = "") -> None:
        """A translator's post-edit: from now on the target for this source (until a newer approval)."""
        self.add([Entry(source, target, market, APPROVED, engine, series, episode, line)])

    # -- reading ---------------------------------------------------------------------------------

    def exact(self, source: str, market: str, *, engine: str | None = None) -> Match | None:
        """The newest approved entry for this source, else the newest machine one (of `engine`, if given)."""
        norm = normalize(source)
        if not norm:
            return None
        row = self._conn().execute(
            f"SELECT {_COLUMNS} FROM entries WHERE market = ? AND norm = ? "
            "AND (origin = 'approved' OR ? IS NULL OR engine = ?) "
            "ORDER BY origin = 'approved' DESC, updated DESC, id DESC LIMIT 1",
            (market, norm, engine, engine)).fetchone()
        return Match(_entry(row), 100.0) if row else None

    def fuzzy(self, source: str, market: str, *, limit: int = 4, min_score: float = 60.0,
              origin: Origin | None = None) -> list[Match]:
        """Up to `limit` entries scoring at least `min_score` (0-100), best first.

        Ties go to approved entries, then to the newest. One entry per (normalized source, target).
        """
        norm = normalize(source)
        if not norm or limit <= 0:
            return []
        scores = self._best(norm, market, origin, min_score, limit * _SHORTLIST)
        scored: dict[tuple[str, str], Match] = {}
        for row in self._rows(list(scores)):
            match = Match(_entry(row[1:]), round(scores[row[0]], 1))
            key = (row[-1], match.target)
            if key not in scored or _rank(match) < _rank(scored[key]):
                scored[key] = match
        return sorted(scored.values(), key=_rank)[:limit]

    def approved_digest(self, sources: Iterable[str], market: str) -> str:
        """sha256 over the approved entries for these sources: changes when a translator approves one of them.

        Machine entries are left out on purpose: every run adds them, which would change the digest each time.
        """
        norms = sorted({n for n in (normalize(s) for s in sources) if n})
        digest = hashlib.sha256(f"{market}\n".encode())
        conn = self._conn()
        for chunk in _chunks(norms, 500):
            rows = conn.execute(
                f"SELECT norm, target, updated FROM entries WHERE origin = 'approved' AND market = ? "
                f"AND norm IN ({','.join('?' * len(chunk))}) ORDER BY norm, target", (market, *chunk)).fetchall()
            for norm, target, updated in rows:
                digest.update(f"{norm}\t{target}\t{updated!r}\n".encode())
        return digest.hexdigest()

    def fingerprint(self) -> str:
        """What the memory holds, in a line that changes with any entry added, changed or removed, and not
        with SQLite's checkpoints (which rewrite the file's bytes whenever a connection closes, not its entries)."""
        count, last_id, updated, lengths = self._conn().execute(
            "SELECT count(*), max(id), total(updated), total(length(target)) FROM entries").fetchone()
        return f"{count} entries, last id {last_id}, updated {updated!r}, target chars {lengths!r}"

    def stats(self) -> MemoryStats:
        rows = self._conn().execute(
            "SELECT market, SUM(origin = 'approved'), SUM(origin = 'machine') FROM entries "
            "GROUP BY market ORDER BY market").fetchall()
        markets = tuple(MarketStats(market, approved, machine) for market, approved, machine in rows)
        approved = sum(m.approved for m in markets)
        machine = sum(m.machine for m in markets)
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return MemoryStats(self.path, approved + machine, approved, machine, markets, size)

    # -- internals -------------------------------------------------------------------------------

    def _best(self, norm: str, market: str, origin: Origin | None, cutoff: float, count: int) -> dict[int, float]:
        """Entry id -> score of the best `count` entries: the market's normalized sources (kept here,
        topped up with the rows added since the last call) scored by rapidfuzz."""
        from rapidfuzz import fuzz, process

        with self._lock:  # held while scoring too: another thread may be appending to these lists
            index = self._indexes.setdefault((market, origin), _SourceIndex())
            # `+market`: walk the id range (only new rows), not the market's whole (market, norm) index.
            rows = self._conn().execute(
                "SELECT id, norm FROM entries WHERE id > ? AND +market = ? AND (? IS NULL OR origin = ?) "
                "ORDER BY id", (index.last_id, market, origin, origin)).fetchall()
            for entry_id, stored in rows:
                index.ids.append(entry_id)
                index.norms.append(stored)
            if rows:
                index.last_id = rows[-1][0]
            best = process.extract(norm, index.norms, scorer=fuzz.ratio, score_cutoff=cutoff, limit=count)
            return {index.ids[position]: score for _, score, position in best}

    def _rows(self, ids: list[int]) -> list[tuple[Any, ...]]:
        if not ids:
            return []
        return self._conn().execute(
            f"SELECT id, {_COLUMNS} FROM entries WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()

    def _row(self, entry: Entry) -> dict[str, Any]:
        if entry.origin not in ORIGINS:
            raise InputFormatError(self.path, 0, f"origin {entry.origin!r}", " or ".join(ORIGINS))
        norm = normalize(entry.source)
        return {"market": entry.market, "norm": norm,
                "source": entry.source, "target": entry.target, "origin": entry.origin, "engine": entry.engine,
                "series": entry.series, "episode": entry.episode, "line": entry.line,
                "now": entry.updated or time.time()}

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so two
        # writers never deadlock upgrading a read lock; the transaction holds only this batch.
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "conn", None) is None or local.pid != os.getpid():
            local.conn, local.pid = self._open(), os.getpid()
        conn: sqlite3.Connection = local.conn
        return conn

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise InputFormatError(self.path, 0, "is a folder, not a translation memory file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._create_schema(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise InputFormatError(self.path, 0, f"not a translation memory ({exc})",
                                   "an SQLite file written by localize, or a new path") from None
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"schema version {version}, this localize reads {SCHEMA_VERSION}")
            for statement in _statements(_SCHEMA):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


@dataclass
class _SourceIndex:
    """What fuzzy lookups score, per market (and origin): entry ids and normalized sources, in id order.

    Rows are never deleted and an update keeps a row's id and normalized source, so new ids are all
    there is to read.
    """

    ids: list[int] = field(default_factory=list)
    norms: list[str] = field(default_factory=list)
    last_id: int = 0


def read_pairs_tsv(path: Path | str) -> list[tuple[str, str]]:
    """Approved pairs from a 2-column TSV (source, target): UTF-8 or UTF-16 with BOM; `#` lines,
    blank lines and a `source<TAB>target` header are skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFormatError(path, 0, f"cannot read: {exc.strerror or exc}") from None
    text = raw.decode("utf-16") if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw.decode("utf-8-sig")
    pairs: list[tuple[str, str]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if [c.casefold() for c in cells[:2]] == ["source", "target"] and not pairs:
            continue
        if len(cells) != 2 or not cells[0] or not cells[1]:
            raise InputFormatError(path, line_no, f"{len(cells)} cells: {line[:60]!r}",
                                   "source<TAB>target, both filled")
        pairs.append((cells[0], cells[1]))
    return pairs


def _entry(row: Sequence[Any]) -> Entry:
    source, target, market, origin, engine, series, episode, line, created, updated, _norm = row
    return Entry(source, target, market, origin, engine, series, episode, line, created, updated)


def _rank(match: Match) -> tuple[float, int, float]:
    return (-match.score, 0 if match.approved else 1, -match.entry.updated)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _statements(script: str) -> list[str]:
    # sqlite3.complete_statement finds where each statement (triggers included) ends.
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return [s for s in statements if s]


def _retry_busy(action: Any, attempts: int = 50) -> Any:
    # Switching a new file to WAL needs a lock the busy handler does not always wait for.
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None
