"""The full-text index: write each item's tokens, find items by them, count what was found per facet.

SQLite keeps the index in the FTS5 table `search_index` (rowid = the item's id), joined to `items` for the filters
and the principal's scope; PostgreSQL in two tsvectors with GIN indexes, `fields` and `document` (the fields and the
pages), beside copies of the facet values the scope is checked on. Both hold the same tokens (domain/search_text.py),
facet values among them, so a facet filter is part of the full-text match.
"""

import enum
from collections.abc import Iterable

from sqlalchemy import Select, and_, bindparam, cast, column, func, null, select, table, text, union_all
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

from appliance.adapters.db.catalogue_repository import scope_clause
from appliance.adapters.db.tables import DerivativeRow, FondsRow, ItemPageRow, ItemRow
from appliance.domain.access import AccessScope
from appliance.domain.jobs import PAGE_OCR
from appliance.domain.search_text import (
    FACETS,
    Found,
    IndexSource,
    MatchedItem,
    SearchFilter,
    SearchQuery,
    SearchSort,
    filter_tokens,
)

ITEMS = ItemRow.__table__
FTS_TABLE = table("search_index", column("rowid"), column("fields"), column("body"))
TSVECTOR_TABLE = table("search_index", column("item_id"), column("fields", TSVECTOR), column("document", TSVECTOR),
                       column("date"), *(column(facet) for facet in FACETS))
EXACT_COUNT_LIMIT = 2_000  # PostgreSQL: up to this many candidates, a phrase's matches are counted exactly
CHUNK = 500
_ITEM_FACETS = (FondsRow.code, ITEMS.c.year, ITEMS.c.retention, ITEMS.c.department, ITEMS.c.access_label,
                ITEMS.c.state)  # in FACETS order
_INDEX_FACETS = tuple(TSVECTOR_TABLE.c[facet] for facet in FACETS)  # PostgreSQL's copies in search_index
_HIT_COLUMNS = (ITEMS.c.id, ITEMS.c.archival_code, ITEMS.c.title, ITEMS.c.date, ITEMS.c.state, ITEMS.c.access_label)
MAX_POSITION = 16383  # PostgreSQL keeps word positions up to here, and at most 256 per lexeme
MAX_POSITIONS = 256
MAX_VECTOR_BYTES = 900_000  # a tsvector must stay under 1 MB


