"""Catalogue repository: fonds, categories, departments, class counters and items."""

from collections.abc import Iterable, Iterator

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from appliance.adapters.db.bulk_insert import ITEM_COLUMNS, insert_items
from appliance.adapters.db.tables import (
    NO_DEPARTMENT,
    AppraisalDecisionRow,
    BlobRow,
    CategoryRow,
    ClassCounterRow,
    DepartmentRow,
    FondsRow,
    ItemPageRow,
    ItemRow,
    utc_now,
)
from appliance.adapters.db.upsert import dialect_insert
from appliance.domain.access import EVERYTHING, LABEL_ORDER, AccessScope
from appliance.domain.blobs import BlobRef
from appliance.domain.catalogue import AccessLabel, Fonds, Item, ItemFields, ItemFilter, ItemOrder, ItemState, Scheme
from appliance.domain.catalogue_tree import ClassCount
from appliance.domain.codes import ArchivalCode, ClassKey

ITEMS = ItemRow.__table__
_DECISIONS = AppraisalDecisionRow.__table__
_ITEM_COLUMNS = (
    ITEMS.c.id,
    FondsRow.code.label("fonds"),
    ITEMS.c.category,
    ITEMS.c.year,
    ITEMS.c.retention,
    ITEMS.c.department,
    ITEMS.c.item_number,
    ITEMS.c.title,
    ITEMS.c.supplied_title,
    ITEMS.c.date,
    ITEMS.c.responsible,
    ITEMS.c.doc_number,
    ITEMS.c.access_label,
    ITEMS.c.pages,
    ITEMS.c.notes,
    ITEMS.c.state,
    ITEMS.c.created_at,
)

# Code order; matches the unique index ix_items_class_number after its leading fonds_id.
_ORDER = (ITEMS.c.year, ITEMS.c.retention, ITEMS.c.category, ITEMS.c.department, ITEMS.c.item_number)


