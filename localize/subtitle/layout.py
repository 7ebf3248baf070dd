"""Where subtitles sit on a 1080x1920 vertical frame, and the box that hides the burned-in Chinese.

Pure values: the ASS writer (`formats.py`) turns them into styles and events.
Numbers from DESIGN.md section 6: the area safe from TikTok/Reels/Shorts buttons and
captions is about x 120-888, y 288-1248; micro-drama apps put their controls at the
bottom, and the source's Chinese subtitles usually sit in the lower third, where an
opaque box covers them (`CoverBox`). Our text is bottom-centred in the safe area,
so it stays above both the app's controls and the cover box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from localize.markets import Market, SubtitleRules
from localize.subtitle.errors import InvalidSettingError

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


def average_char_width(font: str) -> float:
    name = font.lower()
    return next((w for prefix, w in KNOWN_CHAR_WIDTHS.items() if name.startswith(prefix)), AVERAGE_CHAR_WIDTH)


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

    play_res_x: int = 1080
    play_res_y: int = 1920
    safe_left: int = 120
    safe_right: int = 888
    safe_top: int = 288
    safe_bottom: int = 1248
    font: str = "Noto Sans"
    font_size: int = 56
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
    def for_market(cls, market: Market) -> VerticalLayout:
        """The default layout with the market's font and writing direction."""
        return cls(font=market.font, rtl=market.rtl)

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