class SearchRepository:
    def __init__(self, session: Session):
        self.session = session
        self._postgres = session.bind.dialect.name == "postgresql"

    # writing

    def put_many(self, entries: list[tuple[int, str, str, tuple, str]]) -> None:
        """Replace the entries of many items in one round trip each way: (item id, fields' index text, pages'
        index text, facet values in FACETS order, date). PostgreSQL keeps the facet values and the date as columns
        too."""
        if not entries:
            return
        if self._postgres:
            rows = [{"item_id": item_id, "fields": tsvector_literal(fields),
                     "document": tsvector_literal(f"{fields} {body}", weighted=len(fields.split())), "date": date,
                     **dict(zip(FACETS, facets, strict=True))}
                    for item_id, fields, body, facets, date in entries]
            self.session.execute(_POSTGRES_UPSERT, rows)
            return
        self.session.execute(_SQLITE_DELETE, [{"item_id": entry[0]} for entry in entries])
        self.session.execute(_SQLITE_INSERT, [{"item_id": item_id, "fields": fields, "body": body}
                                              for item_id, fields, body, *_ in entries])

    def remove(self, item_id: int) -> None:
        """Drop an item's entry; nothing happens when it has none."""
        statement = _POSTGRES_DELETE if self._postgres else _SQLITE_DELETE
        self.session.execute(statement, {"item_id": item_id})

    # what the entries are made of

    def sources(self, item_ids: list[int]) -> dict[int, IndexSource]:
        """The fields and the newest OCR text of each page, in page order, of the items that exist."""
        found = {}
        for chunk in _chunks(item_ids):
            texts = self._page_texts(chunk)
            query = (select(ITEMS.c.id, ITEMS.c.title, ITEMS.c.doc_number, ITEMS.c.responsible, ITEMS.c.notes,
                            ITEMS.c.archival_code, ITEMS.c.date, *_ITEM_FACETS)
                     .join(FondsRow, FondsRow.id == ITEMS.c.fonds_id).where(ITEMS.c.id.in_(chunk)))
            for row in self.session.execute(query):
                pages = texts.get(row.id, {})
                facet_values = tuple(row[-len(_ITEM_FACETS):])
                found[row.id] = IndexSource(row.title, row.doc_number, row.responsible, row.notes,
                                            row.archival_code, facet_values, tuple(pages[key] for key in sorted(pages)),
                                            date=row.date)
        return found

    def _page_texts(self, item_ids: list[int]) -> dict[int, dict[int, str]]:
        query = (select(ItemPageRow.item_id, ItemPageRow.sequence, DerivativeRow.text)
                 .join(DerivativeRow, and_(DerivativeRow.source_sha256 == ItemPageRow.blob_sha256,
                                           DerivativeRow.kind == PAGE_OCR))
                 .where(ItemPageRow.item_id.in_(item_ids), DerivativeRow.text.is_not(None))
                 .order_by(DerivativeRow.created_at))
        texts: dict[int, dict[int, str]] = {}
        for item_id, sequence, page_text in self.session.execute(query):
            texts.setdefault(item_id, {})[sequence] = page_text  # the newest generator's text wins
        return texts

    def items_with_pages(self, blob_sha256s: Iterable[str]) -> list[int]:
        """The items that have any of these page images."""
        query = (select(ItemPageRow.item_id).distinct()
                 .where(ItemPageRow.blob_sha256.in_(list(blob_sha256s))).order_by(ItemPageRow.item_id))
        return list(self.session.scalars(query))

    def page_digests(self, item_id: int) -> list[str]:
        """The item's page images in page order."""
        query = select(ItemPageRow.blob_sha256).where(ItemPageRow.item_id == item_id).order_by(ItemPageRow.sequence)
        return list(self.session.scalars(query))

    def last_item_id(self) -> int:
        """The highest item id so far, 0 with none."""
        return self.session.scalar(select(func.coalesce(func.max(ITEMS.c.id), 0)))

    def item_ids(self, after: int, limit: int) -> list[int]:
        """Item ids above `after`, in order: the next batch to index."""
        return list(self.session.scalars(select(ITEMS.c.id).where(ITEMS.c.id > after).order_by(ITEMS.c.id)
                                         .limit(limit)))

    def count_items(self) -> int:
        return self.session.scalar(select(func.count()).select_from(ITEMS))

    # reading

    def find(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope, content: bool,
             sort: SearchSort, limit: int, offset: int = 0) -> Found:
        """One page of what `search` finds, with the facet counts of `facets`. On PostgreSQL, a search of the pages
        takes both from one pass over the matches (see _found_postgres)."""
        if self._postgres and content and not query.empty:
            return self._found_postgres(query, search_filter, scope, sort, limit, offset)
        facets, exact = self.facets(query, search_filter, scope, content)
        return Found(self.search(query, search_filter, scope, content, sort, limit, offset), facets, exact)

    def search(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope, content: bool,
               sort: SearchSort, limit: int, offset: int = 0) -> list[MatchedItem]:
        """One page of the items matching every phrase that `scope` may see; `content` False matches the catalogue
        fields only (who may not read the pages must not learn what they say).

        By relevance: the items with every term in their fields (title, 文号, 责任者, 备注, 档号) first, then those
        with some only in their pages, newest registered first within each. Both come in index order, so a page
        costs the same for ten matches as for a million; scoring every match (bm25, ts_rank) took 0.1-3 s.
        """
        if self._postgres and content and not query.empty:
            return self._found_postgres(query, search_filter, scope, sort, limit, offset, counted=False).page
        if sort is SearchSort.DATE or query.empty:
            part = Part.ANYWHERE if content else Part.FIELDS
            by_date = (self._matching(query, search_filter, scope, part, with_items=True)
                       .order_by(ITEMS.c.date.desc(), ITEMS.c.id.desc()).add_columns(*_HIT_COLUMNS))
            return [_matched(row) for row in self.session.execute(by_date.limit(limit).offset(offset))]
        in_fields = self._newest(query, search_filter, scope, Part.FIELDS, offset + limit, 0)
        page = in_fields[offset:]
        if content and len(in_fields) < offset + limit:  # the fields ran out: matches in the pages follow
            skipped = max(0, offset - len(in_fields))
            page += self._newest(query, search_filter, scope, Part.PAGES_ONLY, limit - len(page), skipped)
        return page

    def _newest(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope, part: "Part",
                limit: int, offset: int) -> list[MatchedItem]:
        """The matches in `part`, newest registered first, in the index's order."""
        if not self._postgres:
            statement = (self._matching(query, search_filter, scope, part, with_items=True)
                         .order_by(FTS_TABLE.c.rowid.desc()).add_columns(*_HIT_COLUMNS))
            return [_matched(row) for row in self.session.execute(statement.limit(limit).offset(offset))]
        return self._hits(self._newest_ids(query, search_filter, scope, part, limit, offset))

    def _newest_ids(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope, part: "Part",
                    limit: int, offset: int) -> list[int]:
        """PostgreSQL, the catalogue fields alone (who may not read the pages): the ids first (joining `items`
        before the limit looked up every match); the fields' phrases are checked in the query itself."""
        ids = (self._matching(query, search_filter, scope, part, with_items=False)
               .add_columns(TSVECTOR_TABLE.c.item_id).order_by(_unindexed(TSVECTOR_TABLE.c.item_id).desc()))
        return list(self.session.scalars(ids.limit(limit).offset(offset)))

    def _found_postgres(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope,
                        sort: SearchSort, limit: int, offset: int, counted: bool = True) -> Found:
        """Counting the matches reads every one of them from the table, and so does finding the newest (a GIN
        index keeps no order): the matches are read once into a CTE, then grouped for the counts and sorted for the
        page (44,000 matches: 100 rather than 155 ms), by relevance (every phrase in the fields first, then newest
        registered) or by date, from the index's own columns (joining `items` to sort 440,000 took 2.6 s).

        A phrase is looked for by its character pairs; those with it in their fields are confirmed there, the
        others on the page's candidates, and when too few of them have it, more candidates are read."""
        matched = (self._matching(query, search_filter, scope, Part.ANYWHERE, with_items=False)
                   .add_columns(TSVECTOR_TABLE.c.item_id, TSVECTOR_TABLE.c.date, *_INDEX_FACETS,
                                _in_fields(query).label("in_fields"))
                   .cte("matched").prefix_with("MATERIALIZED"))
        first = matched.c.in_fields.desc() if sort is SearchSort.RELEVANCE else matched.c.date.desc()
        ranking = select(matched.c.item_id, matched.c.in_fields).order_by(first, matched.c.item_id.desc())
        window = 2 * (offset + limit) + 20 if query.ordered else offset + limit
        facets, ranked = self._counted_and_ranked(matched, ranking.limit(window), counted)
        while len(kept := self._confirmed(ranked, query)) < offset + limit and len(ranked) == window:
            window *= 4
            ranked = [tuple(row) for row in self.session.execute(ranking.limit(window))]
        exact = True
        if counted and query.ordered:
            facets, exact = self._confirmed_counts(query, search_filter, scope, facets)
        return Found(self._hits(kept[offset:offset + limit]), facets, exact)

    def _counted_and_ranked(self, matched, ranking: Select, counted: bool) -> tuple[dict, list[tuple[int, bool]]]:
        """The counts per facet value of the CTE `matched` (when `counted`) and the (id, in fields) `ranking`
        picks, in one statement."""
        if not counted:
            return {}, [tuple(row) for row in self.session.execute(ranking)]
        facet_columns = [matched.c[facet] for facet in FACETS]
        counts = select(*facet_columns, func.count().label("found"), null().label("item_id"),
                        null().label("in_fields")).group_by(*facet_columns)
        picked = ranking.subquery()
        rows = self.session.execute(union_all(counts, select(*(null() for _ in FACETS), null(), picked.c.item_id,
                                                             picked.c.in_fields))).all()
        facets = _grouped_counts(row[:len(FACETS) + 1] for row in rows if row.item_id is None)
        return facets, [(row.item_id, row.in_fields) for row in rows if row.item_id is not None]

    def _confirmed(self, ranked: list[tuple[int, bool]], query: SearchQuery) -> list[int]:
        """The ids of `ranked`, in order, whose entry has every phrase: all of them for single words (their pairs
        are the words), else those with the phrases in their fields and those whose pages have them."""
        if not query.ordered:
            return [item_id for item_id, _ in ranked]
        in_pages = self._with_phrases([item_id for item_id, in_fields in ranked if not in_fields], query)
        return [item_id for item_id, in_fields in ranked if in_fields or item_id in in_pages]

    def _confirmed_counts(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope,
                          by_pairs: dict[str, dict]) -> tuple[dict[str, dict], bool]:
        """The counts of a phrase's matches: those counted by its pairs, an upper bound, when there are more than
        EXACT_COUNT_LIMIT; else those whose document has it."""
        if sum(by_pairs["state"].values()) > EXACT_COUNT_LIMIT:
            return by_pairs, False
        statement = self._matching(query, search_filter, scope, Part.ANYWHERE, with_items=False)
        phrases = TSVECTOR_TABLE.c.document.bool_op("@@")(cast(query.tsquery(), TSQUERY))
        return self._counts(statement.where(phrases), query), True

    def _with_phrases(self, item_ids: list[int], query: SearchQuery) -> set[int]:
        """Those of `item_ids` whose document has every phrase. The function form of @@, so the planner checks
        these few rows rather than scanning the GIN index for the phrase."""
        if not item_ids:
            return set()
        phrases = func.ts_match_vq(TSVECTOR_TABLE.c.document, cast(query.tsquery(), TSQUERY))
        return set(self.session.scalars(select(TSVECTOR_TABLE.c.item_id).where(
            TSVECTOR_TABLE.c.item_id.in_(item_ids), phrases)))

    def _hits(self, item_ids: list[int]) -> list[MatchedItem]:
        rows = {row.id: row for row in self.session.execute(select(*_HIT_COLUMNS).where(ITEMS.c.id.in_(item_ids)))}
        return [_matched(rows[item_id]) for item_id in item_ids if item_id in rows]

    def facets(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope,
               content: bool) -> tuple[dict[str, dict], bool]:
        """How many matching items `scope` may see, per value of each facet (one pass, grouped by all six), and
        whether the counts are exact. On PostgreSQL a phrase is counted by its character pairs when more than
        EXACT_COUNT_LIMIT items have them (an upper bound: the pairs may stand apart); fewer are confirmed."""
        part = Part.ANYWHERE if content else Part.FIELDS
        statement = self._matching(query, search_filter, scope, part, with_items=False)
        counts = self._counts(statement, query)
        if not (self._postgres and query.ordered and part is Part.ANYWHERE):
            return counts, True
        return self._confirmed_counts(query, search_filter, scope, counts)

    def _counts(self, statement: Select, query: SearchQuery) -> dict[str, dict]:
        groups = _INDEX_FACETS if self._postgres and not query.empty else _ITEM_FACETS
        return _grouped_counts(self.session.execute(statement.add_columns(*groups, func.count()).group_by(*groups)))

    def _matching(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope, part: "Part",
                  with_items: bool) -> Select:
        """The items `scope` may see that pass the filter and match the query in `part`. PostgreSQL filters on the
        index's own facet columns and joins `items` only `with_items` (or for dates): counting 20,000 matches
        took 190 ms through `items`, 50 ms without."""
        if self._postgres and not query.empty:
            return self._matching_postgres(query, search_filter, scope, part, with_items)
        conditions = [*_filter_conditions(search_filter, _ITEM_FACETS), *_date_conditions(search_filter),
                      *scope_clause(scope)]
        if query.empty:
            joined = ITEMS
        else:
            joined = FTS_TABLE.join(ITEMS, ITEMS.c.id == FTS_TABLE.c.rowid)  # the index drives the join
            conditions.append(text("search_index MATCH :match").bindparams(
                match=_fts5_match(query, search_filter, part)))
        joined = joined.join(FondsRow, FondsRow.id == ITEMS.c.fonds_id)
        return select().select_from(joined).where(*conditions)

    def _matching_postgres(self, query: SearchQuery, search_filter: SearchFilter, scope: AccessScope, part: "Part",
                           with_items: bool) -> Select:
        # The filter's facets are tokens in the tsquery alone: as column conditions too, they made the planner
        # expect a tenth of the matches and sort them all to count them (145 rather than 68 ms for 44,000).
        index = TSVECTOR_TABLE.c
        conditions = [*scope_clause(scope, index.access_label, index.department),
                      *_tsquery_conditions(query, search_filter, part)]
        joined = TSVECTOR_TABLE
        if with_items:
            joined = joined.join(ITEMS, index.item_id == ITEMS.c.id)
        return select().select_from(joined).where(*conditions, *_date_conditions(search_filter, index.date))


