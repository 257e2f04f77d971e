"""Which audit events someone is looking for: filters checked once, and the page of events they get back.

Dates are typed in the box's time zone and compared with the stored UTC timestamps as text, which works because
every stored timestamp has the same fixed-width form (2026-11-27T01:02:03.000004Z).
"""

import datetime
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields

from appliance.domain.audit import AuditEvent
from appliance.domain.errors import InvalidInputError

MAX_FILTER_LENGTH = 200  # the widest audited column; a longer filter could never match
RESULTS = ("ok", "failure")
STORED_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
_LOCAL_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")
TEXT_FILTERS = ("actor", "action", "object_type", "object_id", "result", "source")
DATE_FILTERS = ("date_from", "date_to")


@dataclass(frozen=True)
class EventQuery:
    """Filters on the audit log; None matches anything. `action` is a prefix ("login." or "item.view").

    Raises InvalidInputError for over-long or unprintable text, an unknown result, a date that is not
    YYYY-MM-DD (optionally THH:MM), a `date_from` after `date_to`, or an unknown time zone.
    """

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    result: str | None = None
    source: str | None = None
    date_from: str | None = None  # in `timezone`; from the start of that day (or minute)
    date_to: str | None = None  # in `timezone`; to the end of that day (or minute), inclusive
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        for name in TEXT_FILTERS + DATE_FILTERS:
            _check_text(name, getattr(self, name))
        if self.action is not None:
            object.__setattr__(self, "action", self.action.lower())  # actions are lower case by convention
        if self.result is not None and self.result not in RESULTS:
            raise InvalidInputError(f"result must be one of {', '.join(RESULTS)}, not {self.result!r}")
        start, end = self.local_range()
        if start is not None and end is not None and start >= end:
            raise InvalidInputError(f"the date range starts ({self.date_from}) after it ends ({self.date_to})")

    @classmethod
    def from_form(cls, values: Mapping[str, str], timezone: str) -> "EventQuery":
        """Build from form fields (blank means no filter); raises InvalidInputError as the constructor does."""
        chosen = {name: (values.get(name) or "").strip() or None for name in TEXT_FILTERS + DATE_FILTERS}
        return cls(**chosen, timezone=timezone)

    def local_range(self) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """(first moment, first moment after) of the date range, aware, in the box's time zone."""
        zone = _zone(self.timezone)
        start = _parse_moment("date_from", self.date_from, zone)
        end = _parse_moment("date_to", self.date_to, zone)
        if end is not None:
            end += datetime.timedelta(minutes=1) if "T" in self.date_to else datetime.timedelta(days=1)
        return start, end

    def stored_range(self) -> tuple[str | None, str | None]:
        """The date range as stored timestamps: occurred_at >= first and occurred_at < second."""
        return tuple(None if moment is None else stored_timestamp(moment) for moment in self.local_range())

    def filters(self) -> dict[str, str]:
        """The filters that are set, by form field name: for links to other pages and for the audit record."""
        names = [field.name for field in fields(self) if field.name != "timezone"]
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first; `next_before` is the seq to ask for the next page with, if any."""

    events: tuple[AuditEvent, ...]
    next_before: int | None


def parse_before(text: str | None) -> int | None:
    """The `before` paging cursor: a positive whole number; raises InvalidInputError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isdecimal() and text.isascii() and len(text) <= 18 and int(text) > 0):
        raise InvalidInputError(f"before must be an event number, not {text[:40]!r}")
    return int(text)


def stored_timestamp(moment: datetime.datetime) -> str:
    """An aware datetime in the form audit events store their time: UTC, microseconds, Z."""
    return moment.astimezone(datetime.UTC).strftime(STORED_TIMESTAMP)


def _check_text(name: str, value: str | None) -> None:
    if value is None:
        return
    if len(value) > MAX_FILTER_LENGTH:
        raise InvalidInputError(f"{name} is longer than {MAX_FILTER_LENGTH} characters")
    if not value.isprintable():  # a NUL byte would make PostgreSQL refuse the query
        raise InvalidInputError(f"{name} contains control characters")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"unknown time zone {name!r}") from None


def _parse_moment(name: str, text: str | None, zone: zoneinfo.ZoneInfo) -> datetime.datetime | None:
    if text is None:
        return None
    try:
        if not _LOCAL_MOMENT.fullmatch(text):
            raise ValueError(text)
        moment = datetime.datetime.fromisoformat(text).replace(tzinfo=zone)
        if not 1900 <= moment.year <= 9998:  # far years overflow once moved to UTC or past the end of day
            raise ValueError(text)
        return moment
    except ValueError:
        raise InvalidInputError(f"{name} must be a date like 2026-01-31 (or 2026-01-31T09:30), "
                                f"not {text[:40]!r}") from None
