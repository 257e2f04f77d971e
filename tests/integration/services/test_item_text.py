"""The item-text job: queued as pages get their OCR text, once per item and page list, run when all pages have text."""

import datetime

from sqlalchemy import text

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.jobs import ITEM_TEXT, Job
from appliance.services.derivatives import claim_jobs, store_page_text
from appliance.services.item_text import process_item_text
from appliance.services.items import add_item


def item_with_pages(appliance, actor, count: int):
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2019, "Y", "BGS"),
                    ItemFields.build(title="关于文件的通知", date="20190315", access_label="公开"))
    pages = [appliance.blob_store.put_bytes(f"page {number}".encode()) for number in range(count)]
    with appliance.uow_factory() as uow:
        for page in pages:
            uow.blobs.add(page)
        uow.blobs.add_pages(item.id, [page.sha256 for page in pages])
        uow.commit()
    return item, pages


def read_page(appliance, page, text: str) -> None:
    store_page_text(appliance.uow_factory, appliance.blob_store, Job(0, "ocr-page", {"sha256": page.sha256}, 1),
                    "test/1", text, f"%PDF {text}".encode())


def queued_payloads(appliance) -> list[str]:
    with appliance.uow_factory(read_only=True) as uow:
        return list(uow.session.scalars(text("SELECT payload FROM jobs WHERE kind = :kind"), {"kind": ITEM_TEXT}))


def run_due(appliance) -> list[bool]:
    with appliance.uow_factory() as uow:  # as if the job's delay had passed
        uow.session.execute(text("UPDATE jobs SET run_after = :now"), {"now": datetime.datetime.now(datetime.UTC)})
        uow.commit()
    return [process_item_text(appliance.uow_factory, job)
            for job in claim_jobs(appliance.uow_factory, "test", (ITEM_TEXT,), 10)]


def test_one_job_per_item_waits_for_every_page(appliance, actor, fonds):
    item, pages = item_with_pages(appliance, actor, 2)
    read_page(appliance, pages[0], "第一页")
    read_page(appliance, pages[0], "第一页")
    assert queued_payloads(appliance) == [f'{{"item": {item.id}}}']
    assert run_due(appliance) == [False]  # page 2 has no text yet: the job goes back to the queue
    read_page(appliance, pages[1], "第二页")
    assert run_due(appliance) == [True]
    assert run_due(appliance) == []


def test_new_pages_queue_the_item_again(appliance, actor, fonds):
    item, pages = item_with_pages(appliance, actor, 1)
    read_page(appliance, pages[0], "第一页")
    assert run_due(appliance) == [True]
    extra = appliance.blob_store.put_bytes(b"page extra")
    with appliance.uow_factory() as uow:
        uow.blobs.add(extra)
        uow.blobs.add_pages(item.id, [extra.sha256])
        uow.commit()
    read_page(appliance, extra, "补充页")
    assert run_due(appliance) == [True]
