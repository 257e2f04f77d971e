"""Items (件): register one with the next free number, attach its pages, read it back."""

from dataclasses import dataclass, replace
from pathlib import Path

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.actors import Actor
from appliance.domain.audit import AuditEvent
from appliance.domain.blobs import BlobRef
from appliance.domain.catalogue import (
    Fonds,
    Item,
    ItemFields,
    ItemFilter,
    ItemOrder,
    ItemState,
    check_class_fits_scheme,
)
from appliance.domain.catalogue_tree import TreeNode, build_tree
from appliance.domain.codes import ArchivalCode, ClassKey, parse_archival_code
from appliance.domain.errors import InvalidInputError, NotFoundError, UnknownDepartmentError
from appliance.domain.retention import parse_retention
from appliance.services.audit import record
from appliance.services.fonds import require_fonds
from appliance.services.links import link_cited_by
from appliance.services.search import index_item


@dataclass(frozen=True)
class ItemView:
    item: Item
    pages: list[BlobRef]
    history: list[AuditEvent]


@dataclass(frozen=True)
class ItemPage:
    items: list[Item]
    next_after: ArchivalCode | None  # the last item of the page when there is a next one
    order: ItemOrder = ItemOrder.CODE

    @property
    def next_position(self) -> str | None:
        """What to pass as `after` for the next page: the code, or date~code when sorted by date."""
        if self.next_after is None:
            return None
        if not self.order.by_date:
            return self.next_after.format()
        return f"{self.items[-1].fields.date}{DATE_SEPARATOR}{self.next_after.format()}"


DATE_SEPARATOR = "~"


def add_item(uow_factory, blob_store, actor: Actor, key: ClassKey, fields: ItemFields,
             page_files: list[Path] = ()) -> Item:
    """File a new item in its class with the next item number, its pages stored before the commit.

    Raises InvalidInputError for a class that breaks the fonds' scheme or names an unknown
    category or department, NotFoundError for an unknown fonds, or a page that is not a file.
    """
    key = ClassKey(key.fonds.upper(), key.category.upper(), key.year, parse_retention(key.retention).code,
                   key.department.upper() if key.department else None)
    if page_files:
        if fields.pages not in (0, len(page_files)):
            raise InvalidInputError(f"页数 says {fields.pages} but {len(page_files)} page files were given")
        fields = replace(fields, pages=len(page_files))
    pages = [_page_file(Path(path)) for path in page_files]
    with uow_factory() as uow:
        check_class(uow, key)
        # durable before the commit that names them, with the type the checks of archiving ask about
        stored = [replace(blob_store.put_file(path), media_type=page_media_type(path)) for path in pages]
        code = key.code_for(uow.catalogue.allocate_item_number(key))
        item_id = uow.catalogue.add_item(code, fields, ItemState.INTAKE)
        for ref in stored:
            uow.blobs.add(ref)
        uow.blobs.add_pages(item_id, [ref.sha256 for ref in stored])
        details = {"title": fields.title, "date": fields.date, "pages": [ref.sha256 for ref in stored]}
        record(uow, actor, "item.create", "item", code.format(), details)
        index_item(uow, item_id)
        if fields.doc_number:
            link_cited_by(uow, item_id)  # documents read earlier that cite this 文号 gain their link
        uow.commit()
        return uow.catalogue.get_item(code.format())


