"""Reading cover sheets with real zbar from the very PDFs the appliance prints, rasterised by poppler."""

import io

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.adapters.sample_batch import degrade, rasterise_pdf, render_text_page
from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.coversheet import (
    SEPARATOR_PAYLOAD,
    InvalidPayloadError,
    batch_payload,
    item_payload,
    parse_payload,
)
from scanner_agent.barcode_process import TEST_CRASH_MARKER, TEST_HANG_MARKER
from scanner_agent.barcodes import (
    DecodeFailed,
    IsolatedDecoder,
    PageReading,
    decode_payloads,
    is_blank,
    page_dpi,
    read_page,
)

ITEM = item_payload(parse_archival_code("Z109-WS·2011-Y-BGS-0001"))
BATCH = batch_payload(ClassKey("Z109", "WS", 2011, "D30", "BGS"))
PAYLOADS = (ITEM, BATCH, SEPARATOR_PAYLOAD)
WAYBILL = "SF1403529876012"  # a courier's Code 128 on a delivered letter: not a cover sheet
SCANNER_NOISE = {"grain": 25, "noise": 0.005}


@pytest.fixture(scope="module")
def covers() -> dict[str, Image.Image]:
    sheets = [CoverSheet(payload, "档案封面", ["题名：关于印发《档案管理办法》的通知"]) for payload in PAYLOADS]
    sheets.append(CoverSheet(WAYBILL, "", []))
    return dict(zip([*PAYLOADS, WAYBILL], rasterise_pdf(render_cover_sheets(sheets), 300), strict=True))


@pytest.fixture(scope="module")
def text_page() -> Image.Image:
    return render_text_page(["关于印发《档案管理办法》的通知", "办发〔2011〕12号"] + ["各部门：请认真贯彻执行。"] * 12)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_printed_cover_sheet_reads_back_its_exact_payload(covers, payload):
    assert decode_payloads(covers[payload]) == [payload]


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_cover_fed_sideways_or_upside_down_reads_on_a_noisy_scan(covers, rotation):
    scanned = degrade(covers[ITEM], rotation=rotation, skew=3.0, seed=rotation, **SCANNER_NOISE)
    assert decode_payloads(scanned) == [ITEM]


def test_a_noisy_cover_at_200_dpi_with_jpeg_reads(covers):
    scanned = degrade(covers[BATCH], dpi=200, jpeg_quality=40, seed=7, **SCANNER_NOISE)
    assert scanned.info["dpi"] == (200, 200)
    assert decode_payloads(scanned) == [BATCH]


def test_a_page_without_resolution_metadata_uses_the_given_dpi(covers):
    bare = Image.frombytes("L", covers[SEPARATOR_PAYLOAD].size, covers[SEPARATOR_PAYLOAD].tobytes())
    assert "dpi" not in bare.info
    assert decode_payloads(bare, default_dpi=300) == [SEPARATOR_PAYLOAD]


def test_resolution_metadata_that_makes_no_sense_is_ignored(covers):
    tagged = covers[SEPARATOR_PAYLOAD].copy()
    tagged.info["dpi"] = (72, 72)  # an A4 page at 72 dpi would be 1.2 m tall
    assert page_dpi(tagged) == 300 and page_dpi(tagged, default=200) == 200
    assert page_dpi(covers[SEPARATOR_PAYLOAD], default=200) == 300


def test_a_cover_and_an_unrelated_barcode_on_one_page_give_both_texts(covers):
    page = covers[SEPARATOR_PAYLOAD].copy()
    waybill = covers[WAYBILL]
    band = (0, 2150, waybill.width, 2650)  # the Code 128 band of a cover sheet at 300 dpi
    page.paste(waybill.crop(band), (0, 2900))
    assert sorted(decode_payloads(degrade(page, **SCANNER_NOISE))) == sorted([SEPARATOR_PAYLOAD, WAYBILL])


def test_a_text_page_holds_no_payload(text_page):
    assert decode_payloads(degrade(text_page, rotation=180, **SCANNER_NOISE)) == []


def test_a_non_ascii_qr_comes_back_replaced_so_the_protocol_refuses_it():
    payloads = decode_payloads(_qr_page("DA1:ITEM:档号"))
    assert len(payloads) == 1 and "\ufffd" in payloads[0]
    with pytest.raises(InvalidPayloadError):
        parse_payload(payloads[0])