class CatalogueRepository:
    def __init__(self, session: Session):
        self.session = session
        self._fonds_ids: dict[str, int] = {}

    # fonds, categories, departments

    def add_fonds(self, fonds: Fonds) -> None:
        self.session.add(FondsRow(code=fonds.code, name=fonds.name, scheme=fonds.scheme.value))
        self.session.flush()

    def get_fonds(self, code: str) -> Fonds | None:
        row = self.session.scalar(select(FondsRow).where(FondsRow.code == code))
        return None if row is None else Fonds(row.code, row.name, Scheme(row.scheme))

    def list_fonds(self) -> list[Fonds]:
        rows = self.session.scalars(select(FondsRow).order_by(FondsRow.code))
        return [Fonds(row.code, row.name, Scheme(row.scheme)) for row in rows]

    def set_scheme(self, fonds_code: str, scheme: Scheme) -> None:
        self.session.execute(update(FondsRow).where(FondsRow.code == fonds_code).values(scheme=scheme.value))

    def add_category(self, code: str, name: str) -> None:
        self.session.add(CategoryRow(code=code, name=name))
        self.session.flush()

    def categories(self) -> dict[str, str]:
        return dict(self.session.execute(select(CategoryRow.code, CategoryRow.name).order_by(CategoryRow.code)).all())

    def add_department(self, fonds_code: str, code: str, name: str) -> None:
        self.session.add(DepartmentRow(fonds_id=self._fonds_id(fonds_code), code=code, name=name))
        self.session.flush()

    def departments(self, fonds_code: str) -> dict[str, str]:
        query = (
            select(DepartmentRow.code, DepartmentRow.name)
            .where(DepartmentRow.fonds_id == self._fonds_id(fonds_code))
            .order_by(DepartmentRow.code)
        )
        return dict(self.session.execute(query).all())

    # item numbers

    def allocate_item_number(self, key: ClassKey) -> int:
        """Lock the class counter and return the next number; numbers are never handed out twice."""
        values = self._counter_key(key)
        self.session.execute(self._insert(ClassCounterRow).values(**values, last_number=0).on_conflict_do_nothing())
        where = and_(*(getattr(ClassCounterRow, name) == value for name, value in values.items()))
        last = self.session.scalar(select(ClassCounterRow.last_number).where(where).with_for_update())
        self.session.execute(update(ClassCounterRow).where(where).values(last_number=last + 1))
        return last + 1

    def raise_counters(self, highest: dict[ClassKey, int]) -> None:
        """Make each class counter at least the highest number imported into it."""
        for key, number in highest.items():
            values = self._counter_key(key)
            statement = self._insert(ClassCounterRow).values(**values, last_number=number)
            statement = statement.on_conflict_do_update(
                index_elements=list(values),
                set_={"last_number": func.max(ClassCounterRow.last_number, number)}
                if self.session.bind.dialect.name == "sqlite"
                else {"last_number": func.greatest(ClassCounterRow.last_number, number)},
            )
            self.session.execute(statement)

    def existing_numbers(self, key: ClassKey) -> set[int]:
        query = select(ITEMS.c.item_number).where(*self._class_clause(key))
        return set(self.session.scalars(query))

    # items

    def add_item(self, code: ArchivalCode, fields: ItemFields, state: ItemState) -> int:
        now = utc_now()
        values = dict(zip(ITEM_COLUMNS, self._item_row(code, fields, state), strict=False))
        result = self.session.execute(ITEMS.insert().values(**values, created_at=now, updated_at=now))
        return result.inserted_primary_key[0]

    def add_items(self, rows: Iterable[tuple[ArchivalCode, ItemFields]], state: ItemState) -> int:
        """Insert many items, streamed through the driver; returns how many.

        The rows may be produced lazily, but producing them must not query this unit of work:
        its connection is busy with the bulk insert until the last row is in.
        """
        self._load_fonds_ids()
        tuples = (self._item_row(code, fields, state) for code, fields in rows)
        return insert_items(self.session.connection(), tuples, utc_now())

    def update_fields(self, item_id: int, fields: ItemFields) -> None:
        values = {"title": fields.title, "supplied_title": fields.supplied_title, "date": fields.date,
                  "responsible": fields.responsible, "doc_number": fields.doc_number,
                  "access_label": fields.access_label.value, "pages": fields.pages, "notes": fields.notes}
        self.session.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(**values, updated_at=utc_now()))

    def set_state(self, item_ids: list[int], state: ItemState) -> None:
        self.session.execute(update(ITEMS).where(ITEMS.c.id.in_(item_ids)).values(state=state.value,
                                                                                   updated_at=utc_now()))

    def set_pages(self, item_id: int, pages: int) -> None:
        self.session.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(pages=pages, updated_at=utc_now()))

    def get_item(self, archival_code: str) -> Item | None:
        row = self.session.connection().execute(_ITEM_BY_CODE, {"code": archival_code}).first()
        return None if row is None else _to_item(row)

    def get_item_with_pages(self, archival_code: str) -> tuple[Item, list[BlobRef]] | None:
        """The item and its page blobs in one round trip: the item page is the most frequent read."""
        rows = self.session.connection().execute(_ITEM_WITH_PAGES_BY_CODE, {"code": archival_code}).all()
        if not rows:
            return None
        pages = [BlobRef(row.sha256, row.sm3, row.size, row.media_type) for row in rows if row.sha256 is not None]
        return _to_item(rows[0]), pages

    def list_items(self, item_filter: ItemFilter, after: ArchivalCode | None, limit: int,
                   scope: AccessScope = EVERYTHING, order: ItemOrder = ItemOrder.CODE,
                   after_date: str | None = None) -> list[Item]:
        """One page of the items `scope` may see, sorted by `order`, after the item `after` (whose date is
        `after_date` when sorting by date): keyset paging, so deep pages stay fast."""
        columns = (ITEMS.c.date, *_ORDER) if order.by_date else _ORDER
        query = (self._filtered(item_filter).where(*scope_clause(scope)).order_by(None)
                 .order_by(*(column.desc() if order.descending else column for column in columns)))
        if after is not None:
            position = (after.year, after.retention, after.category, after.department or NO_DEPARTMENT,
                        after.item_number)
            open_columns = list(zip(_ORDER, position, strict=True))
            if order.by_date:
                open_columns.insert(0, (ITEMS.c.date, after_date or ""))
            else:
                # Compare only the columns the filter leaves open: SQLite then walks the index from
                # the position instead of scanning the whole class range.
                pinned = {column.key for column in _conditions(item_filter)}
                open_columns = [(column, value) for column, value in open_columns if column.key not in pinned]
            left, right = tuple_(*(c for c, _ in open_columns)), tuple(v for _, v in open_columns)
            query = query.where(left < right if order.descending else left > right)
        return [_to_item(row) for row in self.session.execute(query.limit(limit))]

    def expired_items(self, fonds_code: str, due_years: dict[str, int], after: ArchivalCode | None, limit: int,
                      scope: AccessScope = EVERYTHING, round_year: int | None = None) -> list[Item]:
        """Archived items whose retention ran out: for each period, filed in or before its due year; code order.

        With `round_year`, items a decision in force keeps off that round's list (kept or extended) are left out.
        """
        query = _item_query().where(*self._expired(fonds_code, due_years, scope)).order_by(*_ORDER)
        if round_year is not None:
            query = query.where(~exists().where(_DECISIONS.c.item_id == ITEMS.c.id, *_put_off(round_year)))
        if after is not None:
            position = (after.year, after.retention, after.category, after.department or NO_DEPARTMENT,
                        after.item_number)
            query = query.where(tuple_(*_ORDER) > position)
        return [_to_item(row) for row in self.session.execute(query.limit(limit))]

    def count_expired(self, fonds_code: str, due_years: dict[str, int], scope: AccessScope = EVERYTHING,
                      round_year: int | None = None) -> dict[tuple[int, str], int]:
        """How many items are due, per (year, retention); with `round_year`, less those put off beyond it."""
        conditions = self._expired(fonds_code, due_years, scope)
        group = (ITEMS.c.year, ITEMS.c.retention)
        query = select(*group, func.count()).select_from(ITEMS).where(*conditions).group_by(*group)
        counts = {(year, retention): count for year, retention, count in self.session.execute(query)}
        if round_year is None:
            return counts
        # Decisions are few next to items: counting those put off and taking them away is far cheaper than
        # asking, for each of a million items, whether a decision keeps it off the list.
        put_off = (select(*group, func.count()).select_from(_DECISIONS.join(ITEMS, ITEMS.c.id == _DECISIONS.c.item_id))
                   .where(*_put_off(round_year), *conditions).group_by(*group))
        for year, retention, count in self.session.execute(put_off):
            counts[(year, retention)] -= count
        return {key: count for key, count in counts.items() if count > 0}

    def _expired(self, fonds_code: str, due_years: dict[str, int], scope: AccessScope) -> list:
        periods = [and_(ITEMS.c.retention == retention, ITEMS.c.year <= year) for retention, year in due_years.items()]
        return [ITEMS.c.fonds_id == self._fonds_id(fonds_code), ITEMS.c.state == ItemState.ARCHIVED.value,
                or_(*periods), *scope_clause(scope)]

    def items_in_state(self, state: ItemState, limit: int, scope: AccessScope = EVERYTHING) -> list[Item]:
        """Items of every fonds in a state, newest first (the intake queue's items to describe)."""
        query = (_item_query().where(ITEMS.c.state == state.value, *scope_clause(scope))
                 .order_by(ITEMS.c.created_at.desc(), ITEMS.c.id.desc()).limit(limit))
        return [_to_item(row) for row in self.session.execute(query)]

    def iterate_items(self, item_filter: ItemFilter) -> Iterator[Item]:
        result = self.session.execute(self._filtered(item_filter), execution_options={"yield_per": 2000})
        for row in result:
            yield _to_item(row)

    def stored_items(self, fonds_code: str) -> Iterator[tuple[str, Item]]:
        """(archival code as stored, item built from its parts) for every item of a fonds."""
        query = self._filtered(ItemFilter(fonds_code)).add_columns(ITEMS.c.archival_code.label("stored_code"))
        for row in self.session.execute(query, execution_options={"yield_per": 2000}):
            yield row.stored_code, _to_item(row)

    def class_counts(self, fonds_code: str, scope: AccessScope = EVERYTHING) -> list[ClassCount]:
        """Items per (year, retention, department) of a fonds that the scope may see."""
        query = (select(ITEMS.c.year, ITEMS.c.retention, ITEMS.c.department, func.count())
                 .where(ITEMS.c.fonds_id == self._fonds_id(fonds_code), *scope_clause(scope))
                 .group_by(ITEMS.c.year, ITEMS.c.retention, ITEMS.c.department))
        return [ClassCount(year, retention, department or None, items)
                for year, retention, department, items in self.session.execute(query)]

    def count_items(self, fonds_code: str, scope: AccessScope = EVERYTHING) -> int:
        query = (select(func.count()).select_from(ITEMS)
                 .where(ITEMS.c.fonds_id == self._fonds_id(fonds_code), *scope_clause(scope)))
        return self.session.scalar(query)

    def class_numbers(self, fonds_code: str) -> Iterator[tuple[ClassKey, int]]:
        """(class, item number) of every item of a fonds, in class and number order."""
        query = (
            select(ITEMS.c.category, ITEMS.c.year, ITEMS.c.retention, ITEMS.c.department, ITEMS.c.item_number)
            .where(ITEMS.c.fonds_id == self._fonds_id(fonds_code))
            .order_by(*_ORDER)
        )
        for category, year, retention, department, number in self.session.execute(query):
            yield ClassKey(fonds_code, category, year, retention, department or None), number

    # helpers

    def _load_fonds_ids(self) -> None:
        rows = self.session.execute(select(FondsRow.code, FondsRow.id))
        self._fonds_ids.update({code: fonds_id for code, fonds_id in rows})

    def _fonds_id(self, code: str) -> int:
        if code not in self._fonds_ids:
            fonds_id = self.session.scalar(select(FondsRow.id).where(FondsRow.code == code))
            if fonds_id is None:
                raise LookupError(code)
            self._fonds_ids[code] = fonds_id
        return self._fonds_ids[code]

    def _insert(self, table):
        return dialect_insert(self.session, table)

    def _counter_key(self, key: ClassKey) -> dict:
        return {
            "fonds_id": self._fonds_id(key.fonds),
            "category": key.category,
            "year": key.year,
            "retention": key.retention,
            "department": key.department or NO_DEPARTMENT,
        }

    def _class_clause(self, key: ClassKey) -> list:
        return [
            ITEMS.c.fonds_id == self._fonds_id(key.fonds),
            ITEMS.c.year == key.year,
            ITEMS.c.retention == key.retention,
            ITEMS.c.category == key.category,
            ITEMS.c.department == (key.department or NO_DEPARTMENT),
        ]

    def _item_row(self, code: ArchivalCode, fields: ItemFields, state: ItemState) -> tuple:
        """An item's values in ITEM_COLUMNS order, without the two timestamps."""
        return (
            self._fonds_id(code.fonds), code.category, code.year, code.retention, code.department or NO_DEPARTMENT,
            code.item_number, code.format(), fields.doc_number, fields.responsible, fields.title,
            fields.supplied_title, fields.date, fields.access_label.value, fields.pages, fields.notes, state.value,
        )

    def _filtered(self, item_filter: ItemFilter) -> Select:
        query = _item_query().where(ITEMS.c.fonds_id == self._fonds_id(item_filter.fonds))
        for column, value in _conditions(item_filter).items():
            query = query.where(column == value)
        return query.order_by(*_ORDER)


