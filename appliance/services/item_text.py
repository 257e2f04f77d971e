"""What follows once an item's OCR text is complete: its keywords are offered and the documents it cites are linked.

It runs as a job, queued whenever a page's text is stored, keyed by the item and its page list; the job waits
until every page has its text, so an item of thirty pages is read once rather than thirty times, and an item that
gains pages is read again.
"""

from appliance.domain.jobs import ITEM_TEXT, Job, page_list_digest
from appliance.services.keywords import KeywordExtractor, refresh_keywords
from appliance.services.links import link_citations

WAIT_SECONDS = 20  # a page's OCR takes about 3 s a core: the rest of a document is usually done by then
FIRST_DELAY_SECONDS = 5


def queue_item_text(uow, item_ids: list[int]) -> None:
    """Inside a unit of work: queue the reading of each item's text (once per item and page list)."""
    for item_id in item_ids:
        pages = uow.search.page_digests(item_id)
        if not pages:
            continue
        digest = page_list_digest(pages)
        uow.jobs.enqueue(ITEM_TEXT, f"{ITEM_TEXT}:{item_id}:{digest}", {"item": item_id},
                         delay_seconds=FIRST_DELAY_SECONDS)


def process_item_text(uow_factory, job: Job, extractor: KeywordExtractor | None = None) -> bool:
    """Offer the item's keywords (drawn by `extractor`, or a plain frequency count without one) and link what it
    cites, once all its pages have text; False (and the job put back) while some page still waits for OCR. An item
    gone since is a finished job."""
    item_id = job.payload["item"]
    with uow_factory() as uow:
        text = _complete_text(uow, item_id)
        if text is None:
            uow.jobs.retry_later(job.id, WAIT_SECONDS, None, count_attempt=False)
            uow.commit()
            return False
        if text:
            refresh_keywords(uow, item_id, text, extractor)
            link_citations(uow, item_id, text)
        uow.jobs.complete(job.id)
        uow.commit()
    return True


def _complete_text(uow, item_id: int) -> str | None:
    """The item's pages' text joined, "" when the item no longer exists, None while a page has no text yet."""
    source = uow.search.sources([item_id]).get(item_id)
    if source is None:
        return ""
    if len(source.page_texts) < len(uow.search.page_digests(item_id)):
        return None
    return "\n".join(source.page_texts)
