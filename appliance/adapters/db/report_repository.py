"""The figures behind the reports: counts grouped by year, category, retention, department, day, month.

Every query over items applies `scope_clause` (and the fonds asked for): a report counts only what its reader may
see. Days and months are local, by the zone's rules: PostgreSQL converts in SQL; on SQLite rows are grouped by
their UTC hour and the hours placed in local days here.
"""

import datetime

from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session

from appliance.adapters.db.catalogue_repository import scope_clause
from appliance.adapters.db.tables import (
    AppraisalDecisionRow,
    AuditEventRow,
    BlobRow,
    DepartmentRow,
    DestructionListRow,
    FondsRow,
    IntakeDocumentRow,
    ItemPageRow,
    ItemRow,
    JobRow,
    PhysicalLoanRow,
    WorkflowRequestItemRow,
)
from appliance.domain.access import AccessScope
from appliance.domain.jobs import OCR_PAGE

ARCHIVED, DESTROYED = "archived", "destroyed"
VIEW_ACTIONS = ("item.view_page", "item.download", "item.print", "item.print_page")  # what viewing.py audits
AUDIT_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # how audit events write occurred_at: text that sorts as time


class ReportRepository:
    def __init__(self, session: Session):
        self.session = session

    def holdings(self, scope: AccessScope, fonds: str | None, as_of: datetime.datetime | None = None,
                 added_since: datetime.datetime | None = None) -> list[tuple[int, str, str, str, int, int, int, int]]:
        """(year, category, retention, department, items, pages, items added, pages added) per class of the
        holdings: the archived items now, or those held at the moment `as_of` (registered before it, not destroyed
        by then); "added" counts those registered since `added_since` (0 without it).

        One pass over the items for every grouping a report draws: they are summed from these classes. A class
        may come once per fonds. Grouped in the order of ix_items_class_number, so SQLite aggregates as it walks
        that index instead of sorting a million rows (twice as fast).
        """
        added = ItemRow.created_at >= added_since if added_since is not None else false()
        classes = (ItemRow.fonds_id, ItemRow.year, ItemRow.retention, ItemRow.category, ItemRow.department)
        query = (select(*classes[1:], func.count(), func.coalesce(func.sum(ItemRow.pages), 0),
                        func.sum(case((added, 1), else_=0)), func.sum(case((added, ItemRow.pages), else_=0)))
                 .where(*self._held(as_of), *_visible(scope, fonds)).group_by(*classes))
        return [(year, category, retention, department, items, int(pages), int(new_items or 0), int(new_pages or 0))
                for year, retention, category, department, items, pages, new_items, new_pages
                in self.session.execute(query)]

    def appraised_on(self, scope: AccessScope, fonds: str | None) -> list[tuple[int, str, str, int | None, int]]:
        """(year, retention, retention in force, year due again, items) of the holdings whose appraisal in force
        kept them on or extended their period: their period no longer says when they are due."""
        decision = AppraisalDecisionRow
        in_force = func.coalesce(decision.new_retention, ItemRow.retention)
        query = (select(ItemRow.year, ItemRow.retention, in_force, decision.review_year, func.count())
                 .join(decision, and_(decision.item_id == ItemRow.id, decision.current.is_(True),
                                      decision.decision.in_(("keep", "extend"))))
                 .where(*self._held(None), *_visible(scope, fonds))
                 .group_by(ItemRow.year, ItemRow.retention, in_force, decision.review_year))
        return [tuple(row) for row in self.session.execute(query)]

    def digitised(self, scope: AccessScope, fonds: str | None, as_of: datetime.datetime | None = None
                  ) -> tuple[int, int]:
        """(items with page images, page images) among the holdings."""
        query = (select(func.count(func.distinct(ItemPageRow.item_id)), func.count())
                 .select_from(ItemPageRow).join(ItemRow, ItemRow.id == ItemPageRow.item_id)
                 .where(*self._held(as_of), *_visible(scope, fonds)))
        items, pages = self.session.execute(query).one()
        return items or 0, pages or 0

    def department_names(self, fonds: str | None) -> dict[str, str]:
        """Department code -> name (the first name in code order where fonds name one code differently)."""
        query = select(DepartmentRow.code, func.min(DepartmentRow.name)).group_by(DepartmentRow.code)
        if fonds is not None:
            query = query.where(DepartmentRow.fonds_id == _fonds_id(fonds))
        return dict(self.session.execute(query).all())

    def documents_per_day(self, since: datetime.datetime, until: datetime.datetime, scope: AccessScope,
                          fonds: str | None, zone: datetime.tzinfo) -> dict[str, int]:
        """Local day (YYYY-MM-DD) -> intake documents received; with a narrowed view, only documents filed to an
        item it may see."""
        received = IntakeDocumentRow.received_at
        query = select(self._bucket(received, zone, "day")).where(received >= since, received < until)
        if _narrowed(scope, fonds):
            query = query.where(_visible_item(IntakeDocumentRow.item_id, scope, fonds))
        return self._grouped(query, zone, "day")

    def ocr_pages_per_day(self, since: datetime.datetime, until: datetime.datetime, scope: AccessScope,
                          fonds: str | None, zone: datetime.tzinfo) -> dict[str, int]:
        """Local day -> pages whose OCR job finished; with a narrowed view, only pages of items it may see."""
        finished = JobRow.finished_at
        query = select(self._bucket(finished, zone, "day")).where(
            JobRow.kind == OCR_PAGE, JobRow.state == "done", finished >= since, finished < until)
        if _narrowed(scope, fonds):
            page_of_visible = (select(ItemPageRow.item_id).join(ItemRow, ItemRow.id == ItemPageRow.item_id)
                               .where(JobRow.dedupe_key == f"{OCR_PAGE}:" + ItemPageRow.blob_sha256,
                                      *_visible(scope, fonds)))
            query = query.where(exists(page_of_visible))
        return self._grouped(query, zone, "day")

    def views_and_loans(self, since: datetime.datetime, until: datetime.datetime, scope: AccessScope,
                        fonds: str | None) -> dict[int, list[int]]:
        """Item id -> [content views (pages viewed, downloads, prints), loans issued] in [since, until)."""
        views = (select(ItemRow.id, func.count()).select_from(AuditEventRow)
                 .join(ItemRow, ItemRow.archival_code == AuditEventRow.object_id)
                 .where(AuditEventRow.object_type == "item", AuditEventRow.action.in_(VIEW_ACTIONS),
                        AuditEventRow.occurred_at >= since.astimezone(datetime.UTC).strftime(AUDIT_TIME),
                        AuditEventRow.occurred_at < until.astimezone(datetime.UTC).strftime(AUDIT_TIME),
                        *_visible(scope, fonds)).group_by(ItemRow.id))
        # loans of the period first, each item looked up by its key: joining the other way round, SQLite walks
        # a million items to find a handful of loans
        loans = (select(PhysicalLoanRow.item_id, func.count())
                 .where(PhysicalLoanRow.issued_at >= since, PhysicalLoanRow.issued_at < until,
                        _visible_item(PhysicalLoanRow.item_id, scope, fonds))
                 .group_by(PhysicalLoanRow.item_id))
        counts: dict[int, list[int]] = {}
        for position, query in enumerate((views, loans)):
            for item_id, count in self.session.execute(query):
                counts.setdefault(item_id, [0, 0])[position] = count
        return counts

    def item_names(self, item_ids: list[int]) -> dict[int, tuple[str, str]]:
        """Item id -> (archival code, title)."""
        if not item_ids:
            return {}
        query = select(ItemRow.id, ItemRow.archival_code, ItemRow.title).where(ItemRow.id.in_(item_ids))
        return {item_id: (code, title) for item_id, code, title in self.session.execute(query)}

    def bytes_per_month(self, scope: AccessScope, fonds: str | None, zone: datetime.tzinfo) -> dict[str, int]:
        """Local month (YYYY-MM) -> bytes stored then and still held; with a narrowed view, only the page images
        of items it may see (derivatives and intake leftovers are the box's, not an item's)."""
        query = select(self._bucket(BlobRow.created_at, zone, "month"), BlobRow.size.label("size")
                       ).where(BlobRow.purged_at.is_(None))
        if _narrowed(scope, fonds):
            pages = (select(ItemPageRow.blob_sha256).join(ItemRow, ItemRow.id == ItemPageRow.item_id)
                     .where(*_visible(scope, fonds)))
            query = query.where(BlobRow.sha256.in_(pages))
        return self._grouped(query, zone, "month", summed=True)

    def appraisal_decisions(self, start: datetime.datetime, end: datetime.datetime, scope: AccessScope,
                            fonds: str | None) -> dict[str, int]:
        """Decision (keep, extend, destroy) -> items decided in [start, end)."""
        query = (select(AppraisalDecisionRow.decision, func.count())
                 .where(AppraisalDecisionRow.decided_at >= start, AppraisalDecisionRow.decided_at < end,
                        _visible_item(AppraisalDecisionRow.item_id, scope, fonds))
                 .group_by(AppraisalDecisionRow.decision))
        return dict(self.session.execute(query).all())

    def destroyed(self, start: datetime.datetime, end: datetime.datetime, scope: AccessScope, fonds: str | None
                  ) -> tuple[int, int, int]:
        """(items, pages, destruction lists) destroyed in [start, end)."""
        # from the lists to their items by the request that listed them: items.destruction_list has no index
        query = (select(func.count(), func.coalesce(func.sum(ItemRow.pages), 0),
                        func.count(func.distinct(DestructionListRow.id)))
                 .select_from(DestructionListRow)
                 .join(WorkflowRequestItemRow, WorkflowRequestItemRow.request_id == DestructionListRow.request_id)
                 .join(ItemRow, ItemRow.id == WorkflowRequestItemRow.item_id)
                 .where(DestructionListRow.destroyed_at >= start, DestructionListRow.destroyed_at < end,
                        ItemRow.state == DESTROYED, ItemRow.destruction_list == DestructionListRow.number,
                        *_visible(scope, fonds)))
        items, pages, lists = self.session.execute(query).one()
        return items, int(pages), lists

    def _held(self, as_of: datetime.datetime | None) -> list:
        if as_of is None:
            return [ItemRow.state == ARCHIVED]
        destroyed_later = exists(select(DestructionListRow.id).where(
            DestructionListRow.number == ItemRow.destruction_list, DestructionListRow.destroyed_at >= as_of))
        return [ItemRow.created_at < as_of,
                or_(ItemRow.state == ARCHIVED, and_(ItemRow.state == DESTROYED, destroyed_later))]

    def _bucket(self, column, zone: datetime.tzinfo, unit: str):
        """What rows are grouped by: PostgreSQL the local day or month itself; SQLite the UTC hour as stored text
        (a prefix is cheap where strftime on a million rows is not), made local in Python by _grouped."""
        if self.session.get_bind().dialect.name == "postgresql":
            local = func.to_char(func.timezone(str(zone), column), "YYYY-MM-DD" if unit == "day" else "YYYY-MM")
            return local.label("bucket")
        return func.substr(column, 1, len("YYYY-MM-DD HH")).label("bucket")

    def _grouped(self, query, zone: datetime.tzinfo, unit: str, summed: bool = False) -> dict[str, int]:
        """Local day or month -> rows (or the sum of their `size`)."""
        inner = query.subquery()  # grouping on the subquery's column: PostgreSQL sees one expression, not two
        measure = func.sum(inner.c.size) if summed else func.count()
        rows = self.session.execute(select(inner.c.bucket, measure).group_by(inner.c.bucket)).all()
        if self.session.get_bind().dialect.name == "postgresql":
            return {bucket: int(value) for bucket, value in rows}
        found: dict[str, int] = {}
        for hour, value in rows:
            stamp = datetime.datetime.strptime(hour.replace("T", " "), "%Y-%m-%d %H")  # rows written as ISO too
            moment = stamp.replace(tzinfo=datetime.UTC).astimezone(zone)
            key = moment.strftime("%Y-%m-%d" if unit == "day" else "%Y-%m")
            found[key] = found.get(key, 0) + int(value)
        return found


def _fonds_id(fonds: str):
    return select(FondsRow.id).where(FondsRow.code == fonds).scalar_subquery()


def _narrowed(scope: AccessScope, fonds: str | None) -> bool:
    """Whether the reader sees less than the whole box: then box-wide work (unfiled documents) is left out."""
    return bool(scope_clause(scope)) or fonds is not None


def _visible_item(item_id, scope: AccessScope, fonds: str | None):
    """The row's item may be seen: looked up by its key for each row, so the rows lead and the items follow."""
    return exists(select(ItemRow.id).where(ItemRow.id == item_id, *_visible(scope, fonds)))


def _visible(scope: AccessScope, fonds: str | None) -> list:
    clauses = scope_clause(scope)
    if fonds is not None:
        clauses.append(ItemRow.fonds_id == _fonds_id(fonds))
    return clauses
