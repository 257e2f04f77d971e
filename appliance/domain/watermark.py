"""What a viewing watermark says: who looked, when, and from where, as short lines safe to draw.

The text comes partly from people (a display name), so every part is cleaned of control and format characters
(a right-to-left override could make the stamp lie) and cut to a length that fits a stamp line.
"""

import datetime
import unicodedata
from dataclasses import dataclass

MAX_NAME_LENGTH = 32
MAX_USERNAME_LENGTH = 40
MAX_SOURCE_LENGTH = 45  # the longest textual IPv6 address (IPv4-mapped)
ELLIPSIS = "…"
# Cc control, Cf format (bidi overrides, zero-width joiners), Cs/Co/Cn surrogates, private use, unassigned;
# Zl/Zp line and paragraph separators would break a stamp line in two.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_text(text: str, max_length: int) -> str:
    """`text` with control and format characters dropped, runs of whitespace made one space, cut to `max_length`
    characters (the last one an ellipsis when cut)."""
    normalised = unicodedata.normalize("NFC", text)
    kept = "".join(" " if character.isspace() else character for character in normalised
                   if unicodedata.category(character) not in _DROPPED_CATEGORIES or character.isspace())
    collapsed = " ".join(kept.split())
    if len(collapsed) <= max_length:
        return collapsed
    return collapsed[: max_length - 1].rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Watermark:
    """The identity of one view of a page: the viewer's account, the time of the view and their address.

    Raises ValueError when `moment` carries no time zone: a stamp must not guess which clock it was.
    """

    username: str
    display_name: str
    moment: datetime.datetime
    source: str

    def __post_init__(self) -> None:
        if self.moment.tzinfo is None or self.moment.utcoffset() is None:
            raise ValueError("a watermark's moment must be timezone-aware")

    def lines(self) -> tuple[str, ...]:
        """The stamp's lines: "display name (username)", the minute in UTC, the source address."""
        username = clean_text(self.username, MAX_USERNAME_LENGTH) or "?"
        name = clean_text(self.display_name, MAX_NAME_LENGTH)
        who = f"{name} ({username})" if name and name != username else username
        when = self.moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        source = clean_text(self.source, MAX_SOURCE_LENGTH) or "?"
        return who, when, source

    def text(self) -> str:
        """The lines on one line, for a strip or a log: "张三 (zhangsan) · 2026-11-27 13:05 UTC · 10.0.0.7"."""
        return " · ".join(self.lines())
