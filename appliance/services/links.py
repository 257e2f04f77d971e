"""Related records: links between items, found where one cites another's 文号, or added by hand (issue 8).

Links found in a text are kept in step with it: each reading of an item's text makes the links it supports and
drops the found links it no longer supports; links people made are never touched by that. One audit event per
reading says what changed, rather than one per link.
"""

from appliance.domain.access import EVERYTHING
from appliance.domain.actors import Actor
from appliance.domain.citations import (
    GraphEdge,
    GraphNode,
    ItemLink,
    LinkGraph,
    LinkOrigin,
    RelatedRecord,
    Relation,
    choose_targets,
    find_citations,
    lookup_spellings,
    parse_doc_number,
)
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.jobs import CITED_BY, Job
from appliance.domain.permissions import Action
from appliance.domain.search_text import SearchFilter, SearchSort, parse_query
from appliance.domain.sessions import Principal
from appliance.services.audit import record

LINKER = Actor("system:links", "worker")
EDIT_LINKS = Action.ITEM_EDIT_INTAKE  # the archivist's right to describe items; links describe, they change nothing
MAX_NOTE = 500
# Link events are filed under their own object type, not "item": an item's history is shown to everyone who may
# see the item, and a link's details name the other item, which some of them may not see.
AUDIT_OBJECT = "item_links"
MAX_GRAPH_NODES = 30  # more and a phone shows a hairball
MAX_CITING_CANDIDATES = 200  # items whose text might cite a newly registered 文号, read again at most
CITED_BY_BATCH = 100  # items of an import linked in one transaction: a few seconds of the worker


def link_citations(uow, item_id: int, text: str) -> None:
    """Inside a unit of work: link the item to the items whose 文号 its text cites, and drop the found links the
    text no longer supports; manual links stay. Audited once (`item.links.detect`) when anything changed."""
    own_doc_number = uow.links.doc_number_of(item_id)
    if own_doc_number is None:
        return
    citations = find_citations(text, own_doc_number)
    found = uow.links.items_with_doc_numbers(lookup_spellings(citations)) if citations else []
    wanted = choose_targets(citations, found, item_id)
    existing = uow.links.links_from(item_id)
    stale = [link for link in existing if link.origin is LinkOrigin.AUTO
             and wanted.get(link.target_id, (None,))[0] is not link.relation]
    uow.links.remove(link.id for link in stale)
    kept = {(link.target_id, link.relation) for link in existing if link not in stale}
    added = [(target_id, relation, evidence) for target_id, (relation, evidence) in wanted.items()
             if (target_id, relation) not in kept]
    uow.links.add_found(item_id, added)
    if added or stale:
        removed = [(link.target_id, link.relation, link.evidence) for link in stale]
        _record_detection(uow, item_id, added, removed)


def _record_detection(uow, item_id: int, added: list[tuple], removed: list[tuple]) -> None:
    codes = uow.links.visible_items({item_id, *(target_id for target_id, _, _ in added + removed)}, EVERYTHING)

    def described(target_id: int, relation: Relation, evidence: str) -> dict:
        return {"item": codes[target_id].archival_code if target_id in codes else target_id,
                "relation": relation.value, "evidence": evidence}

    record(uow, LINKER, "item.links.detect", AUDIT_OBJECT, codes[item_id].archival_code,
           {"added": [described(*link) for link in added], "removed": [described(*link) for link in removed]})


def link_cited_by(uow, item_id: int) -> None:
    """Inside a unit of work, after an item is registered or its 文号 changed: read again the texts that cite its
    文号 (found through the search index) or that were linked to it by an earlier 文号, so their links follow."""
    doc_number = uow.links.doc_number_of(item_id)
    if doc_number is None:
        return
    citing = set(uow.links.auto_sources_into(item_id))
    number = parse_doc_number(doc_number)
    if number is not None:
        # the whole 文号 as one phrase: its brackets only separate tokens, so any spelling of them is found
        query = parse_query(f'"{number.canonical()}"')
        matches = uow.search.search(query, SearchFilter(), EVERYTHING, True, SearchSort.DATE,
                                    MAX_CITING_CANDIDATES)
        citing.update(match.id for match in matches)
    citing.discard(item_id)
    sources = uow.search.sources(sorted(citing))
    for source_id, source in sorted(sources.items()):
        link_citations(uow, source_id, "\n".join(source.page_texts))


def queue_cited_by(uow, after: int, through: int) -> None:
    """Inside a unit of work that registered items (after, through] in bulk: queue the linking of the texts that
    cite their 文号, as `link_cited_by` does for one item (~30 ms an item: too long to keep an import waiting)."""
    if through > after:
        uow.jobs.enqueue(CITED_BY, f"{CITED_BY}:{after}:{through}", {"after": after, "through": through})


def process_cited_by(uow_factory, job: Job) -> None:
    """Link the texts citing the 文号 of the next CITED_BY_BATCH numbered items of the job's range, in one
    transaction with queuing the rest, so a crash repeats one batch at most."""
    after, through = job.payload["after"], job.payload["through"]
    with uow_factory() as uow:
        batch = uow.links.numbered_items(after, through, CITED_BY_BATCH)
        for item_id in batch:
            link_cited_by(uow, item_id)
        if len(batch) == CITED_BY_BATCH:
            queue_cited_by(uow, batch[-1], through)
        uow.jobs.complete(job.id)
        uow.commit()


# links made by hand


