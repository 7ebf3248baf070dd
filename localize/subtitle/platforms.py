"""Platform presets: where a player's own buttons and captions leave subtitles readable (9:16).

Each preset is one rectangle on the 1080x1920 phone screen. The layout (`layout.VerticalLayout.for_market`),
the QA lint (`placement.outside_safe_area`) and the rendered tests all read it from here.

Other frame sizes: the players fit a picture into their 9:16 screen (scaled to the screen's width, or to
its height when the picture is taller than 9:16; black bars fill the rest), and their buttons stay where
they are on the screen. So a picture's ASS canvas is the picture as shown on the 1080x1920 screen
(`canvas_size`: 720x1280 -> 1080x1920, 1080x1350 -> 1080x1350, 1920x1080 -> 1080x608), and its safe area
is the preset's rectangle intersected with where the picture lands, in canvas pixels (`safe_area`).
A 9:16 frame of any size gets the preset exactly; a 4:5 frame, shown with 285 px bars above and below,
keeps the preset's top and loses the rows its bars take. Fonts keep their size on the canvas, so text is
as big on the phone whatever the frame. Every preset contains the screen's centre, so the intersection is
never empty.

Adding a preset: one `Platform(...)` in `_PRESETS`, with its source (or what was assumed) in `source`.
"""

from __future__ import annotations

from dataclasses import dataclass

from localize.subtitle.errors import InvalidSettingError

SCREEN = (1080, 1920)  # the phone screen every preset is measured on


@dataclass(frozen=True)
class SafeArea:
    """A rectangle in canvas pixels; left/top inclusive, right/bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class Platform:
    """One player's safe rectangle on the 1080x1920 screen and where the figures come from."""

    name: str
    description: str
    screen_safe: SafeArea
    source: str

    def __post_init__(self) -> None:
        safe, (w, h) = self.screen_safe, SCREEN
        if not (0 <= safe.left < w // 2 < safe.right <= w and 0 <= safe.top < h // 2 < safe.bottom <= h):
            raise InvalidSettingError(f"{self.name} safe area", safe, "a rectangle on 1080x1920 around its centre")

    def safe_area(self, width: int, height: int) -> SafeArea:
        """The preset's safe area on the canvas of a `width` x `height` picture (`canvas_size`)."""
        cw, ch = canvas_size(width, height)
        ox, oy = (SCREEN[0] - cw) / 2, (SCREEN[1] - ch) / 2  # where the picture sits on the screen
        s = self.screen_safe
        return SafeArea(left=max(0, round(s.left - ox)), top=max(0, round(s.top - oy)),
                        right=min(cw, round(s.right - ox)), bottom=min(ch, round(s.bottom - oy)))


def canvas_size(width: int, height: int) -> tuple[int, int]:
    """The picture as a 9:16 player shows it on the 1080x1920 screen: the ASS PlayResX/PlayResY."""
    if width <= 0 or height <= 0:
        raise InvalidSettingError("frame size", (width, height), "positive width and height")
    scale = min(SCREEN[0] / width, SCREEN[1] / height)
    return round(width * scale), round(height * scale)


_PRESETS = (
    Platform(
        "micro-drama",
        "micro-drama apps (ReelShort, DramaBox, ShortMax...): like/share/episodes column on the right, "
        "title, progress bar and episode list at the bottom",
        SafeArea(120, 288, 888, 1248),
        # No app publishes a safe area. Assumed: the cross-platform area of DESIGN.md section 6 ("safe on
        # Reels, TikTok and vertical YouTube"): a 192 px right column and the bottom 35% (Meta's Reels figure)
        # kept clear, which also clears the episode bar these apps draw at the bottom.
        "assumed: DESIGN.md section 6 cross-platform area",
    ),
    Platform(
        "tiktok",
        "TikTok For You feed: action rail on the right, caption and sound at the bottom, tabs at the top",
        SafeArea(108, 150, 918, 1248),
        # adfuseai.com/blog/tiktok-ad-sizes-specs-guide: keep the top 150 px and right 150 px clear;
        # tikadtools.com/blog/tiktok-video-specs-for-ads: keep to the centre 80% (left 108), avoid the bottom
        # 35% (672 px) and the right 15% (162 px). We take the larger of each.
        "adfuseai.com TikTok safe zones (top/right 150 px); tikadtools.com (bottom 35%, right 15%, centre 80%)",
    ),
    Platform(
        "reels",
        "Instagram/Facebook Reels: profile and caption at the bottom, buttons on the right",
        SafeArea(65, 269, 1015, 1248),
        # Meta's Reels guidance as quoted by houseofmarketers.com/guide-to-safe-zones-tiktok-facebook-instagram-
        # stories-reels ("keep clear of top 14%, bottom 35%, sides 6%") and imagefactory.co.kr's Reels figures
        # at 1440x2560 (top 358, bottom 896, sides 86 px): the same shares, scaled to 1080x1920.
        "Meta Reels safe zone: top 14%, bottom 35%, sides 6% (houseofmarketers.com, imagefactory.co.kr)",
    ),
    Platform(
        "shorts",
        "YouTube Shorts: title, channel and subscribe button at the bottom, like/comment column on the right",
        SafeArea(120, 288, 888, 1440),
        # youraithumbnailgenerator.com/guides/youtube-shorts-safe-zones-complete-guide: the lower ~25% (480 px)
        # holds title, channel and subscribe. No published width for the right column: assumed DESIGN's 192 px,
        # and its top (288 px) for the search and menu bar.
        "bottom 25% (youraithumbnailgenerator.com); right column and top assumed from DESIGN.md section 6",
    ),
)
PLATFORMS: dict[str, Platform] = {p.name: p for p in _PRESETS}
DEFAULT_PLATFORM = "micro-drama"


def platform_names() -> tuple[str, ...]:
    return tuple(PLATFORMS)


def get_platform(name: str | Platform | None = None) -> Platform:
    """A preset by name (None: the default, micro-drama)."""
    if isinstance(name, Platform):
        return name
    key = (name or DEFAULT_PLATFORM).strip().lower()
    if key not in PLATFORMS:
        raise InvalidSettingError("platform", name, f"one of {', '.join(PLATFORMS)}")
    return PLATFORMS[key]
