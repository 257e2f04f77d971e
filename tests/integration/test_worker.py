"""The worker on real tesseract: queued OCR jobs become page text and a searchable access copy."""

import datetime
import io
import subprocess
import threading
import time

import pytest
from sqlalchemy import text

from appliance.adapters.sample_batch import render_text_page
from appliance.domain.actors import Actor
from appliance.domain.jobs import ACCESS_PDF, OCR_PAGE, PAGE_OCR, page_list_digest
from appliance.services.derivatives import job_counts, unfinished_ocr
from appliance.services.intake import receive_document
from appliance.worker import Worker
from tests.support.intake_documents import delivered_raw, streams

LINES = ["关于做好档案数字化工作的通知", "各单位：请按照档案管理办法做好归档工作。"]


def png_page(lines) -> bytes:
    output = io.BytesIO()
    render_text_page(lines, dpi=300).save(output, format="PNG", dpi=(300, 300))
    return output.getvalue()


def run_worker_until_idle(appliance, timeout=90):
    stop = threading.Event()
    worker = Worker(appliance, processes=2, poll_seconds=0.1)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while unfinished_ocr(appliance.uow_factory) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join()


@pytest.mark.slow
def test_ocr_text_and_a_searchable_access_copy_for_a_delivered_document(appliance):
    pages = [png_page(LINES), png_page(["第二页", "档案整理规则"])]
    manifest, pages = delivered_raw(None, pages)
    receipt = receive_document(appliance.uow_factory, appliance.blob_store, Actor("agent"), manifest,
                               streams(pages))
    run_worker_until_idle(appliance)
    assert job_counts(appliance.uow_factory)[OCR_PAGE] == {"done": 2}
    digests = [entry.sha256 for entry in manifest.pages]
    with appliance.uow_factory(read_only=True) as uow:
        texts = uow.jobs.derivatives(digests, PAGE_OCR)
        (copy,) = uow.jobs.derivatives([page_list_digest(digests)], ACCESS_PDF).values()
        events = uow.audit.events_for("intake", str(receipt.document_id))
    assert "档案数字化" in texts[digests[0]].text.replace(" ", "")
    assert "整理规则" in texts[digests[1]].text.replace(" ", "")
    with appliance.blob_store.open(copy.blob_sha256) as handle:
        pdf_text = subprocess.run(["pdftotext", "-", "-"], input=handle.read(), capture_output=True).stdout
    assert "规则" in pdf_text.decode().replace(" ", "")
    assert [event.action for event in events] == ["intake.receive", "access-copy.create"]


def test_a_page_that_cannot_be_read_is_retried_later_and_the_other_pages_go_on(appliance):
    lost, _ = delivered_raw(None, [png_page(["这一页的原件丢失了"])])
    kept, _ = delivered_raw(None, [png_page(LINES)], sequence=2)
    for manifest, lines in ((lost, ["这一页的原件丢失了"]), (kept, LINES)):
        receive_document(appliance.uow_factory, appliance.blob_store, Actor("agent"), manifest,
                         streams([png_page(lines)]))
    appliance.blob_store.path(lost.pages[0].sha256).unlink()  # the disk lost it: the job must not stop the others
    stop = threading.Event()
    worker = Worker(appliance, processes=1, poll_seconds=0.1)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and job_counts(appliance.uow_factory)[OCR_PAGE].get("done", 0) < 1:
        time.sleep(0.1)
    stop.set()
    thread.join()
    with appliance.uow_factory(read_only=True) as uow:
        failed = uow.session.execute(text("SELECT attempts, state, last_error FROM jobs WHERE dedupe_key = :key"),
                                     {"key": f"{OCR_PAGE}:{lost.pages[0].sha256}"}).one()
    assert job_counts(appliance.uow_factory)[OCR_PAGE] == {"done": 1, "queued": 1}
    assert (failed.attempts, failed.state) == (1, "queued") and "cannot be read" in failed.last_error


