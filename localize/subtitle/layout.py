"""Where subtitles sit on a 1080x1920 vertical frame, and the box that hides the burned-in Chinese.

Pure values: the ASS writer (`formats.py`) turns them into styles and events.
The safe area comes from a platform preset (`platforms.py`: micro-drama by default, x 120-888,
y 288-1248 of 1080x1920, DESIGN.md section 6; TikTok, Reels, Shorts), fitted to the episode's frame.
The source's Chinese subtitles usually sit in the lower third, where an opaque box covers them
(`CoverBox`). Our text is bottom-centred in the safe area, so it stays above both the app's
controls and the cover box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from localize.markets import Market, SubtitleRules
from localize.subtitle.errors import InvalidSettingError
from localize.subtitle.platforms import SCREEN, Platform, canvas_size, get_platform

# Average advance of a character of Latin running text (spaces included), as a fraction
# of the ASS font size (which is a line height, not an em). Measured with libass on
# English, Spanish and Portuguese lines: DejaVu Sans (fontconfig's fallback when Noto
# Sans is missing) 0.43-0.44, Noto Sans CJK 0.31-0.32. We take the widest, so the
# estimate never promises more than a renderer delivers, unless the font is known.
AVERAGE_CHAR_WIDTH = 0.44
# Font-name prefix -> measured width (installed by apt), most specific first. Noto Sans on French, German,
# Turkish, Indonesian, Vietnamese lines: 0.32-0.36; Noto Sans Thai 0.28 a character, 0.34 a counted one
# (vowel and tone marks take no cell); Noto Sans Arabic 0.17-0.22 (its tall line box makes glyphs small).
KNOWN_CHAR_WIDTHS = {"noto sans cjk": 0.32, "noto sans thai": 0.36, "noto sans arabic": 0.26, "noto sans": 0.38}


# Font-name prefix -> font size multiplier, so a script's letters look as big as Latin at the layout's size.
# libass sizes a font by its line box (ascent + descent): Noto Sans's is 1.36 em, Noto Sans Arabic's 2.11 em
# (room for stacked marks), so at one ASS size Arabic's em is 0.64 of Latin's; rendered, its alef is 0.62 of
# Latin's cap height and a line's ink 31-35 px against 40-42 px. Equal ems (x1.55) would make whole lines, with
# their tall lam-alefs, deep descenders and marks, taller than Latin ones; x1.4 keeps alef vs cap height and
# line ink within 15% (tests/test_layout_presets.py measures both).
FONT_SIZE_SCALES = {"noto sans arabic": 1.4}
BASE_FONT_SIZE = 56  # script pixels on the 1080-wide canvas: about a phone app's own captions


def _by_prefix(table: dict[str, float], font: str, default: float) -> float:
    name = font.lower()
    return next((v for prefix, v in table.items() if name.startswith(prefix)), default)


def average_char_width(font: str) -> float:
    return _by_prefix(KNOWN_CHAR_WIDTHS, font, AVERAGE_CHAR_WIDTH)


def font_size_for(font: str, base: int = BASE_FONT_SIZE) -> int:
    """The ASS font size that makes `font`'s letters about as big as Latin ones at `base`."""
    return round(base * _by_prefix(FONT_SIZE_SCALES, font, 1.0))


@dataclass(frozen=True)
class AssMargins:
    """ASS style margins in script pixels (PlayRes), for bottom-centre alignment."""

    left: int
    right: int
    vertical: int


