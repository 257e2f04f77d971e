"""Seeing records: the item page's content (pages, OCR text), and watermarked page views, downloads and prints.

Every view, download and print is an audit event naming the page or pages. The original is never sent: a display
rendition is made once per page (kept as a derivative) and stamped for each viewer with their name, the time and
their address.
"""

import datetime
from dataclasses import dataclass, replace
from typing import Protocol

from appliance.domain.access import AccessScope
from appliance.domain.blobs import BlobRef
from appliance.domain.catalogue import Item
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ForbiddenError, NotFoundError
from appliance.domain.jobs import PAGE_OCR, Derivative
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.domain.watermark import Watermark
from appliance.services.audit import record

PAGE_VIEW = "page-view"  # derivative kind: the display rendition of a page
RENDITION_GENERATOR = "display-jpeg-1400/1"


class PageImaging(Protocol):
    """The port to the renderer (appliance.adapters.watermark)."""

    def display_rendition(self, source: bytes) -> bytes: ...

    def stamp(self, rendition: bytes, watermark: Watermark) -> bytes: ...

    def watermarked_pdf(self, renditions: list[bytes], watermark: Watermark) -> bytes: ...


@dataclass(frozen=True)
class ItemContent:
    """The item as one may see it: pages and their OCR text only for those who may view content."""

    item: Item
    pages: list[BlobRef]
    texts: list[str | None]  # per page; None while OCR has not run


def item_content(uow_factory, archival_code: str, scope: AccessScope) -> ItemContent:
    """The item's pages with their OCR text; raises NotFoundError (also for an item outside the scope).

    The caller decides whether the person may see them (content_access)."""
    with uow_factory(read_only=True, consistent=False) as uow:
        item, pages = _visible_item(uow, archival_code, scope)
        made = uow.jobs.derivatives([page.sha256 for page in pages], PAGE_OCR) if pages else {}
    return ItemContent(item, pages, [made[page.sha256].text if page.sha256 in made else None for page in pages])


def content_access(uow_factory, principal: Principal, archival_code: str, now: datetime.datetime,
                   purpose: str = "view") -> dict:
    """How the principal may see the item's content: by role, or by a viewing grant in force (its id is returned
    for the audit event). Raises ForbiddenError without either, when the grant does not cover `purpose`, or when
    the item was destroyed; NotFoundError for an unknown or hidden item."""
    _refuse_destroyed(uow_factory, archival_code)
    if principal.may(Action.ITEM_VIEW_CONTENT):
        return {}
    with uow_factory(read_only=True, consistent=False) as uow:
        item, _ = _visible_item(uow, archival_code, principal.scope)
        grant = uow.workflows.active_grant(principal.username, item.id, now)
    if grant is None:
        raise ForbiddenError(f"viewing {item.archival_code} needs an approved borrowing in force")
    grant_id, may_download, may_print = grant
    if (purpose == "download" and not may_download) or (purpose == "print" and not may_print):
        raise ForbiddenError(f"the borrowing of {item.archival_code} does not include {purpose}")
    return {"grant": grant_id}


def view_page(uow_factory, blob_store, imaging: PageImaging, principal: Principal, archival_code: str,
              number: int, now: datetime.datetime, purpose: str = "view") -> bytes:
    """Page `number` (from 1) stamped for the viewer, as a JPEG; audited. Raises NotFoundError or ForbiddenError."""
    access = content_access(uow_factory, principal, archival_code, now)
    item, page = _page_of(uow_factory, archival_code, number, principal.scope)
    rendition = _rendition(uow_factory, blob_store, imaging, page)
    image = imaging.stamp(rendition, _watermark(principal, now))
    _audit_use(uow_factory, principal, f"item.{purpose}_page", item,
               {"page": number, "sha256": page.sha256, **access})
    return image


