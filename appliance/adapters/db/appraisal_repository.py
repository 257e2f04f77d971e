"""Appraisal decisions per item and round; the one in force is marked current."""

import datetime

from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import (
    AppraisalDecisionRow,
    DestructionListRow,
    ItemRow,
    WorkflowRequestRow,
    as_utc,
)
from appliance.domain.appraisal import AppraisalChoice, AppraisalDecision

LIVE_REQUEST_STATES = ("pending", "approved")  # a list under way or approved; rejected or withdrawn ones are dead


class AppraisalRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_items(self, item_ids: list[int]) -> None:
        """Hold the items' rows until the end of the transaction: two appraisers deciding one item at once end
        with one current decision (SQLite's writers are serialised already)."""
        query = select(ItemRow.id).where(ItemRow.id.in_(item_ids)).order_by(ItemRow.id).with_for_update()
        self.session.execute(query).all()

    def current_for(self, item_ids: list[int]) -> dict[int, AppraisalDecision]:
        """The decision in force for each of these items that has one."""
        if not item_ids:
            return {}
        query = _DECISIONS.where(AppraisalDecisionRow.item_id.in_(item_ids), AppraisalDecisionRow.current.is_(True))
        return {decision.item_id: decision for decision in map(_to_decision, self.session.execute(query))}

    def history(self, item_id: int) -> list[AppraisalDecision]:
        """Every decision on an item, oldest first: what was decided before stays."""
        query = _DECISIONS.where(AppraisalDecisionRow.item_id == item_id).order_by(AppraisalDecisionRow.id)
        return [_to_decision(row) for row in self.session.execute(query)]

    def extended_retentions(self, item_ids: list[int]) -> dict[int, str]:
        """The retention period the newest extension gave each item that was ever extended."""
        if not item_ids:
            return {}
        newest = (select(func.max(AppraisalDecisionRow.id))
                  .where(AppraisalDecisionRow.item_id.in_(item_ids),
                         AppraisalDecisionRow.decision == AppraisalChoice.EXTEND.value)
                  .group_by(AppraisalDecisionRow.item_id))
        query = select(AppraisalDecisionRow.item_id, AppraisalDecisionRow.new_retention).where(
            AppraisalDecisionRow.id.in_(newest))
        return dict(self.session.execute(query).all())

    def add(self, item_id: int, round_year: int, choice: AppraisalChoice, new_retention: str | None,
            review_year: int | None, reason: str, decided_by: str, now: datetime.datetime,
            replacing: AppraisalDecision | None) -> int | None:
        """Record a decision as the current one, the one it replaces no longer current; None (nothing written)
        when `replacing` is not the current decision any more or was put on a list meanwhile."""
        if not self._retire(item_id, replacing):
            return None
        row = AppraisalDecisionRow(item_id=item_id, round_year=round_year, decision=choice.value,
                                   new_retention=new_retention, review_year=review_year, reason=reason,
                                   decided_by=decided_by, decided_at=now, current=True)
        self.session.add(row)
        self.session.flush()
        return row.id

    def _retire(self, item_id: int, replacing: AppraisalDecision | None) -> bool:
        if replacing is None:
            return True
        listed = (AppraisalDecisionRow.list_id.is_(None) if replacing.list_id is None
                  else AppraisalDecisionRow.list_id == replacing.list_id)
        result = self.session.execute(
            update(AppraisalDecisionRow)
            .where(and_(AppraisalDecisionRow.id == replacing.id, AppraisalDecisionRow.item_id == item_id,
                        AppraisalDecisionRow.current.is_(True), listed))
            .values(current=False))
        return result.rowcount == 1


def _decisions() -> Select:
    return (select(AppraisalDecisionRow, ItemRow.archival_code, DestructionListRow.number,
                   DestructionListRow.destroyed_at, WorkflowRequestRow.state)
            .join(ItemRow, ItemRow.id == AppraisalDecisionRow.item_id)
            .outerjoin(DestructionListRow, DestructionListRow.id == AppraisalDecisionRow.list_id)
            .outerjoin(WorkflowRequestRow, WorkflowRequestRow.id == DestructionListRow.request_id))


_DECISIONS = _decisions()


def _to_decision(row) -> AppraisalDecision:
    decision, code, list_number, destroyed_at, request_state = row
    live = decision.list_id is not None and (destroyed_at is not None or request_state in LIVE_REQUEST_STATES)
    return AppraisalDecision(decision.id, decision.item_id, code, decision.round_year,
                             AppraisalChoice(decision.decision), decision.new_retention, decision.review_year,
                             decision.reason, decision.decided_by, as_utc(decision.decided_at),
                             bool(decision.current), decision.list_id, list_number, live)
