"""The four checks of DA/T 70 at archiving: run every rule on each item and give a per-item report.

The rules that need no I/O live in `appliance.domain.archival_checks`; this module reads what they need
(the item, its pages, its audit history, the numbers of its class) and runs the rules that touch the
disk: digests recomputed from the stored files, every page opened.

What "stray" means for an item: the item's pages (its `item_pages` rows, in sequence) must be exactly the
digests that its `item.create` and `item.pages.add` audit events added, in event order. A page that no
event added is a stray file: it reached the item outside the logged intake. A page an event added that the
item no longer has, or the same pages in another order, fails the same rule: the item's content is not
what the log says was taken in.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.domain.archival_checks import (
    CheckName,
    Finding,
    ItemCheckReport,
    Rule,
    authenticity,
    code_findings,
    format_findings,
    gap_findings,
    logging_findings,
    metadata_findings,
    page_count_findings,
    required_field_findings,
    usability,
)
from appliance.domain.audit import AuditEvent
from appliance.domain.blobs import BlobRef
from appliance.domain.catalogue import Item
from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.errors import DanganError, InvalidInputError

CREATION_ACTION = "item.create"
PAGE_ACTIONS = (CREATION_ACTION, "item.pages.add")  # the events that add pages to an item, naming their digests
MAX_EVENTS_PER_ITEM = 100_000  # page views are logged on the item too: read its whole history, not a first page
_CHECK_ORDER = {check: position for position, check in enumerate(CheckName)}


@dataclass(frozen=True)
class _ItemRecord:
    """What the checks read about one item from the database."""

    code: str
    item: Item
    pages: list[BlobRef]
    events: list[AuditEvent]


def check_items(uow_factory, blob_store, image_problem: Callable[[Path, str], str | None],
                codes: Iterable[str]) -> list[ItemCheckReport]:
    """The four checks on each item named by `codes`: one report per code, in the order given.

    Reads the catalogue in one read-only snapshot and writes nothing, not even an audit event: the
    archiving request that runs the checks records their outcome. A code that is malformed or names no
    item gets a failing report rather than an error. Raises nothing for bad items or damaged files.
    """
    codes = list(codes)
    with uow_factory(read_only=True) as uow:
        records = {code: _read_item(uow, code) for code in dict.fromkeys(codes)}
        found = [record for record in records.values() if isinstance(record, _ItemRecord)]
        numbers = _class_numbers(uow, {record.item.code.fonds for record in found})
    return [_report(records[code], numbers, blob_store, image_problem) for code in codes]


def _read_item(uow, code: str) -> "_ItemRecord | ItemCheckReport":
    """The item, its pages and its history (two queries), or a failing report if there is no such item."""
    try:
        normalised = parse_archival_code(code).format()
    except InvalidInputError as error:
        return ItemCheckReport(code, (authenticity(Rule.CODE_WELL_FORMED, str(error)),))
    found = uow.catalogue.get_item_with_pages(normalised)
    if found is None:
        return ItemCheckReport(normalised, (authenticity(Rule.CATALOGUED, f"no item {normalised} in the catalogue"),))
    item, pages = found
    return _ItemRecord(normalised, item, pages, uow.audit.events_for("item", normalised, MAX_EVENTS_PER_ITEM))


def _class_numbers(uow, fonds_codes: set[str]) -> dict[ClassKey, Counter]:
    """How often each item number occurs in each class of the fonds concerned: one query per fonds."""
    numbers: dict[ClassKey, Counter] = defaultdict(Counter)
    for fonds_code in sorted(fonds_codes):
        for key, number in uow.catalogue.class_numbers(fonds_code):
            numbers[key][number] += 1
    return numbers


def _report(record, numbers: dict[ClassKey, Counter], blob_store, image_problem) -> ItemCheckReport:
    if isinstance(record, ItemCheckReport):
        return record
    item, pages = record.item, record.pages
    class_numbers = numbers[item.code.class_key]
    findings = [
        *code_findings(record.code, item.code, class_numbers[item.code.item_number]),
        *metadata_findings(item),
        *digest_findings(blob_store, pages),
        *page_count_findings(item.fields.pages, len(pages)),
        *required_field_findings(item.fields),
        *gap_findings(item.code, class_numbers),
        *format_findings(page.media_type for page in pages),
        *opening_findings(blob_store, image_problem, pages),
        *logging_findings(*_logged_pages(record.events), [page.sha256 for page in pages]),
    ]
    findings.sort(key=lambda finding: _CHECK_ORDER[finding.check])
    return ItemCheckReport(record.code, tuple(findings))


def digest_findings(blob_store, pages: list[BlobRef]) -> list[Finding]:
    """Authenticity: each page file, hashed again, still has the digest and size the catalogue recorded."""
    findings = []
    for number, page in enumerate(pages, start=1):
        try:
            blob_store.verify(page)
        except DanganError as error:  # IntegrityError: missing or damaged
            findings.append(authenticity(Rule.DIGESTS_MATCH, f"page {number}: {error}"))
    return findings


def opening_findings(blob_store, image_problem, pages: list[BlobRef]) -> list[Finding]:
    """Usability: each page file opens as what its media type says it is."""
    findings = []
    for number, page in enumerate(pages, start=1):
        try:
            problem = image_problem(blob_store.path(page.sha256), page.media_type)
        except DanganError as error:  # a digest that names no file
            problem = str(error)
        if problem:
            findings.append(usability(Rule.PAGES_OPEN, f"page {number} does not open: {problem}"))
    return findings


def _logged_pages(events: list[AuditEvent]) -> tuple[bool, list[str]]:
    """(whether the creation was logged, the digests the page-adding events named, in order); failed events
    changed nothing and count for neither."""
    done = [event for event in events if event.result == "ok"]
    created = any(event.action == CREATION_ACTION for event in done)
    logged: list[str] = []
    for event in done:
        if event.action in PAGE_ACTIONS:
            pages = event.details.get("pages")
            logged.extend(pages if isinstance(pages, list) else [])
    return created, logged