def _conditions(item_filter: ItemFilter) -> dict:
    """The columns a filter pins, with their values."""
    values = {
        ITEMS.c.year: item_filter.year,
        ITEMS.c.retention: item_filter.retention,
        ITEMS.c.category: item_filter.category,
        ITEMS.c.department: item_filter.department,
        ITEMS.c.state: item_filter.state.value if item_filter.state else None,
    }
    return {column: value for column, value in values.items() if value is not None}


def _put_off(round_year: int) -> list:
    """The conditions on decisions in force that keep their item off the expiry list of `round_year`: kept or
    extended beyond it."""
    return [_DECISIONS.c.current.is_(True), _DECISIONS.c.decision.in_(("keep", "extend")),
            or_(_DECISIONS.c.review_year.is_(None), _DECISIONS.c.review_year > round_year)]


def scope_clause(scope: AccessScope, labels=ITEMS.c.access_label, departments=ITEMS.c.department) -> list:
    """The conditions that keep out what the scope may not see; none for a scope that sees everything. The one
    rule of visibility: every repository that lists items applies it (to the items' columns, or to copies of them
    such as the search index's)."""
    clauses = []
    if len(scope.labels) < len(LABEL_ORDER):
        clauses.append(labels.in_([label.value for label in scope.labels]))
    if scope.departments is not None:
        clauses.append(departments.in_([NO_DEPARTMENT, *sorted(scope.departments)]))
    return clauses


