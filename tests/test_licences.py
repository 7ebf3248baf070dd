"""`localize models --licences`: what a studio ships, and no GPL-only package in the default install."""

from __future__ import annotations

import pytest

from localize.cli import main
from localize.licences import PackageLicence, default_install


def test_the_default_install_lists_every_model_and_package_and_holds_no_gpl_only_code(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--licences"]) == 0
    out = capsys.readouterr().out
    assert "Gemma Terms of Use" in out and "not an open-source licence" in out
    assert "PP-OCRv4" in out and "Whisper base" in out
    assert out.rstrip().endswith("GPL-only packages in the default install: none")
    names = {p.name.casefold() for p in default_install()}
    assert {"lxml", "pysubs2", "faster-whisper"} <= names
    assert "translate-toolkit" not in names  # XLIFF and TBX are read and written with lxml


@pytest.mark.parametrize(("licence", "gpl_only"), [
    ("GPL-3.0-or-later", True), ("GNU General Public License v3 (GPLv3)", True), ("LGPL-2.1", False),
    ("MIT OR GPL-2.0", False), ("Apache-2.0", False), ("not declared", False)])
def test_gpl_only_means_gpl_with_no_permissive_choice(licence: str, gpl_only: bool) -> None:
    assert PackageLicence("x", "1", licence).gpl_only is gpl_only
    assert not PackageLicence("text-unidecode", "1.3", "GPL-2.0+").gpl_only  # dual: shipped as Artistic
