"""Intake: receive a document from a scanner agent, store its originals, file it, queue its OCR.

Delivery is idempotent: the document key is the SHA-256 of the document's content, so a document delivered
twice (a retry after a lost response, a restarted agent) is filed once and the second delivery gets the
first one's receipt.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from appliance.domain.actors import Actor
from appliance.domain.blobs import BlobRef
from appliance.domain.catalogue import AccessLabel, ItemState, parse_access_label
from appliance.domain.coversheet import CoverKind, InvalidPayloadError, parse_payload
from appliance.domain.errors import ConflictError, InvalidInputError
from appliance.domain.intake import (
    IntakeReceipt,
    IntakeState,
    placeholder_fields,
    refusal_for_item_state,
)
from appliance.domain.intake_manifest import Manifest
from appliance.domain.jobs import ACCESS_COPY, OCR_PAGE, page_list_digest
from appliance.services.audit import record
from appliance.services.items import check_class
from appliance.services.search import index_item

NO_COVER_REASON = "no cover sheet named where these pages belong"


@dataclass(frozen=True)
class Filing:
    state: IntakeState
    item_id: int | None = None
    archival_code: str | None = None
    reason: str | None = None


def receive_document(uow_factory, blob_store, agent: Actor, manifest: Manifest, page_streams: list[BinaryIO],
                     default_label: str = AccessLabel.INTERNAL.value,
                     image_problem: Callable[[Path, str], str | None] = lambda path, media_type: None,
                     ) -> IntakeReceipt:
    """Store and file one delivered document; a document delivered before returns its first receipt.

    `image_problem(path, media_type)` says why a stored page is not a usable image (None: it is).
    Raises InvalidInputError when a page's content does not match its digest or is not a usable image.
    """
    with uow_factory(read_only=True, consistent=False) as uow:
        earlier = uow.intake.find_receipt(manifest.document_key)
    if earlier is not None:
        return earlier
    access_label = parse_access_label(default_label)
    stored = _store_pages(blob_store, manifest, page_streams)  # durable before the commit that names them
    for entry in manifest.pages:
        problem = image_problem(blob_store.path(entry.sha256), entry.media_type)
        if problem:
            raise InvalidInputError(f"{entry.part}: {problem}; nothing of this document was filed")
    try:
        return _file_document(uow_factory, agent, manifest, stored, access_label)
    except ConflictError:
        with uow_factory(read_only=True, consistent=False) as uow:
            earlier = uow.intake.find_receipt(manifest.document_key)  # the same document, delivered concurrently
        if earlier is None:
            raise
        return earlier


def _store_pages(blob_store, manifest: Manifest, page_streams: list[BinaryIO]) -> list[BlobRef]:
    if len(page_streams) != len(manifest.pages):
        raise InvalidInputError(f"the manifest lists {len(manifest.pages)} pages but {len(page_streams)} arrived")
    stored = []
    for entry, stream in zip(manifest.pages, page_streams, strict=True):
        ref = blob_store.put_stream(stream)
        if ref.sha256 != entry.sha256:
            raise InvalidInputError(f"{entry.part}: content does not match its SHA-256 in the manifest")
        stored.append(replace(ref, media_type=entry.media_type))
    return stored


def _file_document(uow_factory, agent: Actor, manifest: Manifest, stored: list[BlobRef],
                   access_label: AccessLabel) -> IntakeReceipt:
    batch = manifest.batch
    with uow_factory() as uow:
        earlier = uow.intake.find_receipt(manifest.document_key)  # SQLite: under the write lock, so exact
        if earlier is not None:
            return earlier
        uow.intake.ensure_batch(batch.id, agent.name, batch.origin, batch.device, batch.operator, batch.started_at)
        for ref in stored:
            uow.blobs.add(ref)
        filing = _decide_filing(uow, manifest, access_label)
        document_id = uow.intake.add_document(
            manifest.document_key, batch.id, manifest.sequence, manifest.cover_payload, filing.state,
            filing.item_id, filing.reason, manifest.capture.to_dict())
        uow.intake.add_pages(document_id, [_page_record(entry) for entry in manifest.pages])
        digests = [ref.sha256 for ref in stored]
        if filing.item_id is not None:
            add_pages_to_item(uow, agent, filing, digests)
        queue_ocr(uow, digests, document_id, filing)
        record(uow, agent, "intake.receive", "intake", str(document_id), _receive_details(manifest, filing, digests))
        uow.commit()
    return IntakeReceipt(document_id, filing.state, filing.archival_code, filing.reason)


def _decide_filing(uow, manifest: Manifest, access_label: AccessLabel) -> Filing:
    if manifest.problem:
        return Filing(IntakeState.INTAKE, reason=manifest.problem)
    if manifest.cover_payload is None:
        return Filing(IntakeState.INTAKE, reason=NO_COVER_REASON)
    try:
        cover = parse_payload(manifest.cover_payload)
    except InvalidPayloadError as error:
        return Filing(IntakeState.INTAKE, reason=str(error))
    if cover.kind is CoverKind.ITEM:
        return filing_to_item(uow, cover.item_code.format())
    if cover.kind is CoverKind.BATCH:
        return filing_as_new_item(uow, cover.batch_class, access_label)
    return Filing(IntakeState.INTAKE, reason="a separator sheet outside a batch")


def filing_to_item(uow, code: str) -> Filing:
    """Inside a unit of work: the registered item to file pages to, or the reason they cannot go there."""
    item = uow.catalogue.get_item(code)
    if item is None:
        return Filing(IntakeState.INTAKE, reason=f"no registered item {code}; register it or file the pages by hand")
    refusal = refusal_for_item_state(code, item.state)
    if refusal:
        return Filing(IntakeState.INTAKE, reason=refusal)
    return Filing(IntakeState.FILED, item.id, code)


def filing_as_new_item(uow, key, access_label: AccessLabel) -> Filing:
    """Inside a unit of work: a new item in the class `key` to file pages to, or the reason there cannot be one."""
    try:
        check_class(uow, key)
    except InvalidInputError as error:
        return Filing(IntakeState.INTAKE, reason=f"batch class {key.label()}: {error}")
    code = key.code_for(uow.catalogue.allocate_item_number(key))
    item_id = uow.catalogue.add_item(code, placeholder_fields(access_label), ItemState.INTAKE)  # 页数 below
    return Filing(IntakeState.NEW_ITEM, item_id, code.format())


def add_pages_to_item(uow, agent: Actor, filing: Filing, digests: list[str]) -> None:
    """Inside a unit of work: append pages to the filing's item; 页数 follows, and the change is audited."""
    uow.blobs.add_pages(filing.item_id, digests)
    item = uow.catalogue.get_item(filing.archival_code)
    pages = item.fields.pages + len(digests)
    uow.catalogue.set_pages(filing.item_id, pages)  # 页数 follows the pages captured
    index_item(uow, filing.item_id)  # a page seen before may have its OCR text already
    action = "item.create" if filing.state is IntakeState.NEW_ITEM else "item.pages.add"
    record(uow, agent, action, "item", filing.archival_code, {"pages": digests, "页数": pages})