PAGE_TYPES = {".tif": "image/tiff", ".tiff": "image/tiff", ".png": "image/png", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg", ".pdf": "application/pdf"}


def page_media_type(path: Path) -> str:
    """The media type of a page file by its suffix; what the suffix does not say stays a plain octet stream."""
    return PAGE_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _page_file(path: Path) -> Path:
    if path.is_dir():
        raise InvalidInputError(f"{path} is a directory; give the page image files")
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    return path


def check_class(uow, key: ClassKey) -> None:
    """Raise InvalidInputError (UnknownDepartmentError for the department) if the class is not valid."""
    fonds = require_fonds(uow, key.fonds)
    check_class_fits_scheme(key, fonds.scheme)
    if key.category not in uow.catalogue.categories():
        raise InvalidInputError(f"unknown category {key.category}; add it with `dangan category add`")
    if key.department and key.department not in uow.catalogue.departments(fonds.code):
        raise UnknownDepartmentError(
            f"unknown department {key.department} in fonds {fonds.code}; add it with `dangan department add`"
        )


def show_item(uow_factory, archival_code: str, scope: AccessScope = EVERYTHING) -> ItemView:
    """An item with its pages and its audit history; raises NotFoundError or InvalidInputError.

    An item outside `scope` is not found: whether it exists is itself not for everyone to know.
    """
    code = parse_archival_code(archival_code).format()
    with uow_factory(read_only=True, consistent=False) as uow:
        found = uow.catalogue.get_item_with_pages(code)
        if found is None or not scope.can_see(found[0]):
            raise NotFoundError(f"no item {code}")
        item, pages = found
        return ItemView(item, pages, uow.audit.events_for("item", code))


def check_position_in_filter(position: ArchivalCode, item_filter: ItemFilter) -> None:
    """A page position must lie inside the filtered set, or "the next page" means nothing."""
    pinned = {
        "fonds": (position.fonds, item_filter.fonds),
        "year": (position.year, item_filter.year),
        "retention": (position.retention, item_filter.retention),
        "category": (position.category, item_filter.category),
        "department": (position.department, item_filter.department),
    }
    for name, (actual, wanted) in pinned.items():
        if wanted is not None and actual != wanted:
            raise InvalidInputError(f"page position {position} lies outside the filter ({name} {wanted})")


def list_items(uow_factory, item_filter: ItemFilter, after: str | None = None, limit: int = 50,
               scope: AccessScope = EVERYTHING, order: ItemOrder = ItemOrder.CODE) -> ItemPage:
    """One page of items; pass the page's `next_position` as `after` to get the next."""
    return browse_fonds(uow_factory, item_filter, after, limit, scope, order).page


@dataclass(frozen=True)
class FondsView:
    """What the catalogue page of a fonds shows: the fonds, its departments, one page of items."""

    fonds: Fonds
    departments: dict[str, str]
    page: ItemPage


def catalogue_tree(uow_factory, fonds_code: str, scope: AccessScope = EVERYTHING) -> list[TreeNode]:
    """The fonds' classes as a tree (year, retention, department in the scheme's order) with the items the scope
    may see; raises NotFoundError for an unknown fonds."""
    with uow_factory(read_only=True, consistent=False) as uow:
        fonds = require_fonds(uow, fonds_code.upper())
        return build_tree(uow.catalogue.class_counts(fonds.code, scope), fonds.scheme)


def browse_fonds(uow_factory, item_filter: ItemFilter, after: str | None = None, limit: int = 50,
                 scope: AccessScope = EVERYTHING, order: ItemOrder = ItemOrder.CODE) -> FondsView:
    """The fonds with one page of the items `scope` may see, sorted by `order`; raises NotFoundError or
    InvalidInputError (a bad position, or sorting by date without a year)."""
    if order.by_date and item_filter.year is None:
        raise InvalidInputError("sorting by date works within one year: choose the year")
    after_date, after_code = _position(after, order)
    if after_code is not None:
        check_position_in_filter(after_code, item_filter)
    with uow_factory(read_only=True, consistent=False) as uow:
        fonds = require_fonds(uow, item_filter.fonds)
        items = uow.catalogue.list_items(item_filter, after_code, limit + 1, scope, order, after_date)
        departments = uow.catalogue.departments(fonds.code)
    next_after = items[limit - 1].code if len(items) > limit else None
    return FondsView(fonds, departments, ItemPage(items[:limit], next_after, order))


def _position(after: str | None, order: ItemOrder) -> tuple[str | None, ArchivalCode | None]:
    if not after:
        return None, None
    if not order.by_date:
        return None, parse_archival_code(after)
    date, separator, code = after.partition(DATE_SEPARATOR)
    if not separator or len(date) > 8 or not date.isdigit() and date:
        raise InvalidInputError(f"page position {after!r} must read date{DATE_SEPARATOR}archival code")
    return date, parse_archival_code(code)
