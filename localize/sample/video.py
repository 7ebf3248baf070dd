"""The sample episode's picture: a painted still scene, a title card and the burned-in Chinese line.

The scene is drawn with numpy and saved as a binary PPM (ffmpeg reads it, no imaging
library needed). Text is an ASS script written here and burned in by libass through
localize.media, with the current line in the lower third exactly while it is spoken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from localize import media
from localize.errors import MissingDependencyError
from localize.fsutil import atomic_path, write_text_atomic
from localize.types import Segment

WIDTH, HEIGHT, FPS = 1080, 1920, 25
FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_NAME = "Noto Sans CJK SC"
LINE_CENTRE_Y = 1500  # the burned line's box stays within about y 1420-1580
MAX_CHARS_PER_LINE = 16  # Chinese subtitle rule; longer lines are broken in two
TITLE_MS = 3000

# Per episode: top colour, bottom colour, window colour (RGB).
_PALETTES: dict[int, tuple[tuple[int, int, int], ...]] = {
    1: ((52, 36, 34), (150, 96, 62), (70, 92, 128)),  # home at night, rain outside
    2: ((28, 42, 64), (100, 112, 130), (170, 190, 210)),  # office by day
    3: ((46, 30, 70), (188, 112, 118), (236, 160, 120)),  # dusk
}


def check_font() -> Path:
    if not FONT_FILE.is_file():
        raise MissingDependencyError("fonts-noto-cjk", "install it with: sudo apt-get install fonts-noto-cjk "
                                     f"(libass needs {FONT_FILE} to draw Chinese)")
    return FONT_FILE


def write_background(path: Path, episode: int, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Path:
    """A still room: gradient wall, a window, a floor, two figures, a soft vignette (drawn at 1080x1920, scaled)."""
    top, bottom, window = (np.array(c, dtype=np.float64)
                           for c in _PALETTES[(episode - 1) % len(_PALETTES) + 1])
    y = np.linspace(0.0, 1.0, HEIGHT)[:, None, None]
    x = np.linspace(0.0, 1.0, WIDTH)[None, :, None]
    img = np.broadcast_to(top * (1 - y) + bottom * y, (HEIGHT, WIDTH, 3)).copy()
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    pane = (rows > 600) & (rows < 1080) & (cols > 300) & (cols < 780)
    img[pane] = img[pane] * 0.3 + window * 0.7
    img[pane & ((abs(cols - 540) < 7) | (abs(rows - 840) < 7))] *= 0.45  # window bars
    img[rows > 1420] *= 0.7  # floor
    for centre in (190, 890):  # two figures facing each other, in shadow
        head = (rows - 1100) ** 2 + (cols - centre) ** 2 < 66**2
        shoulders = (rows - 1290) ** 2 / 110**2 + (cols - centre) ** 2 / 150**2 < 1
        body = (rows > 1290) & (rows < 1750) & (abs(cols - centre) < 150 - (1750 - rows) * 0.06)
        img[head | shoulders | body] *= 0.35
    vignette = 1.0 - 0.45 * (((x - 0.5) * 1.6) ** 2 + ((y - 0.5) * 1.2) ** 2)
    pixels = np.clip(img * vignette, 0, 255).astype(np.uint8)
    if size != (WIDTH, HEIGHT):
        from PIL import Image

        pixels = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))
    with atomic_path(path) as tmp:
        tmp.write_bytes(f"P6\n{size[0]} {size[1]}\n255\n".encode("ascii") + pixels.tobytes())
    return path


def display_text(text: str) -> str:
    """The line as burned-in subtitles show it: no closing full stop, pauses as spaces, at most 2 rows."""
    shown = text.rstrip("。，、 ")
    for mark in "，。、；：":
        shown = shown.replace(mark, "\u3000")
    if len(shown) <= MAX_CHARS_PER_LINE:
        return shown
    middle = len(shown) / 2
    spaces = [i for i, ch in enumerate(shown) if ch == "\u3000"]
    if spaces:
        cut = min(spaces, key=lambda i: abs(i - middle))
        return shown[:cut] + "\\N" + shown[cut + 1:]
    cut = round(middle)
    return shown[:cut] + "\\N" + shown[cut:]


def _ass_time(ms: int) -> str:
    cs = round(ms / 10)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


@dataclass(frozen=True)
class SubtitleStyle:
    """How the dialogue line is drawn: font, colours (ASS &HAABBGGRR), outline, shadow, centre height."""

    font: str = FONT_NAME
    size: int = 64
    colour: str = "&H00FFFFFF"
    outline_colour: str = "&H00000000"
    outline: int = 4
    shadow: int = 1
    bold: bool = False
    centre_y: int = LINE_CENTRE_Y

    def ass_style(self) -> str:
        bold = -1 if self.bold else 0
        return (f"Style: Line,{self.font},{self.size},{self.colour},{self.colour},{self.outline_colour},&H80000000,"
                f"{bold},0,0,0,100,100,0,0,1,{self.outline},{self.shadow},5,0,0,0,1")


LINE_STYLE = SubtitleStyle().ass_style()  # the sample season's line


def ass_script(segments: Sequence[Segment], episode: int, series_title: str, duration_ms: int, *,
               line_style: str = LINE_STYLE, line_y: int = LINE_CENTRE_Y, extra_styles: str = "",
               extra_events: Sequence[str] = ()) -> str:
    """Title card, a small episode tag, and each line centred in the lower third while spoken.

    `line_style` / `line_y` draw the dialogue another way; `extra_styles` and `extra_events` add
    more text to the picture (localize.sample.furniture).
    """
    head = f"""[Script Info]
