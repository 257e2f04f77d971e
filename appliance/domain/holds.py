"""Legal holds (法律冻结): while litigation, an inquiry or an audit needs records as they are, nothing a hold covers
is appraised or destroyed. A hold names one item, or a class: a fonds narrowed by any of category, year, retention
and department (a hold on a whole fonds names the fonds alone)."""

import datetime
from dataclasses import dataclass

from appliance.domain.catalogue import Item
from appliance.domain.errors import ConflictError, InvalidInputError

MAX_HOLD_REASON = 1000


@dataclass(frozen=True)
class HoldScope:
    fonds: str
    item_id: int | None = None
    category: str | None = None
    year: int | None = None
    retention: str | None = None
    department: str | None = None

    def covers(self, item: Item) -> bool:
        if self.item_id is not None:
            return item.id == self.item_id
        code = item.code
        wanted = ((self.fonds, code.fonds), (self.category, code.category), (self.year, code.year),
                  (self.retention, code.retention), (self.department, code.department))
        return all(expected is None or expected == actual for expected, actual in wanted)


@dataclass(frozen=True)
class LegalHold:
    id: int
    scope: HoldScope
    reason: str
    placed_by: str
    placed_at: datetime.datetime
    item_code: str | None = None  # for a hold on one item
    released_by: str | None = None
    released_at: datetime.datetime | None = None
    release_reason: str = ""

    @property
    def active(self) -> bool:
        return self.released_at is None


def check_hold_reason(text: str) -> str:
    reason = text.strip()
    if not reason or len(reason) > MAX_HOLD_REASON:
        raise InvalidInputError(f"say why (1 to {MAX_HOLD_REASON} characters): a hold is answered for")
    return reason


def refuse_held(items: list[Item], holds: list[LegalHold], doing: str) -> None:
    """Raise ConflictError naming the first item an active hold covers, and the hold, so nothing is done."""
    for item in items:
        for hold in holds:
            if hold.active and hold.scope.covers(item):
                raise ConflictError(f"item {item.archival_code} is under legal hold {hold.id} ({hold.reason}): "
                                    f"it cannot be {doing} until the hold is released")
