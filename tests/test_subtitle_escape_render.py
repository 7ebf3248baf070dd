"""An ASS override tag that reaches a line through a glossary target is drawn as text, never obeyed.

The whole path a translator's glossary takes: glossary protection writes the target into the source
line, the engine keeps it, `deliver_subtitles` writes the ASS, libass renders it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from localize.markets import Market, get_market
from localize.subtitle.deliver import deliver_subtitles
from localize.translate.glossary import Glossary
from localize.translate.translate import translate_transcript
from localize.types import GlossaryEntry, Segment, Transcript

TAG = "{\\alpha&HFF&}"  # libass would make the line fully transparent
_CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


class KeepTermsEngine:
    """Keeps what glossary protection wrote into the line (everything not Chinese) and adds English."""

    name = "keep-terms-stub"

    def translate(self, sources: Sequence[str], market: Market, context: Any = None) -> list[str]:
        return [f"{_CHINESE.sub('', s).strip()}, dinner?" for s in sources]


def _ink(png: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(png).convert("L")) > 128


def _deliver(target: str, out_dir: Path) -> tuple[str, Path]:
    """Translate 林晓，饭怎么还没做好？ with 林晓 -> `target` and deliver en-US subtitles; (line, ASS file)."""
    market = get_market("en-US")
    glossary = Glossary((GlossaryEntry("林晓", target, "name"),))
    transcript = Transcript(language="zh", segments=(Segment(0, 2000, "林晓，饭怎么还没做好？"),), duration_ms=3000)
    translation = translate_transcript(transcript, market, glossary=glossary, engine=KeepTermsEngine(),
                                       fit_cues=False)
    assert not translation.glossary_misses
    delivery = deliver_subtitles(translation.lines, market, fps=25.0, duration_ms=3000, out_dir=out_dir,
                                 stem="ep01", cover=None, formats=("ass",))
    return translation.lines[0].target, delivery.files[0]


@pytest.mark.slow
def test_override_tag_from_a_glossary_target_renders_literally(tmp_path: Path) -> None:
    from localize.media import subtitle_thumbnail

    line, ass = _deliver(f"{TAG}Lin Xiao", tmp_path / "tag")
    assert line == f"{TAG}Lin Xiao, dinner?"  # the glossary put the tag into the translation
    dialogue = next(d for d in ass.read_text(encoding="utf-8").splitlines() if d.startswith("Dialogue"))
    assert TAG not in dialogue  # escaped in the file...

    shown = _ink(subtitle_thumbnail(ass, tmp_path / "tag.png", 1000))
    assert shown.sum() > 100  # ...so libass draws the line instead of hiding it

    _, plain_ass = _deliver("Lin Xiao", tmp_path / "plain")
    plain = _ink(subtitle_thumbnail(plain_ass, tmp_path / "plain.png", 1000))
    assert plain.sum() > 100

    def width(ink: np.ndarray) -> int:
        columns = np.flatnonzero(ink.any(axis=0))
        return int(columns[-1] - columns[0])

    # `{\alpha&HFF&}` is drawn as characters: the line is wider and has more ink than without it.
    assert width(shown) > width(plain) + 40
    assert shown.sum() > plain.sum() * 1.3

    # The same file with the tag unescaped hides the line: the pixel check can tell the difference.
    raw = tmp_path / "raw.ass"
    raw.write_text(ass.read_text(encoding="utf-8").replace("\\{\\\u2060", "{\\").replace("\\}", "}"),
                   encoding="utf-8")
    assert TAG in raw.read_text(encoding="utf-8")
    assert _ink(subtitle_thumbnail(raw, tmp_path / "raw.png", 1000)).sum() == 0