; synthetic sample episode written by localize.sample
ScriptType: v4.00+
PlayResX: {WIDTH}
PlayResY: {HEIGHT}
WrapStyle: 2
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, \
MarginR, MarginV, Encoding
{line_style}
Style: Title,{FONT_NAME},96,&H0060D8FF,&H0060D8FF,&H00101010,&H80000000,1,0,0,0,100,100,4,0,1,5,2,5,0,0,0,1
Style: Tag,{FONT_NAME},40,&H40FFFFFF,&H40FFFFFF,&H60000000,&H80000000,0,0,0,0,100,100,0,0,1,2,0,7,0,0,0,1
{extra_styles}
[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
    title_end = _ass_time(min(TITLE_MS, duration_ms))
    card = f"Dialogue: 1,0:00:00.00,{title_end},Title,,0,0,0,,"
    events = [
        f"{card}{{\\pos(540,330)\\fad(300,500)}}{series_title}",
        f"{card}{{\\pos(540,470)\\fs120\\fad(300,500)}}第{episode}集",
        f"Dialogue: 0,{title_end},{_ass_time(duration_ms)},Tag,,0,0,0,,"
        f"{{\\pos(60,120)}}{series_title}　第{episode}集",
    ]
    for seg in segments:
        events.append(f"Dialogue: 2,{_ass_time(seg.start_ms)},{_ass_time(seg.end_ms)},Line,,0,0,0,,"
                      f"{{\\pos(540,{line_y})}}{display_text(seg.text)}")
    return head + "\n".join((*events, *extra_events)) + "\n"


def render_episode(segments: Sequence[Segment], episode: int, series_title: str, audio_wav: Path,
                   duration_ms: int, work_dir: Path, dst: Path) -> Path:
    """Paint the scene, write the ASS text and encode the episode with its audio into `dst`."""
    font = check_font()
    background = write_background(work_dir / f"scene{episode:02d}.ppm", episode)
    ass = write_text_atomic(work_dir / f"ep{episode:02d}.ass",
                            ass_script(segments, episode, series_title, duration_ms))
    return media.render_still(background, audio_wav, ass, dst, duration_ms=duration_ms, fps=FPS,
                              fonts_dir=font.parent)
