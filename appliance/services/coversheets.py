"""Cover sheets to print: one per registered item, or a batch sheet with separators."""

from appliance.domain.catalogue import ItemFilter
from appliance.domain.codes import parse_archival_code
from appliance.domain.coversheet import SheetText, batch_sheets, item_sheet, parse_batch_class
from appliance.domain.errors import InvalidInputError, NotFoundError
from appliance.services.fonds import require_fonds
from appliance.services.items import check_class

MAX_SHEETS = 5000


def item_cover_sheets(uow_factory, codes: list[str] = (), item_filter: ItemFilter | None = None) -> list[SheetText]:
    """Sheets for the named items, or for every item a filter selects, in code order.

    Raises NotFoundError for an unknown item or fonds, InvalidInputError for a malformed code or too many sheets.
    """
    parsed = [parse_archival_code(code).format() for code in codes]
    with uow_factory(read_only=True, consistent=False) as uow:
        items = [_require_item(uow, code) for code in parsed]
        if item_filter is not None:
            require_fonds(uow, item_filter.fonds)
            for item in uow.catalogue.iterate_items(item_filter):
                items.append(item)
                if len(items) > MAX_SHEETS:
                    raise InvalidInputError(f"more than {MAX_SHEETS} cover sheets: narrow the selection")
    if not items:
        raise InvalidInputError("no items selected: name archival codes or a fonds")
    return [item_sheet(item.code, item.fields.title, item.fields.date, item.fields.pages) for item in items]


def batch_cover_sheets(uow_factory, class_text: str, separators: int) -> list[SheetText]:
    """A batch sheet for `fonds/category/year/retention[/department]` and its separators; raises InvalidInputError."""
    if not 0 <= separators <= 1000:
        raise InvalidInputError("separators must be between 0 and 1000")
    key = parse_batch_class(class_text)
    with uow_factory(read_only=True, consistent=False) as uow:
        check_class(uow, key)
        fonds = require_fonds(uow, key.fonds)
    return batch_sheets(key, fonds.name, separators)


def _require_item(uow, code: str):
    item = uow.catalogue.get_item(code)
    if item is None:
        raise NotFoundError(f"no item {code}")
    return item
