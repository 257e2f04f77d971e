"""Printed cover sheets (封面/分隔页): one A4 page each, the payload as QR and Code 128, the item's details in Chinese.

The codes sit in the middle of the page with wide quiet zones, far from every edge, so the page still reads when it
is fed upside down or sideways, skewed a little, or scanned at 150 dpi.
"""

import io
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from appliance.adapters.catalogue_pdf import register_font
from appliance.domain.coversheet import MAX_PAYLOAD_LENGTH
from appliance.domain.errors import InvalidInputError

PAGE_WIDTH, PAGE_HEIGHT = A4
QR_SIZE = 70 * mm  # about 2 mm per module: reads at 150 dpi even when skewed or noisy
QR_BOTTOM = 120 * mm
MODULE_WIDTH_RANGE = (0.4 * mm, 0.5 * mm)  # below 0.4 mm a Code 128 is lost at 150 dpi (FIELD_NOTES)
CODE128_MAX_WIDTH = 186 * mm  # bars and quiet zones, 12 mm clear of each side of the sheet
CODE128_HEIGHT = 22 * mm
QUIET_MODULES = 10  # the white margin Code 128 needs on each side
CODE128_BOTTOM = 82 * mm
HEADING_SIZE, LINE_SIZE, PAYLOAD_SIZE = 26, 15, 13
MAX_LINES = 8  # what fits between the heading and the QR code


@dataclass(frozen=True)
class CoverSheet:
    payload: str  # the protocol v1 text, ASCII only
    heading: str  # e.g. 档案封面 or 文件分隔页
    lines: list[str]  # e.g. 档号：…, 题名：…, 年度：…


def render_cover_sheets(sheets: list[CoverSheet]) -> bytes:
    """An A4 PDF with one page per cover sheet.

    Raises InvalidInputError for no sheets, more than eight lines on a sheet, a payload that is empty, too long or
    not printable ASCII (zbar mangles UTF-8), and FontMissingError when no CJK font is installed.
    """
    if not sheets:
        raise InvalidInputError("no cover sheets to print")
    for sheet in sheets:
        check_payload(sheet.payload)
        if len(sheet.lines) > MAX_LINES:
            raise InvalidInputError(f"a cover sheet holds at most {MAX_LINES} lines of text, not {len(sheet.lines)}")
    font = register_font()
    output = io.BytesIO()
    document = canvas.Canvas(output, pagesize=A4, pageCompression=1)
    document.setTitle("Dangan cover sheets")
    for sheet in sheets:
        _draw_sheet(document, sheet, font)
        document.showPage()
    document.save()
    return output.getvalue()


def check_payload(payload: str) -> None:
    """Raises InvalidInputError unless the payload is 1-120 characters of printable ASCII."""
    if not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        raise InvalidInputError(f"a cover sheet payload holds 1 to {MAX_PAYLOAD_LENGTH} characters, not {len(payload)}")
    if not (payload.isascii() and payload.isprintable()):
        raise InvalidInputError(f"cover sheet payload {payload!r} must be printable ASCII: barcode readers mangle "
                                "anything else")


def _draw_sheet(document: canvas.Canvas, sheet: CoverSheet, font: str) -> None:
    document.setFont(font, HEADING_SIZE)
    document.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 40 * mm, sheet.heading)
    document.setFont(font, LINE_SIZE)
    y = PAGE_HEIGHT - 58 * mm
    for line in sheet.lines:
        document.drawString(30 * mm, y, line)
        y -= LINE_SIZE * 1.8
    _draw_qr(document, sheet.payload)
    _draw_code128(document, sheet.payload)
    document.setFont("Courier", PAYLOAD_SIZE)
    document.drawCentredString(PAGE_WIDTH / 2, CODE128_BOTTOM - 9 * mm, sheet.payload)


def _draw_qr(document: canvas.Canvas, payload: str) -> None:
    # Level M, not H: fewer modules, so each module is larger at the same printed size.
    widget = qr.QrCodeWidget(payload, barLevel="M", barBorder=4)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, document, (PAGE_WIDTH - QR_SIZE) / 2, QR_BOTTOM)


def _draw_code128(document: canvas.Canvas, payload: str) -> None:
    narrowest, widest = MODULE_WIDTH_RANGE
    bare = code128.Code128(payload, barWidth=1, barHeight=CODE128_HEIGHT, quiet=0, humanReadable=False)
    modules = bare.width + 2 * QUIET_MODULES  # with barWidth=1 the width counts modules
    module_width = min(widest, CODE128_MAX_WIDTH / modules)
    if module_width < narrowest:
        raise InvalidInputError(f"cover sheet payload {payload!r} is too long for a Code 128 that reads at 150 dpi")
    symbol = code128.Code128(payload, barWidth=module_width, barHeight=CODE128_HEIGHT, quiet=0, humanReadable=False)
    symbol.drawOn(document, (PAGE_WIDTH - symbol.width) / 2, CODE128_BOTTOM)