def test_an_idle_worker_sleeps_between_looks_at_the_queue(appliance):
    looks = []
    counting = _CountingFactory(appliance.uow_factory, looks)
    worker = Worker(appliance, processes=1, poll_seconds=0.25)
    worker.appliance = _WithFactory(appliance, counting)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    time.sleep(1.0)
    stop.set()
    thread.join()
    assert 2 <= len(looks) <= 40  # a few queue reads per poll (grants, OCR, copies, stamps), 4 polls: not thousands


class _CountingFactory:
    def __init__(self, factory, calls: list):
        self.factory, self.calls = factory, calls

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        return self.factory(*args, **kwargs)


class _WithFactory:
    def __init__(self, appliance, factory):
        self._appliance, self.uow_factory = appliance, factory

    def __getattr__(self, name):
        return getattr(self._appliance, name)


@pytest.mark.slow
def test_an_archived_item_gets_the_archiving_stamp_on_its_access_copy(appliance, actor, fonds, tmp_path):
    import datetime

    from appliance.domain.access import EVERYTHING
    from appliance.domain.catalogue import ItemFields
    from appliance.domain.codes import ClassKey
    from appliance.domain.jobs import STAMPED_ACCESS_PDF, stamp_source
    from appliance.domain.permissions import allowed_actions
    from appliance.domain.sessions import Principal
    from appliance.domain.workflow import Decision, RequestKind
    from appliance.services.items import add_item
    from appliance.services.workflows import decide_request, open_request

    page = tmp_path / "page.png"
    page.write_bytes(png_page(LINES))
    fields = ItemFields.build(title="关于做好档案数字化工作的通知", date="20110315", responsible="办公室")
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "D10", "BGS"),
                    fields, [page])

    def person(name, role):
        return Principal(name, name, frozenset({role}), allowed_actions([role]), EVERYTHING, "test")

    now = datetime.datetime.now(datetime.UTC)
    request_id = open_request(appliance.uow_factory, person("wang", "archivist"), RequestKind.ARCHIVING,
                              [item.archival_code], "", now).request.id
    decide_request(appliance.uow_factory, person("zhao", "approver"), request_id, Decision.APPROVE, "", now)
    stop = threading.Event()
    thread = threading.Thread(target=Worker(appliance, processes=1, poll_seconds=0.1).run, args=(stop,))
    thread.start()
    deadline, stamped = time.monotonic() + 90, None
    try:
        while stamped is None and time.monotonic() < deadline:
            time.sleep(0.3)
            with appliance.uow_factory(read_only=True) as uow:
                stamped = uow.jobs.derivatives([stamp_source(item.archival_code)], STAMPED_ACCESS_PDF).get(
                    stamp_source(item.archival_code))
    finally:
        stop.set()
        thread.join()
    assert stamped is not None
    pdf = tmp_path / "stamped.pdf"
    pdf.write_bytes(appliance.blob_store.path(stamped.blob_sha256).read_bytes())
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Z109" in text and "定期10年" in text and "办公室" in text and "档案" in text


def test_the_filing_model_trains_beside_the_queue_not_in_its_way(appliance, monkeypatch):
    """Training stands in for the ~30 s a large archive's takes: the worker's rounds go on meanwhile, and no second
    training starts while one runs."""
    from appliance import assistance_wiring

    release, started = threading.Event(), []

    def slow_training(uow_factory, models, now):
        started.append(now)
        release.wait(30)

    monkeypatch.setattr(assistance_wiring, "retrain_if_due", slow_training)
    worker = Worker(appliance, processes=1)
    first = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
    worker._keep_house(first)  # returns while the model trains
    assert worker.training and started == [first]
    worker._keep_house(first + datetime.timedelta(hours=1))  # due again, but one is running
    assert started == [first]
    release.set()
    worker._training.join(5)
    assert not worker.training
    worker._keep_house(first + datetime.timedelta(hours=1))
    worker._training.join(5)
    assert len(started) == 2
