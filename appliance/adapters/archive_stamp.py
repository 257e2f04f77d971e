"""The archiving stamp (归档章) drawn as red vector lines and CJK text on the first page of an access copy.

The stamp is drawn once with reportlab at its full size (45 x 16 mm), turned into a form XObject and placed with
pikepdf over the first page: the page's own content is kept as it is (wrapped in q/Q), so the OCR text layer
stays extractable, and no other page is rewritten.
"""

import io

import pikepdf
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from appliance.adapters.catalogue_pdf import register_font
from appliance.domain.archive_stamp import CELL_LABELS, ArchiveStamp
from appliance.domain.errors import InvalidInputError

STAMP_WIDTH = 45 * mm
STAMP_HEIGHT = 16 * mm
EDGE_DISTANCE = 10 * mm
A5_WIDTH = 148 * mm
STAMP_RED = (0.8, 0.06, 0.06)
LABEL_SIZE = 1.9 * mm
VALUE_SIZE = 3.2 * mm
CELL_PADDING = 0.6 * mm


def stamp_first_page(pdf: bytes, stamp: ArchiveStamp) -> bytes:
    """The PDF with `stamp` drawn in the top-right corner of its first page; the other pages are not touched.

    The stamp and its distance from the edges shrink in proportion on a page narrower than A5.
    Raises InvalidInputError for bytes that are not a readable PDF or a PDF without pages, and FontMissingError
    without a CJK font.
    """
    overlay = _stamp_pdf(stamp)
    with _opened(pdf) as document, pikepdf.open(io.BytesIO(overlay)) as drawing:
        first_page = document.pages[0]
        form = document.copy_foreign(drawing.pages[0].as_form_xobject())
        # Shrinking is allowed so the 45 x 16 mm form fills a smaller rectangle on a narrow page.
        first_page.add_overlay(form, _placement(first_page), shrink=True, expand=False)
        output = io.BytesIO()
        document.save(output)
    return output.getvalue()


def _opened(pdf: bytes) -> pikepdf.Pdf:
    try:
        document = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as error:
        raise InvalidInputError(f"the access copy is not a readable PDF ({len(pdf)} bytes): {error}") from error
    if len(document.pages) == 0:
        document.close()
        raise InvalidInputError("the access copy has no page to stamp")
    return document


def _stamp_pdf(stamp: ArchiveStamp) -> bytes:
    """A one-page PDF exactly the stamp's size: the 2 x 3 grid, a small label and the value in each cell."""
    font = register_font()
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=(STAMP_WIDTH, STAMP_HEIGHT), pageCompression=1)
    drawing.setStrokeColorRGB(*STAMP_RED)
    drawing.setFillColorRGB(*STAMP_RED)
    _draw_grid(drawing)
    cell_width, cell_height = STAMP_WIDTH / 3, STAMP_HEIGHT / 2
    for row, (labels, values) in enumerate(zip(CELL_LABELS, stamp.cells(), strict=True)):
        bottom = STAMP_HEIGHT - (row + 1) * cell_height
        for column, (label, value) in enumerate(zip(labels, values, strict=True)):
            _draw_cell(drawing, font, column * cell_width, bottom, label, value)
    drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def _draw_grid(drawing: canvas.Canvas) -> None:
    outer = 0.4 * mm
    drawing.setLineWidth(outer)
    # Inset by half the line so the whole border stays inside the form's bounding box.
    drawing.rect(outer / 2, outer / 2, STAMP_WIDTH - outer, STAMP_HEIGHT - outer)
    drawing.setLineWidth(0.25 * mm)
    drawing.line(0, STAMP_HEIGHT / 2, STAMP_WIDTH, STAMP_HEIGHT / 2)
    for column in (1, 2):
        drawing.line(column * STAMP_WIDTH / 3, 0, column * STAMP_WIDTH / 3, STAMP_HEIGHT)


def _draw_cell(drawing: canvas.Canvas, font: str, left: float, bottom: float, label: str, value: str) -> None:
    cell_width, cell_height = STAMP_WIDTH / 3, STAMP_HEIGHT / 2
    centre = left + cell_width / 2
    drawing.setFont(font, LABEL_SIZE)
    drawing.drawCentredString(centre, bottom + cell_height - CELL_PADDING - LABEL_SIZE * 0.85, label)
    if not value:
        return
    size = _fitting_size(value, font, cell_width - 2 * CELL_PADDING)
    drawing.setFont(font, size)
    drawing.drawCentredString(centre, bottom + CELL_PADDING + 0.4 * mm, value)


def _fitting_size(text: str, font: str, width: float) -> float:
    # A long department name is set smaller rather than run into the next cell.
    natural = stringWidth(text, font, VALUE_SIZE)
    return VALUE_SIZE if natural <= width else VALUE_SIZE * width / natural


def _placement(page: pikepdf.Page) -> pikepdf.Rectangle:
    """Where the stamp goes, in the page's own (unrotated) coordinates, so that it shows at the top right."""
    box = pikepdf.Rectangle(page.cropbox)
    rotation = int(page.obj.get("/Rotate", 0)) % 360
    shown_width, shown_height = (box.height, box.width) if rotation in (90, 270) else (box.width, box.height)
    scale = min(1.0, shown_width / A5_WIDTH, shown_height / (STAMP_HEIGHT + 2 * EDGE_DISTANCE))
    right, top = shown_width - EDGE_DISTANCE * scale, shown_height - EDGE_DISTANCE * scale
    corners = [(right - STAMP_WIDTH * scale, top - STAMP_HEIGHT * scale), (right, top)]
    unrotated = [_unrotate(x, y, rotation, box.width, box.height) for x, y in corners]
    xs, ys = [x for x, _ in unrotated], [y for _, y in unrotated]
    return pikepdf.Rectangle(box.llx + min(xs), box.lly + min(ys), box.llx + max(xs), box.lly + max(ys))


def _unrotate(x: float, y: float, rotation: int, width: float, height: float) -> tuple[float, float]:
    """A point as shown on a page turned clockwise by `rotation`, back in the page's coordinates."""
    if rotation == 90:
        return width - y, x
    if rotation == 180:
        return width - x, height - y
    if rotation == 270:
        return y, height - x
    return x, y
