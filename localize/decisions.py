"""A reviewer's decision on each delivery: approved, or sent back with a comment.

Kept in `OUT/review.json`, one entry per episode and market (the latest decision; earlier ones stay
in its `history`). The season run reads it: an approved delivery is not made again unless asked
(`localize run --force`); `localize status` and the review page show it. An edit of a delivery's
lines clears its approval (what was approved is no longer what is delivered).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from localize.errors import InputFormatError, UserError
from localize.fsutil import file_lock, write_text_atomic

FILE = "review.json"
APPROVED = "approved"
SENT_BACK = "sent back"
KINDS = (APPROVED, SENT_BACK)
MAX_COMMENT = 4000


@dataclass(frozen=True)
class Decision:
    episode: str
    market: str
    decision: str  # "approved" or "sent back"
    comment: str = ""
    reviewer: str = ""
    at: str = ""  # local time, ISO 8601 to the second


Latest = dict[tuple[str, str], Decision]


class Decisions:
    """The decisions file of one season's output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / FILE

    def all(self) -> dict[tuple[str, str], Decision]:
        """(episode, market) -> its latest decision."""
        return {(d.episode, d.market): d for d in self._read()["latest"]}

    def get(self, episode: str, market: str) -> Decision | None:
        return self.all().get((episode, market))

    def approved(self) -> set[tuple[str, str]]:
        return {pair for pair, d in self.all().items() if d.decision == APPROVED}

    def decide(self, episode: str, market: str, decision: str, comment: str = "", reviewer: str = "") -> Decision:
        if decision not in KINDS:
            raise UserError(f"decision {decision!r}: expected one of {', '.join(KINDS)}")
        if decision == SENT_BACK and not comment.strip():
            raise UserError("sending a delivery back needs a comment: say what is wrong")
        if len(comment) > MAX_COMMENT:
            raise UserError(f"comment of {len(comment)} characters: at most {MAX_COMMENT}")
        made = Decision(episode, market, decision, comment.strip(), reviewer.strip()[:100],
                        time.strftime("%Y-%m-%dT%H:%M:%S"))
        self._change(lambda latest: {**latest, (episode, market): made})
        return made

    def clear(self, episode: str, market: str, why: str) -> None:
        """Forget the latest decision of a delivery (kept in the history with `why`)."""
        def drop(latest: Latest) -> Latest:
            return {pair: d for pair, d in latest.items() if pair != (episode, market)}

        if (episode, market) in self.all():
            self._change(drop, note=why)

    def _read(self) -> dict[str, list[Decision]]:
        if not self.path.is_file():
            return {"latest": [], "history": []}
        text = self.path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
            return {key: [Decision(**row) for row in data.get(key, [])] for key in ("latest", "history")}
        except (ValueError, TypeError) as exc:
            raise InputFormatError(self.path, 0, f"not the review file localize writes ({exc})",
                                   '{"latest": [...], "history": [...]}') from exc

    def _change(self, change: Callable[[Latest], Latest], note: str = "") -> None:
        with file_lock(self.path.with_name(f".{FILE}.lock")):
            data = self._read()
            latest = {(d.episode, d.market): d for d in data["latest"]}
            updated = change(latest)
            history = data["history"] + [d for pair, d in updated.items() if latest.get(pair) != d]
            if note:
                history += [Decision(d.episode, d.market, "cleared", note, "", time.strftime("%Y-%m-%dT%H:%M:%S"))
                            for pair, d in latest.items() if pair not in updated]
            body = {"latest": [asdict(d) for d in sorted(updated.values(), key=lambda d: (d.episode, d.market))],
                    "history": [asdict(d) for d in history]}
            write_text_atomic(self.path, json.dumps(body, ensure_ascii=False, indent=1) + "\n")
