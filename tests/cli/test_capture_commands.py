"""`dangan coversheet`, `ingest`, `scan`, `intake`, `demo` on real parts (reportlab, poppler, zbar, HTTP)."""

import subprocess

import pytest
from reportlab.pdfgen import canvas

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.bootstrap import build_appliance
from appliance.config import load_config
from tests.support.live_appliance import serve


@pytest.fixture
def database_url(tmp_path):
    """These commands do not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def box(dangan):
    assert dangan("init")[0] == 0
    assert dangan("fonds", "add", "Z109", "滨江市人民政府办公室")[0] == 0
    assert dangan("department", "add", "Z109", "BGS", "办公室")[0] == 0
    code, out, _ = dangan("item", "add", "--fonds", "Z109", "--year", "2011", "--retention", "Y", "--department",
                          "BGS", "--title", "关于开展档案工作检查的通知", "--date", "20110315")
    assert (code, out) == (0, "Z109-WS·2011-Y-BGS-0001\n")
    return dangan


@pytest.fixture
def live(box, monkeypatch):
    appliance = build_appliance(load_config())
    server = serve(appliance)
    monkeypatch.setenv("DANGAN_AGENT_APPLIANCE_URL", server.url)
    yield server
    server.stop()
    appliance.close()


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_item_cover_sheets_carry_the_code_and_title(box, tmp_path):
    output = tmp_path / "covers.pdf"
    code, out, _ = box("coversheet", "items", "Z109-WS.2011-Y-BGS-0001", "-o", str(output))
    assert code == 0 and "1 cover sheets written" in out
    text = pdf_text(output)
    assert "DA1:ITEM:Z109-WS.2011-Y-BGS-0001" in text and "关于开展档案工作检查的通知" in text


def test_a_batch_sheet_comes_with_its_separators(box, tmp_path):
    output = tmp_path / "batch.pdf"
    assert box("coversheet", "batch", "Z109/WS/2011/D30/BGS", "--separators", "3", "-o", str(output))[0] == 0
    text = pdf_text(output)
    assert text.count("DA1:SEP") == 3 and "DA1:BATCH:Z109/WS/2011/D30/BGS" in text


@pytest.mark.parametrize("arguments, message", [
    (("items", "Z109-WS.2011-Y-BGS-0009"), "no item Z109-WS·2011-Y-BGS-0009"),
    (("batch", "Z109/WS/2011/D30/XYZ"), "unknown department XYZ"),
    (("batch", "Z109-WS-2011"), "fonds/category/year/retention"),
    (("items",), "no items selected"),
])
def test_cover_sheets_for_what_does_not_exist_are_refused(box, tmp_path, arguments, message):
    code, _, err = box("coversheet", *arguments, "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and message in err
    assert not (tmp_path / "x.pdf").exists()


def scanned_pdf(path, payload: str, pages: int) -> None:
    """A cover sheet followed by text pages, as an MFP would send it to a share."""
    cover = path.with_suffix(".cover.pdf")
    cover.write_bytes(render_cover_sheets([CoverSheet(payload, "档案封面", ["题名：关于开展档案工作检查的通知"])]))
    body = path.with_suffix(".body.pdf")
    document = canvas.Canvas(str(body))
    for number in range(pages):
        document.drawString(100, 700, f"page {number + 1}")
        document.showPage()
    document.save()
    subprocess.run(["pdfunite", str(cover), str(body), str(path)], check=True)


def test_ingest_files_go_through_the_pipeline_and_are_filed(box, live, tmp_path):
    scanned = tmp_path / "scan.pdf"
    scanned_pdf(scanned, "DA1:ITEM:Z109-WS.2011-Y-BGS-0001", pages=2)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00 this is not a TIFF")
    code, out, err = box("ingest", str(scanned), str(broken))
    assert code == 2 and "set aside" in err and "broken.tif" in err
    assert "1 documents" in out and "delivered 1; 0 waiting" in out
    code, out, _ = box("item", "show", "Z109-WS·2011-Y-BGS-0001")
    assert "页数: 2" in out and out.count("page ") == 2


def test_ingest_with_the_appliance_down_leaves_the_documents_for_the_agent(box, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGAN_AGENT_APPLIANCE_URL", "http://127.0.0.1:9")  # nothing listens there
    scanned = tmp_path / "scan.pdf"
    scanned_pdf(scanned, "DA1:ITEM:Z109-WS.2011-Y-BGS-0001", pages=1)
    code, out, _ = box("ingest", str(scanned))
    assert code == 0 and "delivered 0; 1 waiting in the outbox" in out and "the agent delivers them" in out
    assert list((tmp_path / "home" / "agent" / "outbox" / "ready").iterdir())


def test_scan_requests_and_the_intake_queue(box):
    code, out, _ = box("scan", "--agent", "scanner-pc", "--device", "virtual", "--preset", "greyscale")
    assert (code, out) == (0, "scan request 1 queued for agent scanner-pc\n")
    code, _, err = box("scan", "--agent", "scanner pc", "--device", "virtual")
    assert code == 1 and "agent name" in err
    assert box("intake") == (0, "", "")


@pytest.mark.slow
def test_demo_registers_a_fonds_and_a_stack_for_the_virtual_scanner_once(dangan, tmp_path):
    assert dangan("init")[0] == 0
    code, out, _ = dangan("demo")
    assert code == 0 and "Z109-WS·2011-Y-BGS-0001" in out and "11 pages" in out
    assert len(list((tmp_path / "home" / "agent" / "virtual-stack").glob("*.png"))) == 11
    assert dangan("demo") == (0, "", "")