def queue_ocr(uow, digests: list[str], document_id: int, filing: Filing) -> None:
    """Inside a unit of work: OCR for each page (once per page ever) and the access copy of the document."""
    for sha256 in dict.fromkeys(digests):
        uow.jobs.enqueue(OCR_PAGE, f"{OCR_PAGE}:{sha256}", {"sha256": sha256})
    target = {"item": filing.archival_code} if filing.item_id is not None else {"document": document_id}
    pages = digests if filing.item_id is None else None
    payload = {**target, "pages": pages}
    uow.jobs.enqueue(ACCESS_COPY, f"{ACCESS_COPY}:{document_id}:{page_list_digest(digests)}", payload)


def _page_record(entry) -> dict:
    return {"blob_sha256": entry.sha256, "resolution": entry.resolution, "colour_mode": entry.colour_mode,
            "side": entry.side, "origin": entry.origin}


def _receive_details(manifest: Manifest, filing: Filing, digests: list[str]) -> dict:
    return {
        "document_key": manifest.document_key, "batch": manifest.batch.id, "sequence": manifest.sequence,
        "cover": manifest.cover_payload, "state": filing.state.value, "archival_code": filing.archival_code,
        "reason": filing.reason, "pages": digests, "device": manifest.batch.device,
        "operator": manifest.batch.operator, "capture": manifest.capture.to_dict(),
    }