@dataclass(frozen=True)
class VerticalLayout:
    """Subtitle placement and look on a vertical frame (ASS script coordinates).

    `font_size` is in script pixels: 56 px on a 1920 px tall frame is about the size
    of a phone app's own captions. `rtl` marks right-to-left scripts (Arabic): the
    writers keep it for later work (alignment and bidi controls), nothing uses it yet.
    """

    play_res_x: int = SCREEN[0]
    play_res_y: int = SCREEN[1]
    safe_left: int = get_platform().screen_safe.left  # the default preset (micro-drama), platforms.py
    safe_right: int = get_platform().screen_safe.right
    safe_top: int = get_platform().screen_safe.top
    safe_bottom: int = get_platform().screen_safe.bottom
    font: str = "Noto Sans"
    font_size: int = BASE_FONT_SIZE
    bold: bool = False
    outline_px: float = 3.0
    shadow_px: float = 1.0
    text_rgb: tuple[int, int, int] = (255, 255, 255)
    outline_rgb: tuple[int, int, int] = (0, 0, 0)
    shadow_alpha: int = 128  # ASS alpha of the shadow: 0 opaque, 255 invisible
    line_spacing: float = 1.2  # line height as a multiple of the font size, for fit checks
    rtl: bool = False

    def __post_init__(self) -> None:
        if not (0 <= self.safe_left < self.safe_right <= self.play_res_x
                and 0 <= self.safe_top < self.safe_bottom <= self.play_res_y):
            raise InvalidSettingError(
                "safe area", (self.safe_left, self.safe_top, self.safe_right, self.safe_bottom),
                f"0 <= left < right <= {self.play_res_x} and 0 <= top < bottom <= {self.play_res_y}")
        if self.font_size <= 0:
            raise InvalidSettingError("font size", self.font_size, "a positive number of pixels")
        if not all(0 <= v <= 255 for v in (*self.text_rgb, *self.outline_rgb, self.shadow_alpha)):
            raise InvalidSettingError("colour", (self.text_rgb, self.outline_rgb, self.shadow_alpha),
                                      "components from 0 to 255")

    @classmethod
    def for_market(cls, market: Market, platform: Platform | str | None = None,
                   frame: tuple[int, int] | None = None) -> VerticalLayout:
        """The layout for the market's font (sized by `font_size_for`) and writing direction, with the
        platform preset's safe area (default micro-drama) on the canvas of a `frame` (width, height)
        picture (default 1080x1920; `platforms.canvas_size`)."""
        width, height = canvas_size(*frame) if frame else SCREEN
        safe = get_platform(platform).safe_area(width, height)
        return cls(play_res_x=width, play_res_y=height, safe_left=safe.left, safe_right=safe.right,
                   safe_top=safe.top, safe_bottom=safe.bottom, font=market.font,
                   font_size=font_size_for(market.font), rtl=market.rtl)

    @property
    def safe_width(self) -> int:
        return self.safe_right - self.safe_left

    @property
    def safe_height(self) -> int:
        return self.safe_bottom - self.safe_top

    def margins(self) -> AssMargins:
        """MarginL/R/V that keep bottom-centred (alignment 2) text inside the safe area."""
        return AssMargins(left=self.safe_left, right=self.play_res_x - self.safe_right,
                          vertical=self.play_res_y - self.safe_bottom)

    def chars_per_line(self) -> int:
        """Estimated characters of Latin text that fit the safe width at this font size."""
        return int(self.safe_width / (average_char_width(self.font) * self.font_size))

    def text_height(self, lines: int) -> float:
        return lines * self.font_size * self.line_spacing

    def fit_rules(self, rules: SubtitleRules) -> SubtitleRules:
        """`rules` with max chars per line lowered to what this layout can show on one line.

        The style guides' 42 characters are for 16:9 frames; at a phone-readable size
        the 768 px wide vertical safe area holds fewer (about 31 at 56 px; libass wraps
        longer lines onto a third line). Segment with these rules when the subtitles
        are burned in or rendered with this layout.
        """
        capacity = max(1, self.chars_per_line())
        if capacity >= rules.max_chars_per_line:
            return rules
        return replace(rules, max_chars_per_line=capacity)

    def clear_of(self, top: int, bottom: int, gap: int = 24) -> VerticalLayout:
        """This layout with its (bottom-aligned, two-line) text kept clear of the rows `top`-`bottom`:
        a burned-in band left in the picture (removal "avoid"). Text that would overlap it moves
        above it, never above the safe area's top plus one line."""
        text_top = self.safe_bottom - self.text_height(2)
        if bottom + gap <= text_top or top - gap >= self.safe_bottom:
            return self
        lowest = self.safe_top + round(self.text_height(1))
        return replace(self, safe_bottom=min(self.safe_bottom, max(top - gap, lowest)))


@dataclass(frozen=True)
class CoverBox:
    """An opaque band hiding the burned-in Chinese subtitles (frame pixels, x0/y0 inclusive).

    The default band, y 1380-1620 of 1920, is where micro-drama studios put their
    Chinese subtitles; set it per series when they sit elsewhere.
    """

    x0: int = 0
    y0: int = 1380
    x1: int = 1080
    y1: int = 1620
    rgb: tuple[int, int, int] = (16, 16, 16)
    opacity: float = 1.0  # 1.0 hides the Chinese completely

    def __post_init__(self) -> None:
        if not (self.x0 < self.x1 and self.y0 < self.y1):
            raise InvalidSettingError("cover box", (self.x0, self.y0, self.x1, self.y1),
                                      "x0 < x1 and y0 < y1")
        if not 0.0 <= self.opacity <= 1.0:
            raise InvalidSettingError("cover opacity", self.opacity, "0.0 to 1.0")
        if not all(0 <= v <= 255 for v in self.rgb):
            raise InvalidSettingError("cover colour", self.rgb, "components from 0 to 255")

    @property
    def ass_alpha(self) -> int:
        """ASS alpha (0 opaque, 255 transparent) for this opacity."""
        return round((1.0 - self.opacity) * 255)

    def ass_drawing(self) -> str:
        """The rectangle as ASS vector drawing commands, in script pixels from the top-left."""
        return (f"m {self.x0} {self.y0} l {self.x1} {self.y0} "
                f"l {self.x1} {self.y1} l {self.x0} {self.y1}")

    def inside(self, layout: VerticalLayout) -> bool:
        """Whether the box lies within the frame the layout describes."""
        return self.x0 >= 0 and self.y0 >= 0 and self.x1 <= layout.play_res_x and self.y1 <= layout.play_res_y

    def overlaps_safe_area(self, layout: VerticalLayout) -> bool:
        """True when the box would sit under our own text (it is drawn below it, but hides video)."""
        return not (self.y1 <= layout.safe_top or self.y0 >= layout.safe_bottom
                    or self.x1 <= layout.safe_left or self.x0 >= layout.safe_right)


DEFAULT_COVER = CoverBox()  # frozen: safe to share as a default
