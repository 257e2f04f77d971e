"""Joining OCR page PDFs into a document's searchable PDF with pikepdf; checked with poppler's pdftotext."""

import io
import re
import subprocess

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from appliance.adapters.ocr import recognise_page
from appliance.adapters.sample_batch import render_text_page
from appliance.adapters.searchable_pdf import merge_pages
from appliance.domain.errors import InvalidInputError


@pytest.fixture(scope="module")
def ocr_page_pdf() -> bytes:
    buffer = io.BytesIO()
    render_text_page(["关于报送档案移交目录的函", "请于2012年6月30日前报送。"]).save(buffer, "PNG", dpi=(300, 300))
    return recognise_page(buffer.getvalue()).pdf


def text_pdf(*page_texts: str) -> bytes:
    """A plain PDF with one line of Latin text on each page (reportlab's built-in font)."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4)
    for text in page_texts:
        document.drawString(72, 720, text)
        document.showPage()
    document.save()
    return buffer.getvalue()


def page_text(pdf: bytes, page: int, tmp_path) -> str:
    path = tmp_path / "merged.pdf"
    path.write_bytes(pdf)
    arguments = ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"]
    return re.sub(r"\s+", "", subprocess.run(arguments, capture_output=True, text=True, check=True).stdout)


def page_count(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_pages_keep_their_order_and_text_layers(ocr_page_pdf: bytes, tmp_path):
    merged = merge_pages([text_pdf("First page"), ocr_page_pdf, text_pdf("Third page", "Fourth page")])
    assert page_count(merged, tmp_path) == 4
    assert page_text(merged, 1, tmp_path) == "Firstpage"
    assert "档案移交目录" in page_text(merged, 2, tmp_path)
    assert "2012年6月30日" in page_text(merged, 2, tmp_path)
    assert page_text(merged, 3, tmp_path) == "Thirdpage"
    assert page_text(merged, 4, tmp_path) == "Fourthpage"


def test_the_same_page_twice_stays_two_pages(ocr_page_pdf: bytes, tmp_path):
    merged = merge_pages([ocr_page_pdf, ocr_page_pdf])
    assert page_count(merged, tmp_path) == 2
    assert page_text(merged, 1, tmp_path) == page_text(merged, 2, tmp_path) != ""


def test_nothing_to_merge_is_invalid_input():
    with pytest.raises(InvalidInputError, match="at least one page"):
        merge_pages([])


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\nnot really", b"\x89PNG\r\n\x1a\n"])
def test_a_page_that_is_not_a_pdf_is_invalid_input(data: bytes):
    with pytest.raises(InvalidInputError, match="page PDF 2 is not a readable PDF"):
        merge_pages([text_pdf("fine"), data])