def add_link(uow_factory, principal: Principal, archival_code: str, related_code: str, relation: str,
             note: str = "") -> ItemLink:
    """Link an item to another by hand (the item is the source), with an optional note; audited `item.link.add`.

    Raises ForbiddenError (may not describe items), NotFoundError (the item unknown or out of sight),
    InvalidInputError (the related item unknown or out of sight, a malformed code, an unknown relation, the item
    itself, a note too long) or ConflictError (the two are linked so already).
    """
    principal.require(EDIT_LINKS)
    chosen = _relation(relation)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInputError(f"the note is at most {MAX_NOTE} characters")
    with uow_factory() as uow:
        item = _visible_item(uow, principal, archival_code)
        other = _related_item(uow, principal, related_code)
        if other.id == item.id:
            raise InvalidInputError(f"an item cannot be linked to itself ({item.archival_code})")
        _refuse_duplicate(uow, item, other, chosen)
        link = uow.links.add(item.id, other.id, chosen, LinkOrigin.MANUAL, note, principal.username)
        if link is None:
            raise ConflictError(f"{item.archival_code} is linked to {other.archival_code} already")
        record(uow, principal.actor, "item.link.add", AUDIT_OBJECT, item.archival_code,
               {"link": link.id, "item": other.archival_code, "relation": chosen.value, "note": note})
        uow.commit()
        return link


def remove_link(uow_factory, principal: Principal, archival_code: str, link_id: int) -> ItemLink:
    """Remove a link made by hand from either of its items' pages; audited `item.link.remove`.

    Raises ForbiddenError, NotFoundError (no such link on this item, or either item out of sight) or ConflictError
    (a link found in the text: it stays while the text cites the 文号).
    """
    principal.require(EDIT_LINKS)
    with uow_factory() as uow:
        item = _visible_item(uow, principal, archival_code)
        link = uow.links.get(link_id)
        if link is None or item.id not in (link.source_id, link.target_id):
            raise NotFoundError(f"no link {link_id} on {item.archival_code}")
        other_id = link.target_id if link.source_id == item.id else link.source_id
        other = uow.links.visible_items([other_id], principal.scope).get(other_id)
        if other is None:
            raise NotFoundError(f"no link {link_id} on {item.archival_code}")
        if link.origin is LinkOrigin.AUTO:
            raise ConflictError(f"link {link_id} was found in the text ({link.evidence}): it stays while the text "
                                f"cites that 文号")
        uow.links.remove([link.id])
        record(uow, principal.actor, "item.link.remove", AUDIT_OBJECT, item.archival_code,
               {"link": link.id, "item": other.archival_code, "relation": link.relation.value,
                "outgoing": link.source_id == item.id, "note": link.evidence})
        uow.commit()
        return link


def _relation(text: str) -> Relation:
    try:
        return Relation((text or "").strip())
    except ValueError:
        known = ", ".join(relation.value for relation in Relation)
        raise InvalidInputError(f"unknown relation {text!r} (known: {known})") from None


def _visible_item(uow, principal: Principal, archival_code: str):
    code = parse_archival_code(archival_code).format()
    item = uow.catalogue.get_item(code)
    if item is None or not principal.scope.can_see(item):
        raise NotFoundError(f"no item {code}")
    return item


def _related_item(uow, principal: Principal, archival_code: str):
    code = parse_archival_code((archival_code or "").strip() or "?").format()
    item = uow.catalogue.get_item(code)
    if item is None or not principal.scope.can_see(item):
        raise InvalidInputError(f"no item {code} to link to")
    return item


def _refuse_duplicate(uow, item, other, relation: Relation) -> None:
    """The same link again, or for "related" (which reads both ways) the same pair either way round."""
    pairs = [(item.id, other.id)] + ([(other.id, item.id)] if relation is Relation.RELATED else [])
    for source_id, target_id in pairs:
        if uow.links.find(source_id, target_id, relation) is not None:
            raise ConflictError(f"{item.archival_code} and {other.archival_code} are linked as "
                                f"{relation.value} already")


# reading


def related_records(uow_factory, archival_code: str, scope) -> list[RelatedRecord]:
    """The links of an item in both directions, whose other item `scope` may see (hidden ones are neither listed
    nor counted), oldest first. Raises NotFoundError for an item unknown or out of sight."""
    with uow_factory(read_only=True, consistent=False) as uow:
        item = _scoped_item(uow, archival_code, scope)
        return [RelatedRecord(link, target if source.id == item.id else source, source.id == item.id)
                for link, source, target in uow.links.related([item.id], scope)]


def _scoped_item(uow, archival_code: str, scope):
    code = parse_archival_code(archival_code).format()
    item = uow.catalogue.get_item(code)
    if item is None or not scope.can_see(item):
        raise NotFoundError(f"no item {code}")
    return item


def link_graph(uow_factory, archival_code: str, scope, max_nodes: int = MAX_GRAPH_NODES) -> LinkGraph:
    """The items linked to an item and to those (depth 2), at most `max_nodes` of them, nearest first, and the
    links among them; only what `scope` may see. Raises NotFoundError for an item unknown or out of sight."""
    with uow_factory(read_only=True, consistent=False) as uow:
        center = _scoped_item(uow, archival_code, scope)
        nodes = {center.id: GraphNode(uow.links.visible_items([center.id], scope)[center.id], 0)}
        edges: dict[int, GraphEdge] = {}
        frontier = [center.id]
        for depth in (1, 2):
            reached = []
            for link, source, target in uow.links.related(frontier, scope):
                for end in (source, target):
                    if end.id not in nodes and len(nodes) < max_nodes:
                        nodes[end.id] = GraphNode(end, depth)
                        reached.append(end.id)
                if link.source_id in nodes and link.target_id in nodes:
                    edges[link.id] = GraphEdge(link.source_id, link.target_id, link.relation)
            frontier = reached
        return LinkGraph(center.id, tuple(nodes.values()), tuple(edges.values()))
