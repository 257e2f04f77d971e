"""Printing cover sheets, audited: who printed sheets for which items or batch class, and how many.

A cover sheet decides where scanned pages are filed, so a sheet found in a stack must be traceable to the person
who printed it. The sheets themselves come from `coversheets`; the PDF from the renderer the caller passes (the
adapter), and the event is recorded only once the PDF exists.
"""

from collections.abc import Callable
from dataclasses import dataclass

from appliance.domain.actors import Actor
from appliance.domain.coversheet import SheetText
from appliance.domain.errors import InvalidInputError
from appliance.services.audit import record
from appliance.services.coversheets import MAX_SHEETS, batch_cover_sheets, item_cover_sheets

Renderer = Callable[[list[SheetText]], bytes]
AUDITED_CODES = 50  # the event names this many codes; the count says how many there were


@dataclass(frozen=True)
class PrintedSheets:
    pdf: bytes
    sheets: int
    subject: str  # the one archival code, the number of items, or the batch class: for the file name


def print_item_sheets(uow_factory, actor: Actor, render: Renderer, codes: list[str]) -> PrintedSheets:
    """A PDF with one cover sheet per named item, in the order given, each code once.

    Raises InvalidInputError for no codes, too many or a malformed one, NotFoundError for an unknown item.
    """
    unique = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if not unique:
        raise InvalidInputError("name at least one archival code, one per line")
    if len(unique) > MAX_SHEETS:
        raise InvalidInputError(f"at most {MAX_SHEETS} cover sheets at once, not {len(unique)}")
    sheets = item_cover_sheets(uow_factory, unique)
    pdf = render(sheets)
    printed = [sheet.payload.removeprefix("DA1:ITEM:") for sheet in sheets]
    details = {"kind": "items", "sheets": len(sheets), "codes": printed[:AUDITED_CODES]}
    _record(uow_factory, actor, printed[0] if len(printed) == 1 else f"{len(printed)} items", details)
    subject = printed[0] if len(printed) == 1 else f"{len(printed)}-items"
    return PrintedSheets(pdf, len(sheets), subject)


def print_batch_sheets(uow_factory, actor: Actor, render: Renderer, class_text: str,
                       separators: int) -> PrintedSheets:
    """A PDF with a batch sheet for `fonds/category/year/retention[/department]` and its separator sheets.

    Raises InvalidInputError for a malformed or unknown class or a separator count outside 0-1000, NotFoundError
    for an unknown fonds.
    """
    sheets = batch_cover_sheets(uow_factory, class_text.strip().upper(), separators)
    pdf = render(sheets)
    batch_class = sheets[0].payload.removeprefix("DA1:BATCH:")
    details = {"kind": "batch", "sheets": len(sheets), "class": batch_class, "separators": separators}
    _record(uow_factory, actor, batch_class, details)
    return PrintedSheets(pdf, len(sheets), batch_class)


def _record(uow_factory, actor: Actor, object_id: str, details: dict) -> None:
    with uow_factory() as uow:
        record(uow, actor, "coversheet.print", "coversheet", object_id, details)
        uow.commit()
