"""A 10-document, 30-page batch through the whole capture path, on real parts.

SANE's pnm backend feeds a generated stack (a batch sheet, separators, 3 text pages per document, 300 dpi) to the
agent's pipeline: barcodes in the isolated decoder, the fsynced spool, the splitter, the outbox, delivery over HTTP
to the appliance (werkzeug in a thread, SQLite), filing; the worker OCRs with one process per core. Measured: the
time from the last page scanned to all documents filed (before OCR), and to all pages searchable (OCR text kept).

    python bench/capture_bench.py [--documents 10] [--pages-per-document 3] [--quick]
"""

import argparse
import datetime
import json
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appliance.adapters.sample_batch import SampleDocument, write_sample_batch  # noqa: E402
from appliance.bootstrap import build_appliance  # noqa: E402
from appliance.config import Config, WorkerConfig  # noqa: E402
from appliance.domain.actors import Actor  # noqa: E402
from appliance.domain.coversheet import SEPARATOR_PAYLOAD  # noqa: E402
from appliance.domain.intake_manifest import CaptureInfo  # noqa: E402
from appliance.services.derivatives import unfinished_ocr  # noqa: E402
from appliance.services.fonds import add_department, add_fonds  # noqa: E402
from appliance.worker import Worker  # noqa: E402
from bench.results_file import RESULTS_DIR, machine, source_state  # noqa: E402
from scanner_agent.barcodes import IsolatedDecoder  # noqa: E402
from scanner_agent.capture import BatchRun, new_batch  # noqa: E402
from scanner_agent.delivery import Deliverer, IntakeClient  # noqa: E402
from scanner_agent.devices.sane_config import write_private_config  # noqa: E402
from scanner_agent.devices.scan_process import IsolatedScanner  # noqa: E402
from scanner_agent.outbox import Outbox  # noqa: E402
from tests.support.live_appliance import serve  # noqa: E402

BATCH = "DA1:BATCH:Z109/WS/2011/D30/BGS"


def stack(documents: int, pages: int) -> list[SampleDocument]:
    def text(document: int, page: int) -> list[str]:
        return [f"滨江市人民政府办公室文件（第{document}件第{page}页）", "关于做好档案数字化工作的通知",
                "各单位：请按照《档案管理办法》做好文件材料的收集、整理、归档和移交工作。" * 3]

    return [SampleDocument(BATCH if number == 1 else SEPARATOR_PAYLOAD, "封面", [],
                           [text(number, page) for page in range(1, pages + 1)])
            for number in range(1, documents + 1)]


def intake_count(appliance) -> int:
    with appliance.uow_factory(read_only=True, consistent=False) as uow:
        return len(uow.intake.documents(limit=100_000))


def wait_for(condition, timeout: float = 600, step: float = 0.02) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the batch did not get there in time")
        time.sleep(step)
    return time.monotonic()


def run(documents: int, pages: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="dangan-capture-bench-"))
    sheets = write_sample_batch(work / "stack", stack(documents, pages))
    appliance = build_appliance(Config(home=work / "home", worker=WorkerConfig(processes=0)))
    actor = Actor("bench")
    add_fonds(appliance.uow_factory, actor, "Z109", "滨江市人民政府办公室", "year-retention-department")
    add_department(appliance.uow_factory, actor, "Z109", "BGS", "办公室")
    live = serve(appliance)
    config_dir = write_private_config(work / "sane", ["pnm"])
    outbox = Outbox(work / "spool" / "outbox")
    deliverer = Deliverer(outbox, IntakeClient(live.url, live.token, agent_name="bench"))
    stop = threading.Event()
    threads = [threading.Thread(target=deliverer.run, args=(stop,), daemon=True),
               threading.Thread(target=Worker(appliance, poll_seconds=0.05).run, args=(stop,), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        return measure(appliance, sheets, outbox, deliverer, work, config_dir, documents)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        live.stop()


def measure(appliance, sheets, outbox, deliverer, work, config_dir, documents) -> dict:
    spool = new_batch(work / "spool" / "batches", "scan", "pnm:0", "bench", CaptureInfo("greyscale", "ADF", False))
    last_page = {}
    with IsolatedDecoder() as decoder:
        batch = BatchRun(spool, outbox, lambda page: decoder.read(page.data), lambda _: deliverer.notify())
        started = time.monotonic()
        with IsolatedScanner("virtual", config_dir, sheets) as scanner:  # as the agent scans: SANE in a child
            scanner.apply("greyscale", False)

            def timed_pages():
                for page in scanner.pages():
                    last_page["at"] = time.monotonic()
                    yield page

            batch.feed(timed_pages())
        batch.finish()
        deliverer.notify()
    filed = wait_for(lambda: intake_count(appliance) >= documents)
    searchable = wait_for(lambda: unfinished_ocr(appliance.uow_factory) == 0, step=0.2)
    return {
        "documents": documents, "sheets_scanned": len(sheets),
        "scan_seconds": round(last_page["at"] - started, 2),
        "pipeline_pages_per_minute": round(len(sheets) / (last_page["at"] - started) * 60),
        "last_page_to_all_filed_seconds": round(filed - last_page["at"], 2),
        "last_page_to_all_searchable_seconds": round(searchable - last_page["at"], 2),
    }


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--pages-per-document", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 documents of 1 page")
    arguments = parser.parse_args()
    documents, pages = (2, 1) if arguments.quick else (arguments.documents, arguments.pages_per_document)
    figures = {"pages": documents * pages, **run(documents, pages)}
    for name, value in figures.items():
        print(f"{name:40} {value}")
    if not arguments.quick:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{datetime.date.today().isoformat()}-capture.json"
        record = {"figures": figures, "machine": machine(), "source": source_state(ROOT)}
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        print(f"written to {path}")


if __name__ == "__main__":
    main()
