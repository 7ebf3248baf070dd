"""Which installed font a family name resolves to: the only module that runs fontconfig (fc-match).

libass finds fonts through fontconfig, which never fails: a family that is not installed
quietly becomes another font (DejaVu Sans), one without Thai or Arabic glyphs or with other
widths. So before a run we ask fontconfig the same question and compare the answer.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from localize.errors import MissingDependencyError, ToolError

_HINT = "install it with: sudo apt-get install fontconfig"
# Where each font family comes from on Debian (scripts/install.sh installs them), longest prefix first.
DEBIAN_PACKAGES = (
    ("noto sans cjk", "fonts-noto-cjk"),
    ("noto serif cjk", "fonts-noto-cjk"),
    ("noto", "fonts-noto-core"),
)


@dataclass(frozen=True)
class FontMatch:
    """The font fontconfig gives for a family name: its own family names, file and characters."""

    asked: str
    families: tuple[str, ...]
    file: Path
    ranges: tuple[tuple[int, int], ...]  # inclusive code point ranges the font has glyphs for

    @property
    def is_exact(self) -> bool:
        """The family asked for was found (not a fallback chosen in its place)."""
        return self.asked.casefold() in (f.casefold() for f in self.families)

    def covers(self, char: str) -> bool:
        code = ord(char)
        return any(lo <= code <= hi for lo, hi in self.ranges)

    def missing(self, text: str) -> str:
        """The characters of `text` (spaces aside) the font has no glyph for, each once."""
        return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and not self.covers(ch)))


def package_for(family: str) -> str:
    """The Debian package that holds a font family ("" when unknown)."""
    name = family.casefold()
    return next((pkg for prefix, pkg in DEBIAN_PACKAGES if name.startswith(prefix)), "")


@functools.cache
def match_font(family: str) -> FontMatch:
    """What fontconfig (and so libass) uses for `family`. Cached: fonts do not change during a run."""
    binary = shutil.which("fc-match")
    if binary is None:
        raise MissingDependencyError("fc-match (fontconfig)", _HINT)
    cmd = [binary, "--format", "%{family}\\n%{file}\\n%{charset}\\n", family]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ToolError("fc-match", cmd, done.returncode, done.stderr)
    lines = [*done.stdout.splitlines(), "", "", ""][:3]
    return FontMatch(family, tuple(f.strip() for f in lines[0].split(",") if f.strip()), Path(lines[1]),
                     _parse_charset(lines[2]))


def _parse_charset(text: str) -> tuple[tuple[int, int], ...]:
    """fontconfig's charset text ("20-7e a0-17f 2c7") as inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for part in text.split():
        lo, _, hi = part.partition("-")
        try:
            ranges.append((int(lo, 16), int(hi or lo, 16)))
        except ValueError:
            continue
    return tuple(ranges)
