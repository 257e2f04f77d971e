"""Destruction lists (销毁清册), their witnesses, and what executing one purges."""

import datetime
import hashlib
from collections.abc import Iterable, Iterator

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import (
    AppraisalDecisionRow,
    BlobRow,
    DerivativeRow,
    DestructionListRow,
    DestructionWitnessRow,
    FondsRow,
    IntakeDocumentRow,
    IntakePageRow,
    ItemPageRow,
    ItemRow,
    UserRow,
    WorkflowRequestItemRow,
    WorkflowRequestRow,
    WorkflowStepRow,
    as_utc,
)
from appliance.domain.catalogue import ItemState
from appliance.domain.destruction import Approval, DestructionList, PurgePlan, Witness
from appliance.domain.jobs import page_list_digest, stamp_source
from appliance.domain.workflow import RequestState

DESTROYED = ItemState.DESTROYED.value
DEAD_REQUESTS = (RequestState.REJECTED.value, RequestState.WITHDRAWN.value)
CHUNK = 500  # digests per IN (...): well under SQLite's and PostgreSQL's parameter limits


class DestructionRepository:
    def __init__(self, session: Session):
        self.session = session

    # lists

    def lock_compiling(self, fonds: str) -> None:
        """Serialise compiling per fonds until the transaction ends: two lists at once neither share a number nor
        take the same items. SQLite writers hold the database's write lock already."""
        if self.session.get_bind().dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(f"destruction-list:{fonds}".encode()).digest()[:8], "big",
                                 signed=True)
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def next_sequence(self, fonds: str, year: int) -> int:
        highest = self.session.scalar(select(func.max(DestructionListRow.sequence))
                                      .where(DestructionListRow.fonds == fonds, DestructionListRow.year == year))
        return (highest or 0) + 1

    def add(self, number: str, fonds: str, year: int, sequence: int, request_id: int, compiled_by: str,
            now: datetime.datetime) -> int:
        row = DestructionListRow(number=number, fonds=fonds, year=year, sequence=sequence, request_id=request_id,
                                 compiled_by=compiled_by, compiled_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def set_draft_pdf(self, list_id: int, sha256: str) -> None:
        self._set(list_id, draft_pdf_sha256=sha256)

    def set_executed(self, list_id: int, final_pdf_sha256: str, now: datetime.datetime) -> None:
        self._set(list_id, final_pdf_sha256=final_pdf_sha256, destroyed_at=now)

    def add_witness(self, list_id: int, username: str, now: datetime.datetime) -> None:
        self.session.add(DestructionWitnessRow(list_id=list_id, username=username, confirmed_at=now))
        self.session.flush()

    def get(self, list_id: int, for_update: bool = False) -> DestructionList | None:
        """The list with its request's state, approvals and witnesses; `for_update` locks it (witnesses queue)."""
        row = self.session.get(DestructionListRow, list_id, with_for_update=for_update, populate_existing=True)
        if row is None:
            return None
        request = self.session.get(WorkflowRequestRow, row.request_id, populate_existing=True)
        return DestructionList(
            row.id, row.number, row.fonds, row.year, row.request_id, RequestState(request.state), request.reason,
            row.compiled_by, as_utc(row.compiled_at), self._approvals(row.request_id), self._witnesses(row.id),
            tuple(self._item_codes(row.request_id)), row.draft_pdf_sha256, row.final_pdf_sha256,
            _maybe_utc(row.destroyed_at), _maybe_utc(row.purged_at))

    def list_ids(self, limit: int) -> list[int]:
        """Newest first."""
        return list(self.session.scalars(select(DestructionListRow.id).order_by(DestructionListRow.id.desc())
                                         .limit(limit)))

    def unpurged_ids(self) -> list[int]:
        """Executed lists whose content is not purged yet: one indexed-size read when there are none."""
        return list(self.session.scalars(
            select(DestructionListRow.id).where(DestructionListRow.destroyed_at.is_not(None),
                                                DestructionListRow.purged_at.is_(None))
            .order_by(DestructionListRow.id)))

    def display_names(self, usernames: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(usernames))
        if not wanted:
            return {}
        rows = self.session.execute(select(UserRow.username, UserRow.display_name)
                                    .where(UserRow.username.in_(wanted)))
        return {username: display_name or username for username, display_name in rows}

    # appraisal decisions the lists take

    def open_decisions(self, fonds: str) -> dict[str, int]:
        """archival code → item id of the fonds' items whose current decision is destroy and that are on no live
        list (a list whose request was rejected or withdrawn lets its items go)."""
        query = (
            select(ItemRow.archival_code, ItemRow.id)
            .join(AppraisalDecisionRow, AppraisalDecisionRow.item_id == ItemRow.id)
            .join(FondsRow, FondsRow.id == ItemRow.fonds_id)
            .outerjoin(DestructionListRow, DestructionListRow.id == AppraisalDecisionRow.list_id)
            .outerjoin(WorkflowRequestRow, WorkflowRequestRow.id == DestructionListRow.request_id)
            .where(FondsRow.code == fonds, AppraisalDecisionRow.decision == "destroy",
                   AppraisalDecisionRow.current.is_(True),
                   or_(AppraisalDecisionRow.list_id.is_(None), WorkflowRequestRow.state.in_(DEAD_REQUESTS)))
            .order_by(ItemRow.archival_code)
        )
        return dict(self.session.execute(query).all())

    def take_decisions(self, item_ids: list[int], list_id: int) -> None:
        for chunk in _chunks(item_ids):
            self.session.execute(update(AppraisalDecisionRow).where(
                AppraisalDecisionRow.item_id.in_(chunk), AppraisalDecisionRow.decision == "destroy",
                AppraisalDecisionRow.current.is_(True)).values(list_id=list_id))

    def opinions(self, item_ids: list[int]) -> dict[int, str]:
        """item id → the appraisal group's reason for destroying it (鉴定意见)."""
        found = {}
        for chunk in _chunks(item_ids):
            found.update(self.session.execute(select(AppraisalDecisionRow.item_id, AppraisalDecisionRow.reason).where(
                AppraisalDecisionRow.item_id.in_(chunk), AppraisalDecisionRow.decision == "destroy",
                AppraisalDecisionRow.current.is_(True))).all())
        return found

    # executing and purging

    def mark_destroyed(self, item_ids: list[int], number: str, now: datetime.datetime) -> None:
        """The catalogue entries stay, marked destroyed with the list's number."""
        for chunk in _chunks(item_ids):
            self.session.execute(update(ItemRow).where(ItemRow.id.in_(chunk))
                                 .values(state=DESTROYED, destruction_list=number, updated_at=now))

    def destroyed_under(self, archival_code: str) -> str | None:
        """The number of the list that destroyed the item, or None while it exists."""
        return self.session.scalar(select(ItemRow.destruction_list).where(ItemRow.archival_code == archival_code,
                                                                          ItemRow.state == DESTROYED))

    def id_of(self, number: str) -> int | None:
        return self.session.scalar(select(DestructionListRow.id).where(DestructionListRow.number == number))

    def document_destroyed_under(self, document_id: int) -> str | None:
        return self.session.scalar(
            select(ItemRow.destruction_list).join(IntakeDocumentRow, IntakeDocumentRow.item_id == ItemRow.id)
            .where(IntakeDocumentRow.id == document_id, ItemRow.state == DESTROYED))

    def purge_plan(self, list_id: int) -> PurgePlan:
        """What purging the list's items removes; content shared with an item that is not destroyed stays."""
        request_id = self.session.scalar(select(DestructionListRow.request_id).where(DestructionListRow.id == list_id))
        item_ids = list(self.session.scalars(select(WorkflowRequestItemRow.item_id)
                                             .where(WorkflowRequestItemRow.request_id == request_id)))
        page_lists = self._page_lists(item_ids)
        pages = {sha256 for digests in page_lists for sha256 in digests}
        gone_pages = pages - self._kept_pages(pages)
        codes = self.session.scalars(select(ItemRow.archival_code).where(ItemRow.id.in_(item_ids)))
        sources = gone_pages | {stamp_source(code) for code in codes}
        # an access copy is named by its page list: one with a page purged can be no kept item's copy
        sources |= {page_list_digest(digests) for digests in page_lists if set(digests) & gone_pages}
        derivatives = self._derivatives(sources)
        candidates = gone_pages | {blob for *_, blob in derivatives if blob}
        purged = candidates - self._blobs_still_used(candidates, sources)
        return PurgePlan(tuple(sorted(purged)), tuple(sorted(key for *key, _ in derivatives)))

    def finish_purge(self, list_id: int, plan: PurgePlan, now: datetime.datetime) -> bool:
        """Delete the derivative rows and mark the blobs purged; False when the list was purged already."""
        marked = self.session.execute(update(DestructionListRow).where(
            DestructionListRow.id == list_id, DestructionListRow.purged_at.is_(None)).values(purged_at=now))
        if marked.rowcount != 1:
            return False
        for source, kind, generator in plan.derivatives:
            self.session.execute(delete(DerivativeRow).where(DerivativeRow.source_sha256 == source,
                                                             DerivativeRow.kind == kind,
                                                             DerivativeRow.generator == generator))
        for chunk in _chunks(plan.blobs):
            self.session.execute(update(BlobRow).where(BlobRow.sha256.in_(chunk), BlobRow.purged_at.is_(None))
                                 .values(purged_at=now))
        return True

    # helpers

    def _set(self, list_id: int, **values) -> None:
        self.session.execute(update(DestructionListRow).where(DestructionListRow.id == list_id).values(**values))

    def _approvals(self, request_id: int) -> tuple[Approval, ...]:
        rows = self.session.execute(
            select(WorkflowStepRow.actor, UserRow.display_name, WorkflowStepRow.decided_at)
            .outerjoin(UserRow, UserRow.username == WorkflowStepRow.actor)
            .where(WorkflowStepRow.request_id == request_id, WorkflowStepRow.decision == "approve")
            .order_by(WorkflowStepRow.id))
        return tuple(Approval(actor, name or actor, as_utc(when)) for actor, name, when in rows)

    def _witnesses(self, list_id: int) -> tuple[Witness, ...]:
        rows = self.session.execute(
            select(DestructionWitnessRow.username, UserRow.display_name, DestructionWitnessRow.confirmed_at)
            .outerjoin(UserRow, UserRow.username == DestructionWitnessRow.username)
            .where(DestructionWitnessRow.list_id == list_id).order_by(DestructionWitnessRow.confirmed_at))
        return tuple(Witness(username, name or username, as_utc(when)) for username, name, when in rows)

    def _item_codes(self, request_id: int) -> list[str]:
        return list(self.session.scalars(
            select(ItemRow.archival_code).join(WorkflowRequestItemRow, WorkflowRequestItemRow.item_id == ItemRow.id)
            .where(WorkflowRequestItemRow.request_id == request_id).order_by(ItemRow.archival_code)))

    def _page_lists(self, item_ids: list[int]) -> list[list[str]]:
        """The ordered pages of each item, and of each intake document that became part of one."""
        lists: dict[tuple[str, int], list[str]] = {}
        for chunk in _chunks(item_ids):
            item_pages = (select(ItemPageRow.item_id, ItemPageRow.blob_sha256).where(ItemPageRow.item_id.in_(chunk))
                          .order_by(ItemPageRow.item_id, ItemPageRow.sequence))
            for item_id, sha256 in self.session.execute(item_pages):
                lists.setdefault(("item", item_id), []).append(sha256)
            intake_pages = (select(IntakePageRow.document_id, IntakePageRow.blob_sha256)
                            .join(IntakeDocumentRow, IntakeDocumentRow.id == IntakePageRow.document_id)
                            .where(IntakeDocumentRow.item_id.in_(chunk))
                            .order_by(IntakePageRow.document_id, IntakePageRow.sequence))
            for document_id, sha256 in self.session.execute(intake_pages):
                lists.setdefault(("document", document_id), []).append(sha256)
        return list(lists.values())

    def _kept_pages(self, digests: set[str]) -> set[str]:
        """Those of the digests that are a page of an item not destroyed, or of an intake document not part of a
        destroyed item."""
        kept = set()
        for chunk in _chunks(digests):
            kept.update(self.session.scalars(
                select(ItemPageRow.blob_sha256).join(ItemRow, ItemRow.id == ItemPageRow.item_id)
                .where(ItemPageRow.blob_sha256.in_(chunk), ItemRow.state != DESTROYED)))
            kept.update(self.session.scalars(
                select(IntakePageRow.blob_sha256)
                .join(IntakeDocumentRow, IntakeDocumentRow.id == IntakePageRow.document_id)
                .outerjoin(ItemRow, ItemRow.id == IntakeDocumentRow.item_id)
                .where(IntakePageRow.blob_sha256.in_(chunk), or_(ItemRow.id.is_(None), ItemRow.state != DESTROYED))))
        return kept

    def _derivatives(self, sources: set[str]) -> list[tuple[str, str, str, str | None]]:
        found = []
        for chunk in _chunks(sources):
            found.extend(self.session.execute(
                select(DerivativeRow.source_sha256, DerivativeRow.kind, DerivativeRow.generator,
                       DerivativeRow.blob_sha256).where(DerivativeRow.source_sha256.in_(chunk))).all())
        return [tuple(row) for row in found]

    def _blobs_still_used(self, candidates: set[str], sources: set[str]) -> set[str]:
        """Candidates that something kept still names: a kept page, another source's derivative, a list's PDF."""
        used = self._kept_pages(candidates)
        for chunk in _chunks(candidates):
            used.update(blob for source, blob in self.session.execute(
                select(DerivativeRow.source_sha256, DerivativeRow.blob_sha256)
                .where(DerivativeRow.blob_sha256.in_(chunk))) if source not in sources)
            used.update(self.session.scalars(select(DestructionListRow.draft_pdf_sha256)
                                             .where(DestructionListRow.draft_pdf_sha256.in_(chunk))))
            used.update(self.session.scalars(select(DestructionListRow.final_pdf_sha256)
                                             .where(DestructionListRow.final_pdf_sha256.in_(chunk))))
        return used


def _chunks(values: Iterable) -> Iterator[list]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _maybe_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    return None if moment is None else as_utc(moment)
