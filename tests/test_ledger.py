from pathlib import Path

import pytest

from localize.errors import OutputExistsError
from localize.ledger import Ledger


def test_files_localize_wrote_may_be_rewritten_but_edited_ones_are_protected(tmp_path: Path) -> None:
    srt = tmp_path / "en-US" / "ep01.srt"
    srt.parent.mkdir()
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n")
    Ledger(tmp_path).record([srt])
    Ledger(tmp_path).check([srt, tmp_path / "en-US" / "ep02.srt"])  # unchanged, and missing: fine

    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello there (post-edited)\n")
    with pytest.raises(OutputExistsError, match=r"ep01\.srt.*--force"):
        Ledger(tmp_path).check([srt])


def test_a_foreign_file_in_the_way_is_protected(tmp_path: Path) -> None:
    mine = tmp_path / "ep01.qa.json"
    mine.write_text("{}")
    with pytest.raises(OutputExistsError):
        Ledger(tmp_path).check([mine])
