"""The worker's use cases: OCR text and PDF per page, and the searchable PDF access copy of a document."""

from collections.abc import Callable
from dataclasses import replace

from appliance.domain.actors import Actor
from appliance.domain.archive_stamp import MAX_DEPARTMENT_LENGTH, ArchiveStamp
from appliance.domain.errors import NotFoundError
from appliance.domain.jobs import (
    ACCESS_COPY,
    ACCESS_PDF,
    OCR_PAGE,
    PAGE_OCR,
    STAMPED_ACCESS_PDF,
    Derivative,
    Job,
    page_list_digest,
    stamp_source,
)
from appliance.services.audit import record
from appliance.services.item_text import queue_item_text
from appliance.services.search import index_page_text

WORKER = Actor("worker", "worker")
MAX_ATTEMPTS = 5
WAIT_FOR_PAGES_SECONDS = 3
STAMP_GENERATOR = "archive-stamp/1"


def claim_jobs(uow_factory, worker: str, kinds: tuple[str, ...], limit: int) -> list[Job]:
    with uow_factory() as uow:
        jobs = uow.jobs.claim(worker, kinds, limit)
        uow.commit()
    return jobs


def store_page_text(uow_factory, blob_store, job: Job, generator: str, text: str, pdf: bytes) -> None:
    """Keep a page's OCR text and its one-page searchable PDF, and close the job."""
    pdf_ref = blob_store.put_bytes(pdf)
    with uow_factory() as uow:
        uow.blobs.add(_as_pdf(pdf_ref))
        uow.jobs.add_derivative(Derivative(job.payload["sha256"], PAGE_OCR, generator, pdf_ref.sha256, text))
        queue_item_text(uow, index_page_text(uow, job.payload["sha256"]))
        uow.jobs.complete(job.id)
        uow.commit()


def build_access_copy(uow_factory, blob_store, job: Job, merge_pages: Callable[[list[bytes]], bytes]) -> bool:
    """Merge the page PDFs of a document into its access copy; False (and the job requeued) while OCR is due."""
    with uow_factory(read_only=True, consistent=False) as uow:
        pages = _pages_of(uow, job.payload)
        made = uow.jobs.derivatives(pages, PAGE_OCR)
    if any(sha256 not in made for sha256 in pages):
        _wait_for_pages(uow_factory, job)
        return False
    page_pdfs = [_read_blob(blob_store, made[sha256].blob_sha256) for sha256 in pages]
    copy = blob_store.put_bytes(merge_pages(page_pdfs))
    generator = "+".join(sorted({made[sha256].generator for sha256 in pages}))
    target_type, target_id = _target(job.payload)
    with uow_factory() as uow:
        uow.blobs.add(_as_pdf(copy))
        uow.jobs.add_derivative(Derivative(page_list_digest(pages), ACCESS_PDF, generator, copy.sha256, None))
        record(uow, WORKER, "access-copy.create", target_type, target_id,
               {"pdf": copy.sha256, "pages": len(pages), "generator": generator})
        uow.jobs.complete(job.id)
        uow.commit()
    return True


def stamp_access_copy(uow_factory, blob_store, job: Job, stamp_first_page: Callable[[bytes, ArchiveStamp], bytes]
                      ) -> bool:
    """Draw the 归档章 on the first page of an archived item's access copy; False (requeued) while the copy is due.

    An item without an access copy (registered with page files, not scanned) gets its OCR and copy queued first.
    """
    code = job.payload["item"]
    with uow_factory(read_only=True, consistent=False) as uow:
        found = uow.catalogue.get_item_with_pages(code)
        if found is None:
            raise NotFoundError(f"no item {code}")
        item, pages = found
        digests = [page.sha256 for page in pages]
        copy = uow.jobs.derivatives([page_list_digest(digests)], ACCESS_PDF).get(page_list_digest(digests))
        department = uow.catalogue.departments(item.code.fonds).get(item.code.department or "")
    if not digests:
        return _complete(uow_factory, job)  # nothing scanned: nothing to stamp
    if copy is None:
        _queue_access_copy(uow_factory, code, digests)
        _wait_for_pages(uow_factory, job)
        return False
    short_name = department if department and len(department) <= MAX_DEPARTMENT_LENGTH else None
    stamped = blob_store.put_bytes(stamp_first_page(_read_blob(blob_store, copy.blob_sha256),
                                                    ArchiveStamp.from_code(item.code, short_name, len(digests))))
    with uow_factory() as uow:
        uow.blobs.add(_as_pdf(stamped))
        uow.jobs.add_derivative(Derivative(stamp_source(code), STAMPED_ACCESS_PDF, STAMP_GENERATOR, stamped.sha256,
                                           None))
        record(uow, WORKER, "access-copy.stamp", "item", code, {"pdf": stamped.sha256, "pages": len(digests)})
        uow.jobs.complete(job.id)
        uow.commit()
    return True


def _queue_access_copy(uow_factory, code: str, digests: list[str]) -> None:
    with uow_factory() as uow:
        for sha256 in dict.fromkeys(digests):
            uow.jobs.enqueue(OCR_PAGE, f"{OCR_PAGE}:{sha256}", {"sha256": sha256})
        uow.jobs.enqueue(ACCESS_COPY, f"{ACCESS_COPY}:{code}:{page_list_digest(digests)}",
                         {"item": code, "pages": digests})
        uow.commit()


def _complete(uow_factory, job: Job) -> bool:
    with uow_factory() as uow:
        uow.jobs.complete(job.id)
        uow.commit()
    return True


def fail_job(uow_factory, job: Job, error: str) -> None:
    """Retry with a growing delay; after MAX_ATTEMPTS the job fails for good, with an audit event."""
    with uow_factory() as uow:
        if job.attempts >= MAX_ATTEMPTS:
            uow.jobs.fail(job.id, error)
            record(uow, WORKER, "job.fail", "job", str(job.id), {"kind": job.kind, "error": error}, result="failed")
        else:
            uow.jobs.retry_later(job.id, 30 * 2 ** job.attempts, error)
        uow.commit()


def read_page(uow_factory, blob_store, job: Job) -> bytes:
    return _read_blob(blob_store, job.payload["sha256"])


def job_counts(uow_factory) -> dict[str, dict[str, int]]:
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.jobs.counts()


def unfinished_ocr(uow_factory) -> int:
    with uow_factory(read_only=True, consistent=False) as uow:
        return uow.jobs.unfinished((OCR_PAGE, ACCESS_COPY))


def _pages_of(uow, payload: dict) -> list[str]:
    if payload.get("pages") is not None:
        return list(payload["pages"])
    found = uow.catalogue.get_item_with_pages(payload["item"])
    if found is None:
        raise NotFoundError(f"no item {payload['item']}")
    return [ref.sha256 for ref in found[1]]


def _wait_for_pages(uow_factory, job: Job) -> None:
    with uow_factory() as uow:
        uow.jobs.retry_later(job.id, WAIT_FOR_PAGES_SECONDS, None, count_attempt=False)
        uow.commit()


def _target(payload: dict) -> tuple[str, str]:
    return ("item", payload["item"]) if payload.get("item") else ("intake", str(payload["document"]))


def _read_blob(blob_store, sha256: str) -> bytes:
    with blob_store.open(sha256) as handle:
        return handle.read()


def _as_pdf(ref):
    return replace(ref, media_type="application/pdf")
