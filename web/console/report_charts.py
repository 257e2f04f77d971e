"""The report figures in the reader's language: titles, column and row names, and each figure's SVG chart.

The figures carry Chinese names for the exports; the console shows English msgids translated back to the same
Chinese, so a figure reads the same in the page and in its xlsx.
"""

from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from appliance.adapters.svg_chart import Chart, render
from appliance.services.report_figures import Figure, Row
from web.console.loans import LABELS as USE_LABELS

FIGURE_TITLES = {
    "holdings-year": lazy_gettext("Holdings by year"), "holdings-category": lazy_gettext("Holdings by category"),
    "holdings-retention": lazy_gettext("Holdings by retention period"),
    "holdings-department": lazy_gettext("Holdings by department"),
    "intake-daily": lazy_gettext("Documents received and pages OCR'd per day"),
    "borrowing-purpose": lazy_gettext("Use by purpose"), "borrowing-department": lazy_gettext("Use by department"),
    "most-used": lazy_gettext("Most-used items"), "overdue-loans": lazy_gettext("Overdue loans"),
    "retention-ending": lazy_gettext("Retention periods ending, by year"),
    "storage-growth": lazy_gettext("Storage growth by month"), "backup-history": lazy_gettext("Backup history"),
    "annual-summary": lazy_gettext("Summary"), "annual-category": lazy_gettext("Holdings by category"),
    "annual-retention": lazy_gettext("Holdings by retention period"),
    "annual-use-purpose": lazy_gettext("Use by purpose"), "annual-use-form": lazy_gettext("Use by form"),
    "annual-appraisal": lazy_gettext("Appraisal and destruction"),
}
COLUMN_TITLES = {
    "items": lazy_gettext("Items"), "pages": lazy_gettext("Pages"), "documents": lazy_gettext("Documents received"),
    "ocr_pages": lazy_gettext("Pages OCR'd"), "requests": lazy_gettext("Uses (requests)"),
    "use_items": lazy_gettext("Items used"), "views": lazy_gettext("Views"), "loans": lazy_gettext("Loans"),
    "days_overdue": lazy_gettext("Days overdue"), "D10": lazy_gettext("10 years"), "D30": lazy_gettext("30 years"),
    "added_megabytes": lazy_gettext("Added (MB)"), "total_megabytes": lazy_gettext("Total (MB)"),
    "duration_seconds": lazy_gettext("Duration (s)"), "original_megabytes": lazy_gettext("Original size (MB)"),
    "deduplicated_megabytes": lazy_gettext("Deduplicated (MB)"), "title": lazy_gettext("Title"),
    "borrower": lazy_gettext("Borrower"), "due": lazy_gettext("Due"), "kind": lazy_gettext("Kind"),
    "repository": lazy_gettext("Repository"), "state": lazy_gettext("State"), "value": lazy_gettext("Value"),
}
RETENTION_LABELS = {"Y": lazy_gettext("Permanent"), "D30": lazy_gettext("30 years"),
                    "D10": lazy_gettext("10 years")}
OTHER_LABELS = {
    "earlier": lazy_gettext("Ended, not yet appraised"), "keep": lazy_gettext("Kept on"),
    "extend": lazy_gettext("Retention extended"), "destroy": lazy_gettext("To be destroyed"),
    "destroyed": lazy_gettext("Destroyed"),
    "holdings_items": lazy_gettext("Holdings (items)"), "holdings_pages": lazy_gettext("Holdings (pages)"),
    "digitised_items": lazy_gettext("Digitised (items)"), "digitised_pages": lazy_gettext("Page images"),
    "digitised_share": lazy_gettext("Digitised share (%)"), "added_items": lazy_gettext("Added this year (items)"),
    "added_pages": lazy_gettext("Added this year (pages)"), "use_requests": lazy_gettext("Uses (requests)"),
    "use_items": lazy_gettext("Items used"), "appraised_items": lazy_gettext("Appraised this year (items)"),
    "destroyed_items": lazy_gettext("Destroyed this year (items)"),
    "destroyed_pages": lazy_gettext("Destroyed this year (pages)"),
    "destruction_lists": lazy_gettext("Destruction lists"),
    "retention_ending": lazy_gettext("Retention ending this year (items)"),
}
KEYED_BY_CODE = {"holdings-retention": RETENTION_LABELS, "annual-retention": RETENTION_LABELS,
                 "borrowing-purpose": USE_LABELS, "annual-use-purpose": USE_LABELS, "annual-use-form": USE_LABELS,
                 "retention-ending": OTHER_LABELS, "annual-summary": OTHER_LABELS, "annual-appraisal": OTHER_LABELS}


def figure_title(figure: Figure) -> str:
    return str(FIGURE_TITLES.get(figure.name, figure.title))


def column_titles(figure: Figure) -> list[str]:
    """The names of the detail columns, then of the value columns."""
    return [str(COLUMN_TITLES.get(column, column)) for column in (*figure.detail_columns, *figure.columns)]


def row_label(figure: Figure, row: Row) -> str:
    """A row's name: a translated one for codes the console knows (retention, purposes...), else the stored name."""
    known = KEYED_BY_CODE.get(figure.name, {})
    if row.key in known:
        return str(known[row.key])
    if figure.name.endswith("department") and row.key == "":
        return gettext("No department")
    return row.label


def chart_svg(figure: Figure, identifier: str) -> Markup | None:
    """The figure's chart (None for tables and empty or withheld figures); every label escaped by the drawer."""
    if figure.chart == "table" or figure.withheld or not figure.rows:
        return None
    charted = figure.charted or len(figure.columns)
    names = column_titles(figure)[len(figure.detail_columns):]
    title = figure_title(figure)
    description = gettext("%(title)s: %(columns)s for %(count)d rows. The table beside the chart has the numbers.",
                          title=title, columns=", ".join(names[:charted]), count=len(figure.rows))
    chart = Chart(figure.chart, title, description, [row_label(figure, row) for row in figure.rows],
                  [(names[index], [row.values[index] for row in figure.rows]) for index in range(charted)],
                  gettext("No data"), identifier)
    return Markup(render(chart))  # noqa: S704 — render escapes every label itself
