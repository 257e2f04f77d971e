"""Workflow requests: their chain, items and decisions; a transition applies only to the version it was decided on."""

import datetime
import json

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import (
    ItemRow,
    ViewingGrantRow,
    WorkflowRequestItemRow,
    WorkflowRequestRow,
    WorkflowStepRow,
    as_utc,
)
from appliance.domain.permissions import Action
from appliance.domain.workflow import ApprovalTier, RequestKind, RequestSnapshot, RequestState, ViewingGrant


class WorkflowRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, kind: RequestKind, chain: tuple[ApprovalTier, ...], requester: str, reason: str,
            item_ids: list[int], now: datetime.datetime, report: list[dict] = (), payload: dict | None = None) -> int:
        row = WorkflowRequestRow(kind=kind.value, state=RequestState.PENDING.value, tier=0, requester=requester,
                                 chain=json.dumps([[tier.name, tier.action.value] for tier in chain]),
                                 reason=reason, report=json.dumps(list(report), ensure_ascii=False),
                                 payload=json.dumps(payload or {}, ensure_ascii=False), version=0,
                                 created_at=now, updated_at=now)
        self.session.add(row)
        self.session.flush()
        self.session.add_all(WorkflowRequestItemRow(request_id=row.id, item_id=item_id) for item_id in item_ids)
        self.session.flush()
        return row.id

    def get(self, request_id: int) -> RequestSnapshot | None:
        row = self.session.get(WorkflowRequestRow, request_id, populate_existing=True)
        if row is None:
            return None
        deciders = self.session.scalars(
            select(WorkflowStepRow.actor).where(WorkflowStepRow.request_id == request_id,
                                                WorkflowStepRow.decision == "approve")
            .order_by(WorkflowStepRow.id))
        chain = tuple(ApprovalTier(name, Action(action)) for name, action in json.loads(row.chain))
        return RequestSnapshot(row.id, RequestKind(row.kind), RequestState(row.state), row.tier, chain,
                               row.requester, tuple(deciders), row.version)

    def item_codes(self, request_id: int) -> list[str]:
        query = (select(ItemRow.archival_code)
                 .join(WorkflowRequestItemRow, WorkflowRequestItemRow.item_id == ItemRow.id)
                 .where(WorkflowRequestItemRow.request_id == request_id).order_by(ItemRow.archival_code))
        return list(self.session.scalars(query))

    def pending_ids(self, limit: int) -> list[int]:
        query = (select(WorkflowRequestRow.id).where(WorkflowRequestRow.state == RequestState.PENDING.value)
                 .order_by(WorkflowRequestRow.id).limit(limit))
        return list(self.session.scalars(query))

    def ids_asked_by(self, requester: str, limit: int, kind: RequestKind | None = None) -> list[int]:
        query = select(WorkflowRequestRow.id).where(WorkflowRequestRow.requester == requester)
        if kind is not None:
            query = query.where(WorkflowRequestRow.kind == kind.value)
        return list(self.session.scalars(query.order_by(WorkflowRequestRow.id.desc()).limit(limit)))

    def payload(self, request_id: int) -> dict:
        return json.loads(self.session.scalar(select(WorkflowRequestRow.payload)
                                              .where(WorkflowRequestRow.id == request_id)) or "{}")

    def report(self, request_id: int) -> list[dict]:
        return json.loads(self.session.scalar(select(WorkflowRequestRow.report)
                                              .where(WorkflowRequestRow.id == request_id)) or "[]")

    def item_ids(self, request_id: int) -> list[int]:
        query = select(WorkflowRequestItemRow.item_id).where(WorkflowRequestItemRow.request_id == request_id)
        return sorted(self.session.scalars(query))

    def transition(self, request_id: int, expected_version: int, state: RequestState, tier: int,
                   now: datetime.datetime) -> bool:
        """Move the request on if nobody moved it since `expected_version`; False when somebody did."""
        result = self.session.execute(
            update(WorkflowRequestRow)
            .where(WorkflowRequestRow.id == request_id, WorkflowRequestRow.version == expected_version)
            .values(state=state.value, tier=tier, version=expected_version + 1, updated_at=now))
        return result.rowcount == 1

    def add_step(self, request_id: int, tier: int, decision: str, actor: str, reason: str,
                 now: datetime.datetime) -> None:
        self.session.add(WorkflowStepRow(request_id=request_id, tier=tier, decision=decision, actor=actor,
                                         reason=reason, decided_at=now))
        self.session.flush()

    def steps(self, request_id: int) -> list[tuple[int, str, str, str, datetime.datetime]]:
        """(tier, decision, actor, reason, when) of every decision, oldest first."""
        query = (select(WorkflowStepRow.tier, WorkflowStepRow.decision, WorkflowStepRow.actor, WorkflowStepRow.reason,
                        WorkflowStepRow.decided_at)
                 .where(WorkflowStepRow.request_id == request_id).order_by(WorkflowStepRow.id))
        return [(tier, decision, actor, reason, as_utc(when)) for tier, decision, actor, reason, when
                in self.session.execute(query)]

    # viewing grants

    def add_grants(self, request_id: int, username: str, item_ids: list[int], may_download: bool, may_print: bool,
                   now: datetime.datetime, expires_at: datetime.datetime) -> None:
        self.session.add_all(ViewingGrantRow(request_id=request_id, username=username, item_id=item_id,
                                             may_download=may_download, may_print=may_print, granted_at=now,
                                             expires_at=expires_at) for item_id in item_ids)
        self.session.flush()

    def active_grant(self, username: str, item_id: int, now: datetime.datetime) -> tuple[int, bool, bool] | None:
        """(grant id, may download, may print) of the latest grant in force, or None."""
        query = (select(ViewingGrantRow.id, ViewingGrantRow.may_download, ViewingGrantRow.may_print)
                 .where(ViewingGrantRow.username == username, ViewingGrantRow.item_id == item_id,
                        ViewingGrantRow.expires_at > now, ViewingGrantRow.ended_at.is_(None))
                 .order_by(ViewingGrantRow.expires_at.desc()).limit(1))
        row = self.session.execute(query).first()
        return None if row is None else (row.id, row.may_download, row.may_print)

    def grants_of(self, username: str, item_id: int | None = None, limit: int = 500) -> list[ViewingGrant]:
        """A person's viewing grants, newest first; on one item when named."""
        query = (select(ViewingGrantRow, ItemRow.archival_code).join(ItemRow, ItemRow.id == ViewingGrantRow.item_id)
                 .where(ViewingGrantRow.username == username))
        if item_id is not None:
            query = query.where(ViewingGrantRow.item_id == item_id)
        rows = self.session.execute(query.order_by(ViewingGrantRow.id.desc()).limit(limit))
        return [ViewingGrant(grant.id, grant.request_id, code, as_utc(grant.granted_at), as_utc(grant.expires_at),
                             as_utc(grant.ended_at) if grant.ended_at else None, grant.may_download, grant.may_print)
                for grant, code in rows]

    def grants_due(self, now: datetime.datetime) -> bool:
        query = (select(ViewingGrantRow.id)
                 .where(ViewingGrantRow.expires_at <= now, ViewingGrantRow.ended_at.is_(None)).limit(1))
        return self.session.scalar(query) is not None

    def end_expired_grants(self, now: datetime.datetime) -> list[tuple[int, str, str]]:
        """End every grant past its time; (grant id, user, item's archival code) of those ended now."""
        query = (select(ViewingGrantRow.id, ViewingGrantRow.username, ItemRow.archival_code)
                 .join(ItemRow, ItemRow.id == ViewingGrantRow.item_id)
                 .where(ViewingGrantRow.expires_at <= now, ViewingGrantRow.ended_at.is_(None)))
        ended = [tuple(row) for row in self.session.execute(query)]
        if ended:
            self.session.execute(update(ViewingGrantRow).where(ViewingGrantRow.id.in_([row[0] for row in ended]))
                                 .values(ended_at=now))
        return ended

