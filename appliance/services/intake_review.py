"""Reviewing the intake queue: documents that filed themselves nowhere are filed by a person, split, merged, or
have pages moved between them. Only documents still in the queue change; every act is an audit event.
"""

import hashlib
from dataclasses import dataclass

from appliance.domain.access import AccessScope
from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel, Item, ItemState, parse_access_label
from appliance.domain.codes import parse_archival_code
from appliance.domain.coversheet import parse_batch_class
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.intake import IntakeState
from appliance.domain.scanning import IntakeDocumentView
from appliance.services.audit import record
from appliance.services.intake import Filing, add_pages_to_item, filing_as_new_item, filing_to_item, queue_ocr


@dataclass(frozen=True)
class IntakeDocument:
    view: IntakeDocumentView
    pages: list[str]  # page digests in order


@dataclass(frozen=True)
class IntakeQueue:
    documents: list[IntakeDocumentView]  # delivered, waiting for a person to say where they belong
    items: list[Item]  # made from batches, waiting to be described


def intake_overview(uow_factory, scope: AccessScope, limit: int = 200) -> IntakeQueue:
    with uow_factory(read_only=True, consistent=False) as uow:
        return IntakeQueue(uow.intake.documents(state=IntakeState.INTAKE, limit=limit),
                           uow.catalogue.items_in_state(ItemState.INTAKE, limit, scope))


def intake_document(uow_factory, document_id: int) -> IntakeDocument:
    """A delivered document with its pages; raises NotFoundError."""
    with uow_factory(read_only=True, consistent=False) as uow:
        return IntakeDocument(_require(uow, document_id), uow.intake.document_pages(document_id))


def file_to_item(uow_factory, actor: Actor, document_id: int, archival_code: str) -> IntakeDocumentView:
    """Append the document's pages to a registered item in intake; raises NotFoundError, ConflictError,
    InvalidInputError (no such item, or one that takes no more pages)."""
    code = parse_archival_code(archival_code.strip()).format()
    with uow_factory() as uow:
        document = _require_waiting(uow, document_id)
        filing = filing_to_item(uow, code)
        return _file(uow, actor, document, filing, "intake.file")


def file_as_new_item(uow_factory, actor: Actor, document_id: int, class_text: str,
                     access_label: str = AccessLabel.INTERNAL.value) -> IntakeDocumentView:
    """Make a new item in a class (`Z109/WS/2011/D30/BGS`) from the document; raises as file_to_item does."""
    key = parse_batch_class(class_text.strip().upper())
    with uow_factory() as uow:
        document = _require_waiting(uow, document_id)
        filing = filing_as_new_item(uow, key, parse_access_label(access_label))
        return _file(uow, actor, document, filing, "intake.new_item")


def split_document(uow_factory, actor: Actor, document_id: int, first_page: int) -> IntakeDocumentView:
    """Cut a document before page `first_page`; the pages from there on become a new document in the queue."""
    with uow_factory() as uow:
        document = _require_waiting(uow, document_id)
        if not 2 <= first_page <= document.pages:
            raise InvalidInputError(f"a document of {document.pages} pages splits before page 2 to "
                                    f"{document.pages}, not {first_page}")
        key = hashlib.sha256(f"{uow.intake.document_key(document_id)}:split:{first_page}".encode()).hexdigest()
        new_id = uow.intake.copy_document(document_id, key, f"split from document {document_id}")
        uow.intake.move_pages(document_id, list(range(first_page, document.pages + 1)), new_id)
        record(uow, actor, "intake.split", "intake", str(document_id), {"before_page": first_page, "new": new_id})
        uow.commit()
        return uow.intake.get_document(new_id)


def move_pages(uow_factory, actor: Actor, source_id: int, pages: list[int], target_id: int) -> IntakeDocumentView:
    """Move pages (numbers in the source) to the end of another waiting document; a source left empty is marked
    merged. Raises NotFoundError, ConflictError or InvalidInputError."""
    if source_id == target_id:
        raise InvalidInputError("pages move to another document, not to the same one")
    with uow_factory() as uow:
        source = _require_waiting(uow, source_id)
        _require_waiting(uow, target_id)
        chosen = sorted(set(pages))
        if not chosen or not all(1 <= number <= source.pages for number in chosen):
            raise InvalidInputError(f"choose pages between 1 and {source.pages} of document {source_id}")
        uow.intake.move_pages(source_id, chosen, target_id)
        if len(chosen) == source.pages:
            uow.intake.set_document_filing(source_id, IntakeState.MERGED, None, f"merged into document {target_id}")
        action = "intake.merge" if len(chosen) == source.pages else "intake.move_pages"
        record(uow, actor, action, "intake", str(source_id), {"pages": chosen, "into": target_id})
        uow.commit()
        return uow.intake.get_document(target_id)


def merge_documents(uow_factory, actor: Actor, source_id: int, target_id: int) -> IntakeDocumentView:
    """Append every page of the source to the target; the source stays on record as merged."""
    with uow_factory(read_only=True) as uow:
        pages = _require(uow, source_id).pages
    return move_pages(uow_factory, actor, source_id, list(range(1, pages + 1)), target_id)


def _file(uow, actor: Actor, document: IntakeDocumentView, filing: Filing, action: str) -> IntakeDocumentView:
    if filing.state is IntakeState.INTAKE:
        raise InvalidInputError(filing.reason)
    digests = uow.intake.document_pages(document.id)
    if not digests:
        raise ConflictError(f"document {document.id} has no pages left to file")
    uow.intake.set_document_filing(document.id, filing.state, filing.item_id, None)
    add_pages_to_item(uow, actor, filing, digests)
    queue_ocr(uow, digests, document.id, filing)
    record(uow, actor, action, "intake", str(document.id), {"archival_code": filing.archival_code,
                                                             "pages": len(digests)})
    uow.commit()
    return uow.intake.get_document(document.id)


def _require(uow, document_id: int) -> IntakeDocumentView:
    document = uow.intake.get_document(document_id)
    if document is None:
        raise NotFoundError(f"no intake document {document_id}")
    return document


def _require_waiting(uow, document_id: int) -> IntakeDocumentView:
    document = uow.intake.get_document(document_id, for_update=True)
    if document is None:
        raise NotFoundError(f"no intake document {document_id}")
    if document.state is not IntakeState.INTAKE:
        raise ConflictError(f"document {document_id} is {document.state.value} already; only documents waiting "
                            "in the queue change")
    return document