class Part(enum.Enum):
    """Where the words of a query are looked for."""

    ANYWHERE = "anywhere"
    FIELDS = "fields"
    PAGES_ONLY = "pages only"  # not every term in the fields: some are only in the pages


def _fts5_match(query: SearchQuery, search_filter: SearchFilter, part: Part) -> str:
    narrowed = query.fts5_narrowed(filter_tokens(search_filter), fields_only=part is Part.FIELDS)
    if part is Part.PAGES_ONLY:
        return f"({narrowed}) NOT ({{fields}} : ({query.fts5()}))"
    return narrowed


def _filter_conditions(search_filter: SearchFilter, columns: tuple) -> list:
    """The filter's facet values as equalities on `columns` (in FACETS order)."""
    values = [getattr(search_filter, facet) for facet in FACETS]
    return [column == value for column, value in zip(columns, values, strict=True) if value is not None]


def _date_conditions(search_filter: SearchFilter, date=ITEMS.c.date) -> list:
    conditions = []
    if search_filter.date_from:
        conditions.append(date >= search_filter.date_from)
    if search_filter.date_to:
        conditions.append(date <= search_filter.date_to)
    return conditions


def _tsquery_conditions(query: SearchQuery, search_filter: SearchFilter, part: Part) -> list:
    """Every phrase's character pairs and the facet tokens in one tsquery, so one GIN scan finds the items that
    have them all, without reading a vector: in the fields and pages together (`document`), or in the fields
    (where the phrases are also checked, the vector being small). The phrases in the pages are confirmed later, on
    the few items shown (see _confirmed). PostgreSQL ranks the pages' matches itself: it never asks for PAGES_ONLY."""
    pairs = cast(query.tsquery(filter_tokens(search_filter), pairs=True), TSQUERY)
    if part is Part.FIELDS:
        return [TSVECTOR_TABLE.c.fields.bool_op("@@")(pairs), _in_fields(query)]
    return [TSVECTOR_TABLE.c.document.bool_op("@@")(pairs)]


