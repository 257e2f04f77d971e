"""Legal holds: placed, released, and the active ones that may cover some items."""

import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import ItemRow, LegalHoldRow, as_utc
from appliance.domain.holds import HoldScope, LegalHold


class HoldRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, scope: HoldScope, reason: str, placed_by: str, now: datetime.datetime) -> int:
        row = LegalHoldRow(fonds=scope.fonds, item_id=scope.item_id, category=scope.category, year=scope.year,
                           retention=scope.retention, department=scope.department, reason=reason,
                           placed_by=placed_by, placed_at=now, release_reason="")
        self.session.add(row)
        self.session.flush()
        return row.id

    def get(self, hold_id: int) -> LegalHold | None:
        row = self.session.execute(_HOLDS.where(LegalHoldRow.id == hold_id)).first()
        return None if row is None else _to_hold(row)

    def release(self, hold_id: int, released_by: str, reason: str, now: datetime.datetime) -> bool:
        """Release an active hold; False when it is unknown or released already (by someone a moment ago)."""
        result = self.session.execute(
            update(LegalHoldRow).where(LegalHoldRow.id == hold_id, LegalHoldRow.released_at.is_(None))
            .values(released_by=released_by, released_at=now, release_reason=reason))
        return result.rowcount == 1

    def active(self, fonds: str | None = None) -> list[LegalHold]:
        """Holds not released, oldest first; of one fonds when named."""
        query = _HOLDS.where(LegalHoldRow.released_at.is_(None))
        if fonds is not None:
            query = query.where(LegalHoldRow.fonds == fonds)
        return [_to_hold(row) for row in self.session.execute(query.order_by(LegalHoldRow.id))]

    def all(self, limit: int = 500) -> list[LegalHold]:
        """Every hold, newest first, released ones too: the register of holds is evidence."""
        query = _HOLDS.order_by(LegalHoldRow.id.desc()).limit(limit)
        return [_to_hold(row) for row in self.session.execute(query)]

    def active_for_fonds_of(self, fonds_codes: set[str]) -> list[LegalHold]:
        """The active holds that could cover items of these fonds (check them with `HoldScope.covers`)."""
        if not fonds_codes:
            return []
        query = _HOLDS.where(LegalHoldRow.released_at.is_(None), or_(*(LegalHoldRow.fonds == code
                                                                        for code in sorted(fonds_codes))))
        return [_to_hold(row) for row in self.session.execute(query.order_by(LegalHoldRow.id))]


_HOLDS = select(LegalHoldRow, ItemRow.archival_code).outerjoin(ItemRow, ItemRow.id == LegalHoldRow.item_id)


def _to_hold(row) -> LegalHold:
    hold, item_code = row
    scope = HoldScope(hold.fonds, hold.item_id, hold.category, hold.year, hold.retention, hold.department)
    return LegalHold(hold.id, scope, hold.reason, hold.placed_by, as_utc(hold.placed_at), item_code,
                     hold.released_by, as_utc(hold.released_at) if hold.released_at else None, hold.release_reason)
