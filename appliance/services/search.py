"""Finding items by what they say: the search itself, with facets and marked snippets, and keeping the index current.

The index is updated inside the transaction that changes what it is made of (an item filed or edited, a page's OCR
text stored, an item destroyed), and can be rebuilt from the catalogue and the OCR texts at any time.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from appliance.domain.catalogue import ItemState
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.search_text import (
    MatchedItem,
    SearchFilter,
    SearchQuery,
    SearchSort,
    Segment,
    marked,
    match_spans,
    parse_query,
)
from appliance.domain.sessions import Principal

MAX_LIMIT = 200
MAX_OFFSET = 10_000  # deeper than anyone reads; narrow the search instead
SNIPPET_LENGTH = 120
MAX_SNIPPET_SOURCE = 50_000  # characters of an item's text looked through for a snippet
REINDEX_BATCH = 500
_DATE = re.compile(r"\d{8}")


@dataclass(frozen=True)
class SearchPage:
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class SearchHit:
    archival_code: str
    title: str
    date: str
    state: str
    access_label: str
    snippet: list[Segment]  # from the page text when it matched there and may be read, else the title
    snippet_source: str  # "text" or "title"


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    total: int  # every match the principal may see, not only this page
    facets: dict[str, dict]  # facet -> {value: count}
    query: SearchQuery
    exact: bool = True  # False: the counts are upper bounds (PostgreSQL, a phrase with very many candidates)


def search(uow_factory, principal: Principal, query_text: str, filters: SearchFilter = SearchFilter(),
           sort: SearchSort = SearchSort.RELEVANCE, page: SearchPage = SearchPage()) -> SearchResults:
    """Items the principal may see that match every term, with facet counts over all of them and one page of hits.

    Who may not view content searches the catalogue fields only. Raises ForbiddenError without the right to read
    the catalogue, InvalidInputError for a bad page or date.
    """
    principal.require(Action.ITEM_READ)
    _check(filters, page)
    query = parse_query(query_text)
    content = principal.may(Action.ITEM_VIEW_CONTENT)
    with uow_factory(read_only=True) as uow:
        found = uow.search.find(query, filters, principal.scope, content, sort, page.limit, page.offset)
        sources = uow.search.sources([item.id for item in found.page]) if content and not query.empty else {}
    texts = {item_id: "\n".join(source.page_texts)[:MAX_SNIPPET_SOURCE] for item_id, source in sources.items()}
    hits = [_hit(item, texts.get(item.id, ""), query) for item in found.page]
    return SearchResults(hits, sum(found.facets["state"].values()), found.facets, query, found.exact)


def _hit(item: MatchedItem, page_text: str, query: SearchQuery) -> SearchHit:
    if match_spans(page_text, query):
        snippet, source = marked(page_text, query, SNIPPET_LENGTH), "text"
    else:
        snippet, source = marked(item.title, query), "title"
    return SearchHit(item.archival_code, item.title, item.date, item.state, item.access_label, snippet, source)


def _check(filters: SearchFilter, page: SearchPage) -> None:
    if not 1 <= page.limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be from 1 to {MAX_LIMIT}")
    if not 0 <= page.offset <= MAX_OFFSET:
        raise InvalidInputError(f"offset must be from 0 to {MAX_OFFSET}; narrow the search to go deeper")
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value is not None and not _DATE.fullmatch(value):
            raise InvalidInputError(f"{name} {value!r} must be 8 digits, YYYYMMDD")


# keeping the index current


def index_item(uow, item_id: int) -> None:
    """Inside a unit of work: make the item's index entry match its fields and OCR text (fields only once it is
    destroyed: its content is purged)."""
    index_items(uow, [item_id])


def index_items(uow, item_ids: list[int]) -> None:
    """Inside a unit of work: index several items at once; ids of items that do not exist lose their entries."""
    sources, tags = uow.search.sources(item_ids), uow.keywords.accepted(item_ids)
    entries = []
    for item_id in item_ids:
        source = sources.get(item_id)
        if source is None:
            uow.search.remove(item_id)
            continue
        source = replace(source, tags=tuple(tags.get(item_id, ())))
        body = "" if source.state == ItemState.DESTROYED.value else source.body_text()
        entries.append((item_id, source.fields_text(), body, source.facet_values, source.date))
    uow.search.put_many(entries)


def index_page_text(uow, blob_sha256: str) -> list[int]:
    """Inside a unit of work: re-index every item that has this page, once its OCR text is stored; returns their
    ids."""
    item_ids = uow.search.items_with_pages([blob_sha256])
    index_items(uow, item_ids)
    return item_ids


def index_items_after(uow, after_id: int) -> int:
    """Inside a unit of work: index every item whose id is above `after_id` (those a bulk import just added);
    returns how many."""
    done = 0
    while item_ids := uow.search.item_ids(after_id, REINDEX_BATCH):
        index_items(uow, item_ids)
        done, after_id = done + len(item_ids), item_ids[-1]
    return done


def reindex(uow_factory, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild every item's entry, a batch per transaction; calls `progress(done, total)` after each batch and
    returns how many items were indexed."""
    with uow_factory(read_only=True) as uow:
        total = uow.search.count_items()
    done, after = 0, 0
    while True:
        with uow_factory() as uow:
            item_ids = uow.search.item_ids(after, REINDEX_BATCH)
            if not item_ids:
                break
            index_items(uow, item_ids)
            uow.commit()
        done, after = done + len(item_ids), item_ids[-1]
        if progress is not None:
            progress(done, max(total, done))
    return done


def index_in_batches(uow_factory, item_ids: list[int]) -> int:
    """Index these items, a batch per transaction (one share of a reindex run in several processes)."""
    for start in range(0, len(item_ids), REINDEX_BATCH):
        with uow_factory() as uow:
            index_items(uow, item_ids[start:start + REINDEX_BATCH])
            uow.commit()
    return len(item_ids)


def all_item_ids(uow_factory) -> list[int]:
    """Every item's id, in order: what a reindex shares out."""
    ids, after = [], 0
    with uow_factory(read_only=True) as uow:
        while batch := uow.search.item_ids(after, 50_000):
            ids.extend(batch)
            after = batch[-1]
    return ids
