"""The printed catalogue (归档文件目录) of DA/T 22-2015: A4 landscape, a cover per class, CJK font embedded."""

from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from appliance.domain.catalogue import Item
from appliance.domain.catalogue_table import COLUMNS, export_row
from appliance.domain.errors import DanganError
from appliance.domain.retention import RETENTION_PERIODS

# TrueType outlines: reportlab cannot embed the CFF-based Noto CJK fonts.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
FONT_NAME = "DanganCJK"
COLUMN_WIDTHS_MM = (12, 44, 38, 32, 80, 20, 14, 12, 21)  # 273 mm: the A4 landscape width inside margins
WRAPPED_COLUMNS = {2, 3, 4, 8}  # 文号, 责任者, 题名, 备注; codes, dates and numbers never wrap
PAGE = landscape(A4)


class FontMissingError(DanganError):
    code = "font_missing"


def register_font() -> str:
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    for path in FONT_CANDIDATES:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return FONT_NAME
    raise FontMissingError("no CJK TrueType font found: install fonts-wqy-microhei (make run does)")


def page_footer(font: str, label: str, page_width: float, size: float = 9):
    """A reportlab page callback that prints `label` and 第 N 页 centred at the foot of every page."""
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(font, size)
        canvas.drawCentredString(page_width / 2, 8 * mm, f"{label}  第 {document.page} 页")
        canvas.restoreState()

    return draw


def write_catalogue_pdf(path: Path, items: Iterable[Item], context) -> int:
    """Write one cover and one table per class (year, retention, department); returns rows written."""
    font = register_font()
    styles = _styles(font)
    story, count = [], 0
    for key, group in groupby(items, key=lambda item: item.code.class_key):
        rows = [export_row(serial, item.code, item.fields) for serial, item in enumerate(group, start=1)]
        count += len(rows)
        story += _cover(key, context, styles) + [PageBreak(), _table(rows, styles), PageBreak()]
    if not story:
        story = [Paragraph("归档文件目录", styles["title"]), Paragraph("（无条目 no items）", styles["field"])]
    document = SimpleDocTemplate(str(path), pagesize=PAGE, leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=15 * mm, bottomMargin=15 * mm, title="归档文件目录",
                                 author="Dangan", subject=context.fonds.name)
    document.build(story[:-1] if story and isinstance(story[-1], PageBreak) else story,
                   onFirstPage=_footer(font), onLaterPages=_footer(font))
    return count


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=28, leading=40, alignment=TA_CENTER),
        "field": ParagraphStyle("field", fontName=font, fontSize=16, leading=26, alignment=TA_CENTER),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=12),
        "head": ParagraphStyle("head", fontName=font, fontSize=10, leading=13, alignment=TA_CENTER),
    }


def _cover(key, context, styles) -> list:
    retention = RETENTION_PERIODS[key.retention]
    department = context.departments.get(key.department, key.department) if key.department else "—"
    fields = (
        ("全宗号", key.fonds),
        ("全宗名称", context.fonds.name),
        ("门类", f"{key.category} {context.categories.get(key.category, '')}".strip()),
        ("年度", str(key.year)),
        ("保管期限", f"{retention.name_zh}（{retention.code}）"),
        ("机构（问题）", department),
    )
    story = [Spacer(1, 35 * mm), Paragraph("归档文件目录", styles["title"]), Spacer(1, 20 * mm)]
    story += [Paragraph(f"{label}：{_escape(value)}", styles["field"]) for label, value in fields]
    return story


def _table(rows: list[list], styles) -> Table:
    header = [Paragraph(name, styles["head"]) for name in COLUMNS]
    body = [
        [Paragraph(_escape(str(value)), styles["cell"]) if index in WRAPPED_COLUMNS else str(value)
         for index, value in enumerate(row)]
        for row in rows
    ]
    table = Table([header, *body], colWidths=[width * mm for width in COLUMN_WIDTHS_MM], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONT", (0, 1), (-1, -1), styles["cell"].fontName, 9),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    return table


def _footer(font: str):
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(PAGE[0] / 2, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    return draw


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
