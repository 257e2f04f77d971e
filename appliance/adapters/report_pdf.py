"""Report figures as an A4 PDF: a heading per figure, its chart as a vector drawing, and its table of numbers.

The CJK font is the catalogue PDF's (register_font); labels are escaped before reportlab's paragraph markup sees
them.
"""

import io

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from appliance.adapters.catalogue_pdf import page_footer, register_font

WIDTH = A4[0] - 30 * mm  # inside the margins
CHART_HEIGHT = 62 * mm
PALETTE = [colors.HexColor(value) for value in ("#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030")]
MAX_AXIS_LABELS = 16


def write_figures_pdf(title: str, figures: list) -> bytes:
    """PDF bytes: `title`, then each figure (Figure of appliance.services.report_figures). Raises FontMissingError
    when no CJK font is installed."""
    font = register_font()
    styles = _styles(font)
    story = [Paragraph(_escape(title), styles["title"]), Spacer(1, 4 * mm)]
    for figure in figures:
        story += [CondPageBreak(CHART_HEIGHT + 30 * mm), Paragraph(_escape(figure.title), styles["heading"])]
        if figure.withheld:
            story.append(Paragraph("仅向可查看全部档案的人员显示。", styles["cell"]))
            continue
        if not figure.rows:
            story.append(Paragraph("无数据", styles["cell"]))
            continue
        if figure.chart != "table":
            story.append(KeepTogether([_drawing(figure, font), Spacer(1, 3 * mm)]))
        story += [_table(figure, styles), Spacer(1, 6 * mm)]
    output = io.BytesIO()
    document = SimpleDocTemplate(output, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=title, author="Dangan")
    footer = page_footer(font, title, A4[0], size=8)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return output.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=13, leading=20, spaceBefore=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11),
        "head": ParagraphStyle("head", fontName=font, fontSize=9, leading=12, alignment=1),
    }


def _drawing(figure, font: str) -> Drawing:
    charted = figure.charted or len(figure.columns)
    data = [tuple(row.values[index] for row in figure.rows) for index in range(charted)]
    chart = HorizontalLineChart() if figure.chart == "line" else VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 14 * mm, WIDTH - 20 * mm, CHART_HEIGHT - 24 * mm
    chart.data = data
    every = max(1, -(-len(figure.rows) // MAX_AXIS_LABELS))
    chart.categoryAxis.categoryNames = [row.label if index % every == 0 else ""
                                        for index, row in enumerate(figure.rows)]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle, chart.categoryAxis.labels.boxAnchor = 30, "ne"
    chart.valueAxis.valueMin = 0
    if all(isinstance(value, int) for series in data for value in series) and max(map(max, data)) < 5:
        chart.valueAxis.valueStep = 1  # counts: no half items on the scale
    for index in range(charted):
        colour = PALETTE[index % len(PALETTE)]
        if figure.chart == "line":
            chart.lines[index].strokeColor, chart.lines[index].strokeWidth = colour, 1.5
        else:
            chart.bars[index].fillColor = colour
    if figure.chart == "stacked":
        chart.categoryAxis.style = "stacked"
    drawing = Drawing(WIDTH, CHART_HEIGHT)
    drawing.add(chart)
    drawing.add(_legend(figure, font, charted))
    return drawing


def _legend(figure, font: str, charted: int) -> Legend:
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = 14 * mm, CHART_HEIGHT - 2 * mm, font, 8
    legend.alignment, legend.columnMaximum, legend.dx, legend.dy = "right", 1, 8, 8
    names = figure.column_titles[len(figure.detail_columns):]
    legend.colorNamePairs = [(PALETTE[index % len(PALETTE)], names[index]) for index in range(charted)]
    return legend


def _table(figure, styles) -> Table:
    details = len(figure.detail_columns)
    header = [Paragraph(_escape(name), styles["head"]) for name in ["项目", *figure.column_titles]]
    body = [[Paragraph(_escape(text), styles["cell"]) for text in (row.label, *row.details)]
            + [_number(value) for value in row.values] for row in figure.rows]
    if figure.has_total:
        body.append([Paragraph("合计", styles["cell"])] + [""] * details + [_number(v) for v in figure.totals()])
    label_width = 40 * mm if details else 50 * mm
    detail_width = 28 * mm if details else 0
    value_width = (WIDTH - label_width - detail_width * details) / len(figure.columns)
    widths = [label_width] + [detail_width] * details + [value_width] * len(figure.columns)
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONT", (0, 1), (-1, -1), styles["cell"].fontName, 8.5),
        ("ALIGN", (1 + details, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
    ]))
    return table


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