def _unindexed(item_id):
    """The id in an expression no index has. Ordered by the id itself, the planner may walk the primary key
    backwards reading each entry's vector until it has a page, which takes seconds when the matches are all old
    (a year filter over a catalogue imported in date order); this way it reads the matches from the GIN index and
    keeps the newest."""
    return item_id + 0


def _in_fields(query: SearchQuery):
    """Whether every phrase is in the entry's fields (as they are small, read straight from the row)."""
    return TSVECTOR_TABLE.c.fields.bool_op("@@")(cast(query.tsquery(), TSQUERY))


def _grouped_counts(rows: Iterable) -> dict[str, dict]:
    """Rows of the six facet values and a count, summed per value of each facet."""
    counts: dict[str, dict] = {facet: {} for facet in FACETS}
    for *values, count in rows:
        for facet, value in zip(FACETS, values, strict=True):
            counts[facet][value] = counts[facet].get(value, 0) + count
    return counts


def _matched(row) -> MatchedItem:
    return MatchedItem(row.id, row.archival_code, row.title, row.date, row.state, row.access_label)


def tsvector_literal(index_text: str, weighted: int = 0) -> str:
    """Index text as a tsvector literal: each token a lexeme with its positions, as far as PostgreSQL keeps them
    (a lexeme first seen past position 16383 is kept without a position, so it is still found). The first
    `weighted` tokens are weight A (the fields), the rest D (the pages)."""
    positions: dict[str, list[str]] = {}
    size = 0
    for position, token in enumerate(index_text.split(), start=1):
        known = positions.get(token)
        if known is None:
            size += len(token.encode()) + 8
            if size > MAX_VECTOR_BYTES:
                break
            known = positions[token] = []
        if position <= MAX_POSITION and len(known) < MAX_POSITIONS:
            known.append(f"{position}A" if position <= weighted else str(position))
    return " ".join(_lexeme(token) + (":" + ",".join(found) if found else "")
                    for token, found in positions.items())


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


_SQLITE_DELETE = text("DELETE FROM search_index WHERE rowid = :item_id")
_SQLITE_INSERT = text("INSERT INTO search_index (rowid, fields, body) VALUES (:item_id, :fields, :body)")
_POSTGRES_DELETE = text("DELETE FROM search_index WHERE item_id = :item_id")
_POSTGRES_UPSERT = text(
    "INSERT INTO search_index (item_id, fields, document, date, fonds, year, retention, department, access_label, "
    "state) VALUES (:item_id, CAST(:fields AS tsvector), CAST(:document AS tsvector), :date, :fonds, :year, "
    ":retention, :department, :access_label, :state) ON CONFLICT (item_id) DO UPDATE SET fields = EXCLUDED.fields, "
    "document = EXCLUDED.document, date = EXCLUDED.date, fonds = EXCLUDED.fonds, year = EXCLUDED.year, "
    "retention = EXCLUDED.retention, department = EXCLUDED.department, access_label = EXCLUDED.access_label, "
    "state = EXCLUDED.state"
).bindparams(bindparam("fields"), bindparam("document"))