def _item_query() -> Select:
    return select(*_ITEM_COLUMNS).join(FondsRow, FondsRow.id == ITEMS.c.fonds_id)


# Built once: look-up by code is the hottest read, and building a statement costs more than running it.
_ITEM_BY_CODE = _item_query().where(ITEMS.c.archival_code == bindparam("code"))
_ITEM_WITH_PAGES_BY_CODE = (
    _item_query()
    .add_columns(BlobRow.sha256, BlobRow.sm3, BlobRow.size, BlobRow.media_type)
    .outerjoin(ItemPageRow, ItemPageRow.item_id == ITEMS.c.id)
    .outerjoin(BlobRow, BlobRow.sha256 == ItemPageRow.blob_sha256)
    .where(ITEMS.c.archival_code == bindparam("code"))
    .order_by(ItemPageRow.sequence)
)


def _to_item(row) -> Item:
    code = ArchivalCode(row.fonds, row.category, row.year, row.retention, row.department or None, row.item_number)
    fields = ItemFields(
        title=row.title,
        date=row.date,
        responsible=row.responsible,
        doc_number=row.doc_number,
        access_label=AccessLabel(row.access_label),
        pages=row.pages,
        notes=row.notes,
        supplied_title=row.supplied_title,
    )
    return Item(id=row.id, code=code, fields=fields, state=ItemState(row.state), created_at=row.created_at.isoformat())
