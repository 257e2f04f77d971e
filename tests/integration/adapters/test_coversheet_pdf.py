"""Printed cover sheets: real reportlab PDFs, read back with poppler and zbar."""

import re
import subprocess

import pytest
from PIL import ImageDraw

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.adapters.sample_batch import rasterise_pdf
from appliance.domain.coversheet import SEPARATOR_PAYLOAD
from appliance.domain.errors import InvalidInputError
from scanner_agent.barcodes import decode_payloads

ITEM = "DA1:ITEM:Z109-WS.2011-Y-BGS-0001"
SHEET = CoverSheet(ITEM, "档案封面", ["档号：Z109-WS·2011-Y-BGS-0001", "题名：关于印发《档案管理办法》的通知",
                                  "年度：2011", "保管期限：永久", "机构：办公室"])


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_cover_sheets([SHEET, CoverSheet(SEPARATOR_PAYLOAD, "文件分隔页", [])])


def test_one_a4_page_per_sheet_with_the_chinese_text_and_the_payload_in_print(pdf, tmp_path):
    path = tmp_path / "covers.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE) and "595.276 x 841.89 pts (A4)" in info
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    expected = ["档案封面", "题名：关于印发《档案管理办法》的通知", "保管期限：永久", ITEM,
                "文件分隔页", SEPARATOR_PAYLOAD]
    assert [line for line in expected if line not in text] == []


def test_each_code_alone_reads_at_150_dpi(pdf):
    page = rasterise_pdf(pdf, 150)[0]
    qr_only, code128_only = page.copy(), page.copy()
    # At 150 dpi the QR code sits between rows ~450 and ~1030, the Code 128 between ~1130 and ~1270.
    ImageDraw.Draw(qr_only).rectangle((0, 1080, page.width, page.height), fill=255)
    ImageDraw.Draw(code128_only).rectangle((0, 0, page.width, 1080), fill=255)
    assert decode_payloads(qr_only) == [ITEM]
    assert decode_payloads(code128_only) == [ITEM]


@pytest.mark.parametrize("payload", ["DA1:ITEM:档号", "DA1:SEP\n", "", "DA1:" + "X" * 117])
def test_a_payload_a_reader_would_mangle_is_refused(payload):
    with pytest.raises(InvalidInputError):
        render_cover_sheets([CoverSheet(payload, "档案封面", [])])


def test_a_payload_too_long_for_a_readable_code128_is_refused():
    with pytest.raises(InvalidInputError, match="too long for a Code 128"):
        render_cover_sheets([CoverSheet("DA1:ITEM:" + "Z109-WS.2011-Y-BGS-0001" * 3, "档案封面", [])])


def test_more_lines_than_a_sheet_holds_are_refused():
    with pytest.raises(InvalidInputError, match="at most 8 lines"):
        render_cover_sheets([CoverSheet(ITEM, "档案封面", ["题名"] * 9)])


def test_no_sheets_is_refused():
    with pytest.raises(InvalidInputError):
        render_cover_sheets([])
