"""Errors of the subtitle stage, all user errors (`localize.errors.UserError`).

They keep the bad value and say what is accepted, so a CLI or a QA report can
show them to a person as they are.
"""

from __future__ import annotations

from pathlib import Path

from localize.errors import InputFormatError, UserError

ACCEPTED_FILES = ("SubRip (.srt), WebVTT (.vtt), Advanced SubStation Alpha (.ass/.ssa) or TTML/IMSC1 (.ttml), "
                  "as UTF-8, UTF-16, GB18030 (GB2312/GBK) or Big5 text")


class SubtitleFileError(InputFormatError):
    """A subtitle file that cannot be read: not text, not a subtitle format, or malformed.

    Keeps `path`, `line_no` (0 when the problem is the file as a whole), `problem`
    and `accepted` (what the reader takes).
    """

    def __init__(self, path: Path | str, problem: str, line_no: int = 0,
                 accepted: str = ACCEPTED_FILES) -> None:
        self.accepted = accepted
        super().__init__(path, line_no, problem, expected=accepted)


class InvalidSettingError(UserError):
    """A frame rate, rule or layout value the subtitle stage cannot work with."""

    def __init__(self, name: str, value: object, accepted: str) -> None:
        self.name = name
        self.value = value
        self.accepted = accepted
        super().__init__(f"invalid {name} {value!r}; accepted: {accepted}")
