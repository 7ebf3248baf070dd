"""Screen furniture for evaluation episodes: what real pictures carry besides the dialogue line.

Studio screeners and repackaged episodes show more text than the dialogue: a running
timecode, a scrolling ticker, a sign in the scene, another subtitle style, another frame
size. `Look` names one such picture; `ass_events` writes its text as ASS events on the
1080x1920 canvas (libass scales it to the frame), so `localize.sample.clips` can burn it in
next to the dialogue and the benchmarks and tests can check that only the dialogue is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localize.fsutil import atomic_path
from localize.sample import video
from localize.sample.video import SubtitleStyle

TICKER = "本台消息，明日全市有小到中雨，请市民出行注意安全，交通部门提醒注意路况"
SIGN = "福满楼茶餐厅"


STYLES: dict[str, SubtitleStyle] = {
    "sans": SubtitleStyle(),
    # A Hong Kong-style line: yellow, thin outline with a shadow, high in the frame.
    "serif-yellow-high": SubtitleStyle(font="Noto Serif CJK SC", size=60, colour="&H0000E6FF", outline=2,
                                       shadow=3, centre_y=1180),
    "wenquanyi": SubtitleStyle(font="WenQuanYi Zen Hei", size=62, outline=3, shadow=2, centre_y=1560),
    # A landscape episode repackaged upright: the line sits in the black bar under the picture.
    "letterbox-bar": SubtitleStyle(size=52, outline=2, shadow=0, centre_y=1390),
    "arphic-ming": SubtitleStyle(font="AR PL UMing CN", size=66, colour="&H00F0F0F0", outline=3, shadow=0,
                                 bold=True, centre_y=1440),
}


@dataclass(frozen=True)
class Look:
    """One evaluation picture.

    size: the frame (width, height); text is laid out on 1080x1920 and scaled.
    style: the dialogue line's style (a key of STYLES).
    timecode: a running HH:MM:SS:FF timecode burned in at the top right, changing every frame.
    ticker: a line of Chinese news text scrolling right to left near the bottom, all episode long.
    sign: a shop sign in the scene (Chinese), shown over the first 60% of the episode.
    letterbox: the scene is a 16:9 strip in the middle of the upright frame, black above and below.
    """

    name: str
    size: tuple[int, int] = (video.WIDTH, video.HEIGHT)
    style: str = "sans"
    timecode: bool = False
    ticker: bool = False
    sign: bool = False
    letterbox: bool = False


LOOKS: dict[str, Look] = {look.name: look for look in (
    Look("plain"),
    Look("timecode", timecode=True),
    Look("ticker", ticker=True),
    Look("sign", sign=True),
    Look("720x1280", size=(720, 1280)),
    Look("serif-yellow-high", style="serif-yellow-high"),
    Look("wenquanyi-720", size=(720, 1280), style="wenquanyi"),
    Look("arphic-timecode", style="arphic-ming", timecode=True),
    Look("letterbox", style="letterbox-bar", letterbox=True),
)}


def letterbox(still: Path) -> Path:
    """Turn an upright still into a landscape episode shown upright: its middle 16:9 strip on black."""
    from PIL import Image

    with Image.open(still) as image:
        width, height = image.size
        strip = round(width * 9 / 16)
        top = (height - strip) // 2
        framed = Image.new("RGB", (width, height))
        framed.paste(image.crop((0, top, width, top + strip)), (0, top))
    with atomic_path(still) as tmp:
        framed.save(tmp, format="PPM")
    return still


def _time(ms: int) -> str:
    cs = round(ms / 10)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


_TAIL = "0,0,0,0,100,100,{spacing},0,{border},{outline},0,{align},0,0,0,1"


def extra_styles() -> str:
    """The furniture's ASS styles: a boxed monospace timecode, a boxed ticker, a gold shop sign."""
    return "\n".join((
        "Style: Timecode,DejaVu Sans Mono,44,&H00FFFFFF,&H00FFFFFF,&H00000000,&HA0000000,"
        + _TAIL.format(spacing=0, border=3, outline=6, align=7),
        f"Style: Ticker,{video.FONT_NAME},46,&H00FFFFFF,&H00FFFFFF,&H00302010,&H00302010,"
        + _TAIL.format(spacing=0, border=3, outline=8, align=4),
        "Style: Sign,Noto Serif CJK SC,92,&H0030C8F0,&H0030C8F0,&H00102040,&H00000000,"
        + _TAIL.format(spacing=12, border=1, outline=3, align=5).replace("0,0,0,0,100", "-1,0,0,0,100", 1),
    )) + "\n"


def timecode_events(duration_ms: int, fps: int = video.FPS, place: str = "\\an9\\pos(1020,110)") -> list[str]:
    """One event a frame: the running timecode HH:MM:SS:FF, by default at the top right (`place`: ASS tags)."""
    events = []
    for frame in range(duration_ms * fps // 1000):
        seconds, part = divmod(frame, fps)
        text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{part:02d}"
        start = frame * 1000 // fps
        events.append(f"Dialogue: 3,{_time(start)},{_time((frame + 1) * 1000 // fps)},Timecode,,0,0,0,,"
                      f"{{{place}}}{text}")
    return events


def ticker_events(duration_ms: int, y: int = 1790, crossing_ms: int = 14000) -> list[str]:
    """The ticker text crossing the frame right to left, again and again, for the whole episode."""
    width = 46 * len(TICKER) + 200
    events = []
    for start in range(0, duration_ms, crossing_ms):
        events.append(f"Dialogue: 3,{_time(start)},{_time(min(duration_ms, start + crossing_ms))},Ticker,,0,0,0,,"
                      f"{{\\move(1080,{y},{1080 - width},{y},0,{crossing_ms})}}{TICKER}")
    return events


def sign_events(duration_ms: int) -> list[str]:
    return [f"Dialogue: 0,{_time(0)},{_time(duration_ms * 6 // 10)},Sign,,0,0,0,,{{\\pos(540,420)}}{SIGN}"]


def ass_events(look: Look, duration_ms: int) -> list[str]:
    """The furniture's events for one episode."""
    events = []
    if look.timecode:
        events += timecode_events(duration_ms)
    if look.ticker:
        events += ticker_events(duration_ms)
    if look.sign:
        events += sign_events(duration_ms)
    return events
