"""Items with OCR text, as if the worker had read their pages: for the search tests."""

from appliance.domain.jobs import PAGE_OCR, Derivative
from appliance.services.search import index_item


def attach_texts(appliance, texts_by_item: dict[int, list[str]]) -> None:
    """Give each item pages with these OCR texts and index it, in one transaction."""
    with appliance.uow_factory() as uow:
        for item_id, page_texts in texts_by_item.items():
            digests = []
            for number, text in enumerate(page_texts):
                page = appliance.blob_store.put_bytes(f"page {item_id}/{number}".encode())
                pdf = appliance.blob_store.put_bytes(f"%PDF {item_id}/{number}".encode())
                uow.blobs.add(page)
                uow.blobs.add(pdf)
                uow.jobs.add_derivative(Derivative(page.sha256, PAGE_OCR, "test/1", pdf.sha256, text))
                digests.append(page.sha256)
            uow.blobs.add_pages(item_id, digests)
            index_item(uow, item_id)
        uow.commit()
