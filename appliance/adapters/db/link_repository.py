"""Links between items, and the items a text's cited 文号 name."""

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from appliance.adapters.db.catalogue_repository import scope_clause
from appliance.adapters.db.tables import ItemLinkRow, ItemRow, as_utc, utc_now
from appliance.adapters.db.upsert import dialect_insert
from appliance.domain.access import AccessScope
from appliance.domain.citations import ItemLink, LinkedItem, LinkOrigin, Relation

ITEMS = ItemRow.__table__
LINKS = ItemLinkRow.__table__
CHUNK = 500  # values in one IN (...): well under what either database allows


class LinkRepository:
    def __init__(self, session: Session):
        self.session = session

    # what a text's citations name

    def doc_number_of(self, item_id: int) -> str | None:
        """The item's 文号 as typed ("" when it has none); None when there is no such item."""
        return self.session.scalar(_DOC_NUMBER_OF, {"item": item_id})

    def numbered_items(self, after: int, through: int, limit: int) -> list[int]:
        """Ids of the items in (after, through] that have a 文号, in order, at most `limit`."""
        query = (select(ITEMS.c.id).where(ITEMS.c.id > after, ITEMS.c.id <= through, ITEMS.c.doc_number != "")
                 .order_by(ITEMS.c.id).limit(limit))
        return list(self.session.scalars(query))

    def items_with_doc_numbers(self, spellings: list[str]) -> list[tuple[int, str]]:
        """(id, 文号) of the items whose 文号 is exactly one of these spellings (the 文号 index finds them)."""
        found = []
        for chunk in _chunks(spellings):
            rows = self.session.execute(_BY_DOC_NUMBERS, {"spellings": chunk})
            found.extend((row.id, row.doc_number) for row in rows)
        return sorted(set(found))

    # links

    def get(self, link_id: int) -> ItemLink | None:
        row = self.session.execute(select(LINKS).where(LINKS.c.id == link_id)).first()
        return None if row is None else _to_link(row)

    def find(self, source_id: int, target_id: int, relation: Relation) -> ItemLink | None:
        query = select(LINKS).where(LINKS.c.source_item_id == source_id, LINKS.c.target_item_id == target_id,
                                    LINKS.c.relation == relation.value)
        row = self.session.execute(query).first()
        return None if row is None else _to_link(row)

    def links_from(self, item_id: int, origin: LinkOrigin | None = None) -> list[ItemLink]:
        """The links whose source is the item, of one origin when named, oldest first."""
        links = [_to_link(row) for row in self.session.execute(_LINKS_FROM, {"item": item_id})]
        return [link for link in links if origin is None or link.origin is origin]

    def auto_sources_into(self, item_id: int) -> list[int]:
        """The items that link to this one because their text cites it."""
        query = (select(LINKS.c.source_item_id).distinct()
                 .where(LINKS.c.target_item_id == item_id, LINKS.c.origin == LinkOrigin.AUTO.value))
        return sorted(self.session.scalars(query))

    def add(self, source_id: int, target_id: int, relation: Relation, origin: LinkOrigin, evidence: str,
            created_by: str | None) -> ItemLink | None:
        """Insert a link; None when the same source, target and relation are linked already (perhaps a moment
        ago by someone else), so a race ends in a clear answer rather than a constraint error."""
        statement = (dialect_insert(self.session, LINKS)
                     .values(source_item_id=source_id, target_item_id=target_id, relation=relation.value,
                             origin=origin.value, evidence=evidence, created_by=created_by, created_at=utc_now())
                     .on_conflict_do_nothing(index_elements=["source_item_id", "target_item_id", "relation"])
                     .returning(*LINKS.c))
        row = self.session.execute(statement).first()
        return None if row is None else _to_link(row)

    def add_found(self, source_id: int, found: list[tuple[int, Relation, str]]) -> None:
        """Insert the links a text supports, (target, relation, evidence) each, in one statement; any already there
        (a person's, or one a moment ago) is left as it is."""
        if not found:
            return
        now = utc_now()
        rows = [{"source_item_id": source_id, "target_item_id": target_id, "relation": relation.value,
                 "origin": LinkOrigin.AUTO.value, "evidence": evidence, "created_by": None, "created_at": now}
                for target_id, relation, evidence in found]
        statement = (dialect_insert(self.session, LINKS)
                     .on_conflict_do_nothing(index_elements=["source_item_id", "target_item_id", "relation"]))
        self.session.execute(statement, rows)

    def remove(self, link_ids: Iterable[int]) -> None:
        for chunk in _chunks(list(link_ids)):
            self.session.execute(delete(LINKS).where(LINKS.c.id.in_(chunk)))

    def related(self, item_ids: list[int], scope: AccessScope,
                limit: int | None = None) -> list[tuple[ItemLink, LinkedItem, LinkedItem]]:
        """(link, source, target) of the links touching any of these items whose both ends `scope` may see,
        oldest first; a link to a hidden item is left out, so it is neither shown nor counted."""
        links = []
        for chunk in _chunks(item_ids):
            query = select(LINKS).where(or_(LINKS.c.source_item_id.in_(chunk), LINKS.c.target_item_id.in_(chunk)))
            links.extend(_to_link(row) for row in self.session.execute(query))
        links = sorted({link.id: link for link in links}.values(), key=lambda link: link.id)
        visible = self.visible_items({end for link in links for end in (link.source_id, link.target_id)}, scope)
        kept = [(link, visible[link.source_id], visible[link.target_id]) for link in links
                if link.source_id in visible and link.target_id in visible]
        return kept if limit is None else kept[:limit]

    def visible_items(self, item_ids: Iterable[int], scope: AccessScope) -> dict[int, LinkedItem]:
        """{id: item} of these items that exist and `scope` may see: the catalogue's one rule of visibility."""
        found = {}
        for chunk in _chunks(sorted(set(item_ids))):
            query = _VISIBLE.where(*scope_clause(scope))
            for row in self.session.execute(query, {"ids": chunk}):
                found[row.id] = LinkedItem(row.id, row.archival_code, row.title, row.doc_number, row.date)
        return found


# Built once: a document's reading runs these for every item the worker reads, and building costs more than running.
_DOC_NUMBER_OF = select(ITEMS.c.doc_number).where(ITEMS.c.id == bindparam("item"))
_BY_DOC_NUMBERS = select(ITEMS.c.id, ITEMS.c.doc_number).where(
    ITEMS.c.doc_number.in_(bindparam("spellings", expanding=True)))
_VISIBLE = (select(ITEMS.c.id, ITEMS.c.archival_code, ITEMS.c.title, ITEMS.c.doc_number, ITEMS.c.date)
            .where(ITEMS.c.id.in_(bindparam("ids", expanding=True))))
_LINKS_FROM = select(LINKS).where(LINKS.c.source_item_id == bindparam("item")).order_by(LINKS.c.id)


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _to_link(row) -> ItemLink:
    return ItemLink(id=row.id, source_id=row.source_item_id, target_id=row.target_item_id,
                    relation=Relation(row.relation), origin=LinkOrigin(row.origin), evidence=row.evidence,
                    created_by=row.created_by, created_at=as_utc(row.created_at))
