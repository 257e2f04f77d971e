"""Capture records: scan batches, delivered documents and pages, agent heartbeats, scan requests."""

import json

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import (
    AgentStatusRow,
    IntakeDocumentRow,
    IntakePageRow,
    ItemRow,
    ScanBatchRow,
    ScanRequestRow,
    utc_now,
)
from appliance.adapters.db.upsert import dialect_insert
from appliance.domain.errors import ConflictError
from appliance.domain.intake import IntakeReceipt, IntakeState
from appliance.domain.scanning import AgentReport, BatchRecord, IntakeDocumentView, ScanRequest


class IntakeRepository:
    def __init__(self, session: Session):
        self.session = session

    # documents

    def find_receipt(self, document_key: str) -> IntakeReceipt | None:
        query = (select(IntakeDocumentRow, ItemRow.archival_code)
                 .outerjoin(ItemRow, ItemRow.id == IntakeDocumentRow.item_id)
                 .where(IntakeDocumentRow.document_key == document_key))
        found = self.session.execute(query).first()
        if found is None:
            return None
        row, code = found
        return IntakeReceipt(row.id, IntakeState(row.state), code, row.reason, replay=True)

    def ensure_batch(self, batch_id: str, agent: str, origin: str, device: str, operator: str,
                     started_at: str) -> None:
        """Record a batch the first time one of its documents or its report arrives (concurrent ones included)."""
        self.session.execute(dialect_insert(self.session, ScanBatchRow).values(
            id=batch_id, agent=agent, origin=origin, device=device, operator=operator, state="scanning",
            started_at=started_at, report="{}", updated_at=utc_now()).on_conflict_do_nothing(index_elements=["id"]))

    def add_document(self, document_key: str, batch_id: str, sequence: int, cover_payload: str | None,
                     state: IntakeState, item_id: int | None, reason: str | None, capture: dict) -> int:
        row = IntakeDocumentRow(document_key=document_key, batch_id=batch_id, sequence=sequence,
                                cover_payload=cover_payload, state=state.value, item_id=item_id, reason=reason,
                                capture=json.dumps(capture, ensure_ascii=False, sort_keys=True))
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:
            raise ConflictError(f"document {document_key} was delivered already") from error
        return row.id

    def add_pages(self, document_id: int, pages: list[dict]) -> None:
        for sequence, page in enumerate(pages, start=1):
            self.session.add(IntakePageRow(document_id=document_id, sequence=sequence, **page))
        self.session.flush()

    def documents(self, state: IntakeState | None = None, batch_id: str | None = None,
                  limit: int = 200) -> list[IntakeDocumentView]:
        query = (select(IntakeDocumentRow, ItemRow.archival_code, func.count(IntakePageRow.sequence))
                 .outerjoin(ItemRow, ItemRow.id == IntakeDocumentRow.item_id)
                 .outerjoin(IntakePageRow, IntakePageRow.document_id == IntakeDocumentRow.id)
                 .group_by(IntakeDocumentRow.id, ItemRow.archival_code)
                 .order_by(IntakeDocumentRow.id).limit(limit))
        if state is not None:
            query = query.where(IntakeDocumentRow.state == state.value)
        if batch_id is not None:
            query = query.where(IntakeDocumentRow.batch_id == batch_id)
        return [_to_document_view(row, code, pages) for row, code, pages in self.session.execute(query)]

    def get_document(self, document_id: int, for_update: bool = False) -> IntakeDocumentView | None:
        if for_update:  # PostgreSQL: one reviewer at a time per document
            self.session.execute(select(IntakeDocumentRow.id).where(IntakeDocumentRow.id == document_id)
                                 .with_for_update())
        found = self.documents_by_ids([document_id])
        return found[0] if found else None

    def documents_by_ids(self, ids: list[int]) -> list[IntakeDocumentView]:
        query = (select(IntakeDocumentRow, ItemRow.archival_code, func.count(IntakePageRow.sequence))
                 .outerjoin(ItemRow, ItemRow.id == IntakeDocumentRow.item_id)
                 .outerjoin(IntakePageRow, IntakePageRow.document_id == IntakeDocumentRow.id)
                 .where(IntakeDocumentRow.id.in_(ids))
                 .group_by(IntakeDocumentRow.id, ItemRow.archival_code).order_by(IntakeDocumentRow.id))
        return [_to_document_view(row, code, pages) for row, code, pages in self.session.execute(query)]

    def document_key(self, document_id: int) -> str:
        return self.session.scalar(select(IntakeDocumentRow.document_key).where(IntakeDocumentRow.id == document_id))

    def set_document_filing(self, document_id: int, state: IntakeState, item_id: int | None,
                            reason: str | None) -> None:
        self.session.execute(update(IntakeDocumentRow).where(IntakeDocumentRow.id == document_id)
                             .values(state=state.value, item_id=item_id, reason=reason))

    def copy_document(self, document_id: int, document_key: str, reason: str) -> int:
        """A new document in the intake queue, of the same batch and capture as `document_id`, with no pages."""
        source = self.session.get(IntakeDocumentRow, document_id)
        return self.add_document(document_key, source.batch_id, source.sequence, None, IntakeState.INTAKE, None,
                                 reason, json.loads(source.capture))

    def move_pages(self, source_id: int, sequences: list[int], target_id: int) -> None:
        """Move pages (by their numbers in the source) to the end of the target; both are renumbered from 1."""
        chosen = set(sequences)
        rows = list(self.session.scalars(select(IntakePageRow).where(IntakePageRow.document_id == source_id)
                                         .order_by(IntakePageRow.sequence)))
        staying = [_page_values(row) for row in rows if row.sequence not in chosen]
        moving = [_page_values(row) for row in rows if row.sequence in chosen]
        target_count = self.session.scalar(select(func.count()).select_from(IntakePageRow)
                                           .where(IntakePageRow.document_id == target_id))
        for row in rows:
            self.session.delete(row)
        self.session.flush()  # the primary key (document, sequence) is reused below
        self.session.add_all(IntakePageRow(document_id=source_id, sequence=number, **page)
                             for number, page in enumerate(staying, start=1))
        self.session.add_all(IntakePageRow(document_id=target_id, sequence=number, **page)
                             for number, page in enumerate(moving, start=target_count + 1))
        self.session.flush()

    def document_pages(self, document_id: int) -> list[str]:
        query = (select(IntakePageRow.blob_sha256).where(IntakePageRow.document_id == document_id)
                 .order_by(IntakePageRow.sequence))
        return list(self.session.scalars(query))

    # batches

    def record_batch(self, batch_id: str, state: str, report: dict) -> bool:
        """Store a batch's state and report; False when the batch is unknown."""
        result = self.session.execute(
            update(ScanBatchRow).where(ScanBatchRow.id == batch_id)
            .values(state=state, report=json.dumps(report, ensure_ascii=False, sort_keys=True), updated_at=utc_now()))
        return result.rowcount == 1

    def get_batch(self, batch_id: str) -> BatchRecord | None:
        row = self.session.get(ScanBatchRow, batch_id)
        return None if row is None else _to_batch(row)

    def recent_batches(self, limit: int = 20) -> list[BatchRecord]:
        query = select(ScanBatchRow).order_by(ScanBatchRow.updated_at.desc()).limit(limit)
        return [_to_batch(row) for row in self.session.scalars(query)]

    # agents and scan requests

    def save_agent_report(self, report: AgentReport) -> None:
        row = self.session.get(AgentStatusRow, report.agent)
        state = json.dumps(report.state, ensure_ascii=False, sort_keys=True)
        if row is None:
            self.session.add(AgentStatusRow(agent=report.agent, state=state, reported_at=utc_now()))
        else:
            row.state, row.reported_at = state, utc_now()
        self.session.flush()

    def agent_reports(self) -> list[AgentReport]:
        rows = self.session.scalars(select(AgentStatusRow).order_by(AgentStatusRow.agent))
        return [AgentReport(row.agent, json.loads(row.state), row.reported_at.isoformat()) for row in rows]

    def add_scan_request(self, agent: str, device: str, preset: str, duplex: bool, requested_by: str,
                         resume_batch: str | None) -> int:
        row = ScanRequestRow(agent=agent, device=device, preset=preset, duplex=duplex, requested_by=requested_by,
                             state="pending", batch_id=resume_batch)
        self.session.add(row)
        self.session.flush()
        return row.id

    def take_scan_requests(self, agent: str) -> list[ScanRequest]:
        query = (select(ScanRequestRow).where(ScanRequestRow.agent == agent, ScanRequestRow.state == "pending")
                 .order_by(ScanRequestRow.id).with_for_update(skip_locked=True))
        rows = list(self.session.scalars(query))
        for row in rows:
            row.state, row.updated_at = "taken", utc_now()
        self.session.flush()
        return [_to_request(row) for row in rows]

    def finish_scan_request(self, request_id: int, agent: str, state: str, batch_id: str | None,
                            message: str | None) -> bool:
        result = self.session.execute(
            update(ScanRequestRow).where(ScanRequestRow.id == request_id, ScanRequestRow.agent == agent)
            .values(state=state, batch_id=batch_id, message=message, updated_at=utc_now()))
        return result.rowcount == 1

    def get_scan_request(self, request_id: int) -> ScanRequest | None:
        row = self.session.get(ScanRequestRow, request_id)
        return None if row is None else _to_request(row)


def _page_values(row: IntakePageRow) -> dict:
    return {"blob_sha256": row.blob_sha256, "resolution": row.resolution, "colour_mode": row.colour_mode,
            "side": row.side, "origin": row.origin}


def _to_document_view(row: IntakeDocumentRow, code: str | None, pages: int) -> IntakeDocumentView:
    return IntakeDocumentView(row.id, row.batch_id, row.sequence, row.cover_payload, IntakeState(row.state), code,
                              row.reason, pages, row.received_at.isoformat())


def _to_batch(row: ScanBatchRow) -> BatchRecord:
    return BatchRecord(row.id, row.agent, row.origin, row.device, row.operator, row.state, row.started_at,
                       json.loads(row.report))


def _to_request(row: ScanRequestRow) -> ScanRequest:
    return ScanRequest(row.id, row.agent, row.device, row.preset, row.duplex, row.requested_by, row.state,
                       row.batch_id, row.message)
