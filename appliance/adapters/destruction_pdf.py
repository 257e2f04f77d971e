"""The printed destruction list (销毁清册): A4 landscape, the items, and the lines for the approver and two witnesses.

The draft leaves the signature lines blank; the final list, made when the second witness confirms, fills them with
the names and times recorded in the system.
"""

import datetime
import io
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from appliance.adapters.catalogue_pdf import page_footer, register_font
from appliance.domain.destruction import REQUIRED_WITNESSES, ListDocument, ListedItem

PAGE = landscape(A4)
COLUMNS = ("序号", "档号", "题名", "文号", "日期", "页数", "保管期限", "鉴定意见")
COLUMN_WIDTHS_MM = (12, 48, 80, 34, 20, 12, 17, 50)  # 273 mm: the width inside the margins
WRAPPED_COLUMNS = {2, 3, 7}  # 题名, 文号, 鉴定意见; codes, dates and numbers never wrap
BLANK = "＿＿＿＿＿＿＿＿"


class DestructionListPdf:
    """Renders a ListDocument as PDF bytes, with times shown in the archive's time zone."""

    def __init__(self, timezone: str = "Asia/Shanghai"):
        self.zone = ZoneInfo(timezone)

    def __call__(self, document: ListDocument) -> bytes:
        """Raises FontMissingError when no CJK font is installed."""
        font = register_font()
        styles = _styles(font)
        story = [Paragraph("档案销毁清册", styles["title"]), Spacer(1, 4 * mm)]
        story += [Paragraph(_escape(line), styles["field"]) for line in self._heading(document)]
        story += [Spacer(1, 4 * mm), _table(document.rows, styles), Spacer(1, 8 * mm)]
        story += [Paragraph(_escape(line), styles["sign"]) for line in self._signatures(document)]
        output = io.BytesIO()
        pdf = SimpleDocTemplate(output, pagesize=PAGE, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=15 * mm,
                                bottomMargin=15 * mm, title=f"档案销毁清册 {document.number}", author="Dangan",
                                subject=document.fonds_name)
        footer = page_footer(font, document.number, PAGE[0])
        pdf.build(story, onFirstPage=footer, onLaterPages=footer)
        return output.getvalue()

    def _heading(self, document: ListDocument) -> list[str]:
        lines = [f"清册编号：{document.number}", f"全宗：{document.fonds} {document.fonds_name}",
                 f"编制人：{document.compiled_by}    编制时间：{self._time(document.compiled_at)}",
                 f"销毁理由：{document.reason or '—'}", f"件数：{len(document.rows)}"]
        if document.destroyed_at is not None:
            lines.append(f"销毁执行时间：{self._time(document.destroyed_at)}")
        return lines

    def _signatures(self, document: ListDocument) -> list[str]:
        approvals = [f"{approval.display_name}（{approval.username}）" for approval in document.approvals]
        approved_at = [self._time(approval.decided_at) for approval in document.approvals]
        lines = [f"批准人：{'、'.join(approvals) or BLANK}    日期：{'、'.join(approved_at) or BLANK}"]
        for number in range(REQUIRED_WITNESSES):
            if number < len(document.witnesses):
                witness = document.witnesses[number]
                lines.append(f"监销人：{witness.display_name}（{witness.username}）    "
                             f"日期：{self._time(witness.confirmed_at)}")
            else:
                lines.append(f"监销人：{BLANK}    日期：{BLANK}")
        return lines

    def _time(self, moment: datetime.datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=20, leading=28, alignment=1),
        "field": ParagraphStyle("field", fontName=font, fontSize=11, leading=17),
        "sign": ParagraphStyle("sign", fontName=font, fontSize=12, leading=26),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=12),
        "head": ParagraphStyle("head", fontName=font, fontSize=10, leading=13, alignment=1),
    }


def _table(rows: tuple[ListedItem, ...], styles) -> Table:
    header = [Paragraph(name, styles["head"]) for name in COLUMNS]
    body = [[Paragraph(_escape(value), styles["cell"]) if index in WRAPPED_COLUMNS else value
             for index, value in enumerate(_cells(serial, row))] for serial, row in enumerate(rows, start=1)]
    table = Table([header, *body], colWidths=[width * mm for width in COLUMN_WIDTHS_MM], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("FONT", (0, 1), (-1, -1), styles["cell"].fontName, 9),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ]))
    return table


def _cells(serial: int, row: ListedItem) -> list[str]:
    return [str(serial), row.archival_code, row.title, row.doc_number, row.date, str(row.pages), row.retention,
            row.opinion]


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
