"""Where an ASS event's text lands on the frame, estimated, to check it against the 9:16 safe area.

The box is an estimate from the style's font size and the measured average advance of a
character (`layout.average_char_width`), the same estimate the layout uses to choose line
lengths; libass wraps lines longer than the space between the margins, which the estimate
follows. The safe area is a platform preset's (`platforms.py`; micro-drama by default: x 120-888,
y 288-1248 on 1080x1920), fitted to the script's PlayRes as the layout fits it to a frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from localize.subtitle.layout import average_char_width
from localize.subtitle.platforms import Platform, canvas_size, get_platform


@dataclass(frozen=True)
class AssPlacement:
    """One dialogue event as placed by its style and override tags (script pixels)."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    play_res: tuple[int, int]
    alignment: int  # numpad: 1-3 bottom, 4-6 middle, 7-9 top; left, centre, right
    margins: tuple[int, int, int]  # left, right, vertical
    pos: tuple[float, float] | None
    font_size: float
    font: str = ""


@dataclass(frozen=True)
class TextBox:
    x0: float
    y0: float
    x1: float
    y1: float


def text_box(placement: AssPlacement, line_spacing: float = 1.2) -> TextBox:
    """The estimated rectangle the event's text covers."""
    res_x, res_y = placement.play_res
    left, right, vertical = placement.margins
    column, row = (placement.alignment - 1) % 3, (placement.alignment - 1) // 3
    advance = average_char_width(placement.font) * placement.font_size
    room = max(advance, res_x - left - right) if placement.pos is None else float(res_x)
    widths = [len(line) * advance for line in placement.lines] or [0.0]
    wrapped = sum(max(1, -(-int(w) // int(room))) for w in widths)  # lines after libass wraps
    width = min(max(widths), room)
    height = wrapped * placement.font_size * line_spacing
    if placement.pos is not None:
        x, y = placement.pos
    else:
        x = (left, (left + res_x - right) / 2, res_x - right)[column]
        y = (res_y - vertical, res_y / 2, vertical)[row]
    x0 = x - width * (0.0, 0.5, 1.0)[column]
    y0 = y - height * (1.0, 0.5, 0.0)[row]
    return TextBox(x0, y0, x0 + width, y0 + height)


def safe_area(play_res: tuple[int, int], platform: Platform | str | None = None) -> TextBox:
    """The platform preset's safe area in a script's PlayRes coordinates (any size or aspect ratio)."""
    canvas = canvas_size(*play_res)
    safe = get_platform(platform).safe_area(*canvas)
    sx, sy = play_res[0] / canvas[0], play_res[1] / canvas[1]
    return TextBox(safe.left * sx, safe.top * sy, safe.right * sx, safe.bottom * sy)


def outside_safe_area(placement: AssPlacement, platform: Platform | str | None = None) -> str:
    """"" when the text stays inside the safe area, else which sides it crosses and by how much."""
    box, safe = text_box(placement), safe_area(placement.play_res, platform)
    sides = [(name, over) for name, over in (
        ("left", safe.x0 - box.x0), ("right", box.x1 - safe.x1),
        ("top", safe.y0 - box.y0), ("bottom", box.y1 - safe.y1)) if over > 0.5]
    return ", ".join(f"{over:.0f} px past the {name}" for name, over in sides)