def view_intake_page(uow_factory, blob_store, imaging: PageImaging, principal: Principal, document_id: int,
                     number: int, now: datetime.datetime) -> bytes:
    """Page `number` of a delivered document in intake, stamped for the viewer; audited.

    Raises NotFoundError, or ForbiddenError when the document's item was destroyed."""
    with uow_factory(read_only=True, consistent=False) as uow:
        destroyed_under = uow.destruction.document_destroyed_under(document_id)
        digests = uow.intake.document_pages(document_id)
        page = uow.blobs.get(digests[number - 1]) if 1 <= number <= len(digests) else None
    if destroyed_under is not None:
        raise ForbiddenError(f"intake document {document_id} became part of an item destroyed under list "
                             f"{destroyed_under}: its pages no longer exist")
    if page is None:
        raise NotFoundError(f"intake document {document_id} has no page {number}")
    image = imaging.stamp(_rendition(uow_factory, blob_store, imaging, page), _watermark(principal, now))
    with uow_factory() as uow:
        record(uow, principal.actor, "intake.view_page", "intake", str(document_id),
               {"page": number, "sha256": page.sha256, "via": principal.via})
        uow.commit()
    return image


def download_pdf(uow_factory, blob_store, imaging: PageImaging, principal: Principal, archival_code: str,
                 now: datetime.datetime, purpose: str = "download") -> bytes:
    """Every page of the item stamped for the viewer, as one PDF; audited as a download or a print.

    Raises NotFoundError for an unknown or hidden item, or one without pages; ForbiddenError without the right.
    """
    access = content_access(uow_factory, principal, archival_code, now, purpose)
    with uow_factory(read_only=True, consistent=False) as uow:
        item, pages = _visible_item(uow, archival_code, principal.scope)
    if not pages:
        raise NotFoundError(f"item {item.archival_code} has no page images")
    renditions = [_rendition(uow_factory, blob_store, imaging, page) for page in pages]
    document = imaging.watermarked_pdf(renditions, _watermark(principal, now))
    _audit_use(uow_factory, principal, f"item.{purpose}", item, {"pages": len(pages), **access})
    return document


def _refuse_destroyed(uow_factory, archival_code: str) -> None:
    """The catalogue entry of a destroyed item stays; its content is gone, and saying so beats a missing file."""
    code = parse_archival_code(archival_code).format()
    with uow_factory(read_only=True, consistent=False) as uow:
        number = uow.destruction.destroyed_under(code)
    if number is not None:
        raise ForbiddenError(f"item {code} was destroyed under list {number}: its content no longer exists")


def _visible_item(uow, archival_code: str, scope: AccessScope) -> tuple[Item, list[BlobRef]]:
    code = parse_archival_code(archival_code).format()
    found = uow.catalogue.get_item_with_pages(code)
    if found is None or not scope.can_see(found[0]):
        raise NotFoundError(f"no item {code}")
    return found


def _page_of(uow_factory, archival_code: str, number: int, scope: AccessScope) -> tuple[Item, BlobRef]:
    with uow_factory(read_only=True, consistent=False) as uow:
        item, pages = _visible_item(uow, archival_code, scope)
    if not 1 <= number <= len(pages):
        raise NotFoundError(f"item {item.archival_code} has no page {number} (it has {len(pages)})")
    return item, pages[number - 1]


def _rendition(uow_factory, blob_store, imaging: PageImaging, page: BlobRef) -> bytes:
    """The page's display rendition, made and kept the first time it is asked for."""
    with uow_factory(read_only=True, consistent=False) as uow:
        made = uow.jobs.derivatives([page.sha256], PAGE_VIEW).get(page.sha256)
    if made is not None and made.generator == RENDITION_GENERATOR and blob_store.exists(made.blob_sha256):
        return _read(blob_store, made.blob_sha256)
    rendition = imaging.display_rendition(_read(blob_store, page.sha256))
    stored = replace(blob_store.put_bytes(rendition), media_type="image/jpeg")
    with uow_factory() as uow:
        uow.blobs.add(stored)
        uow.jobs.add_derivative(Derivative(page.sha256, PAGE_VIEW, RENDITION_GENERATOR, stored.sha256, None))
        uow.commit()
    return rendition


def _audit_use(uow_factory, principal: Principal, action: str, item: Item, details: dict) -> None:
    with uow_factory() as uow:
        record(uow, principal.actor, action, "item", item.archival_code, {**details, "via": principal.via})
        uow.commit()


def _watermark(principal: Principal, now: datetime.datetime) -> Watermark:
    return Watermark(principal.username, principal.display_name, now, principal.source)


def _read(blob_store, sha256: str) -> bytes:
    with blob_store.open(sha256) as handle:
        return handle.read()