def test_the_blank_back_of_a_cover_is_blank_despite_noise_dust_and_show_through(text_page):
    paper = Image.new("L", text_page.size, 255)
    paper.info["dpi"] = (300, 300)
    show_through = ImageOps.mirror(text_page).point(lambda level: 255 - (255 - level) * 55 // 255)
    back = _dusty(ImageChops.darker(paper, show_through), specks=150)
    assert is_blank(degrade(back, seed=3, **SCANNER_NOISE))
    assert is_blank(degrade(back, seed=3, dpi=200, jpeg_quality=40, **SCANNER_NOISE))


@pytest.mark.parametrize("line", ["（此页无正文）", "附件", "－2－"])
def test_a_page_with_one_short_line_is_not_blank(line):
    assert not is_blank(degrade(render_text_page([line]), seed=5, **SCANNER_NOISE))


def test_read_page_gives_payloads_and_blankness_together(covers, text_page):
    assert read_page(covers[ITEM]).payloads == [ITEM]
    assert read_page(text_page).blank is False


def test_the_isolated_decoder_reads_images_and_image_files(covers):
    png, jpeg = io.BytesIO(), io.BytesIO()
    covers[BATCH].save(png, "PNG", dpi=(300, 300))
    degrade(covers[ITEM], seed=2, **SCANNER_NOISE).save(jpeg, "JPEG", quality=75, dpi=(300, 300))
    with IsolatedDecoder() as decoder:
        assert decoder.read(covers[BATCH]).payloads == [BATCH]
        assert decoder.read(png.getvalue()).payloads == [BATCH]
        assert decoder.read(jpeg.getvalue()) == PageReading(payloads=[ITEM], blank=False)
        assert decoder.restarts == 0


def test_a_crashing_decoder_costs_one_page_and_the_next_page_reads(covers):
    with IsolatedDecoder(test_hooks=True) as decoder:
        first_child = decoder.child_pid
        failed = decoder.read(TEST_CRASH_MARKER)
        assert isinstance(failed, DecodeFailed) and "SIGSEGV" in failed.problem and failed.payloads == []
        assert decoder.read(covers[ITEM]).payloads == [ITEM]
        assert decoder.restarts == 1 and decoder.child_pid != first_child


def test_a_hanging_decoder_times_out_and_is_replaced(covers):
    with IsolatedDecoder(timeout=1.0, test_hooks=True) as decoder:
        failed = decoder.read(TEST_HANG_MARKER)
        assert isinstance(failed, DecodeFailed) and "longer than 1 s" in failed.problem
        assert decoder.read(covers[SEPARATOR_PAYLOAD]).payloads == [SEPARATOR_PAYLOAD]


def test_bytes_that_are_no_image_fail_the_page_not_the_decoder():
    with IsolatedDecoder() as decoder:
        child = decoder.child_pid
        failed = decoder.read(b"%PDF-1.4 not an image")
        assert isinstance(failed, DecodeFailed) and "could not be read as an image" in failed.problem
        assert decoder.read(TEST_CRASH_MARKER).problem is not None  # without test hooks: just not an image
        assert decoder.child_pid == child and decoder.restarts == 0


def _qr_page(text: str) -> Image.Image:
    # Drawn directly: render_cover_sheets refuses such a payload, but a stranger's sheet may carry one.
    output = io.BytesIO()
    document = canvas.Canvas(output, pagesize=A4)
    drawing = Drawing(60 * mm, 60 * mm)
    widget = qr.QrCodeWidget(text, barWidth=60 * mm, barHeight=60 * mm)
    drawing.add(widget)
    renderPDF.draw(drawing, document, 75 * mm, 120 * mm)
    document.save()
    return rasterise_pdf(output.getvalue(), 300)[0]


def _dusty(page: Image.Image, specks: int) -> Image.Image:
    dusted = page.copy()
    draw = ImageDraw.Draw(dusted)
    for index in range(specks):  # a fixed scatter of specks 1-4 px wide (up to a third of a millimetre)
        x, y, size = (index * 7919) % page.width, (index * 104729) % page.height, 1 + index % 4
        draw.ellipse((x, y, x + size, y + size), fill=40)
    return dusted
