"""The reports dashboard and the annual statistics in the console: charts as well-formed SVG with escaped labels,
tables beside them, xlsx and PDF downloads, the reader's scope, and who may look at all."""

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest
from openpyxl import load_workbook

from appliance.services.audit import history
from tests.integration.services.test_reports import HOSTILE_NAME, build_known_set
from tests.support.console import make_person, signed_in_client

SVG = re.compile(r"<svg .*?</svg>", re.DOTALL)


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def people(appliance, fonds):
    make_person(appliance, "desk-wang", ["archivist"])
    make_person(appliance, "office-chen", ["archivist"], departments=["BGS"])
    make_person(appliance, "reader-li", ["reader"])


@pytest.fixture
def known(appliance, actor, people, tmp_path):
    return build_known_set(appliance, actor, tmp_path)


def test_the_dashboard_draws_every_figure_with_its_table(app, known):
    client = signed_in_client(app, "desk-wang")
    response = client.get("/reports")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Holdings by year" in page and "Backup history" in page
    charts = SVG.findall(page)
    assert len(charts) >= 8
    for chart in charts:
        root = ElementTree.fromstring(chart)  # well-formed XML, or this raises
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert any(HOSTILE_NAME in "".join(ElementTree.fromstring(chart).itertext()) for chart in charts)
    assert page.count('class="report-table"') >= 12
    assert "/reports/holdings-year.xlsx?" in page and "/reports.pdf?" in page


def test_the_dashboard_in_chinese_and_with_a_bad_date(app, people):
    client = signed_in_client(app, "desk-wang")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/reports?from=2026-02-30&fonds=Z109").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and 'class="flash error"' in page
    assert '<option value="Z109" selected>' in page
    assert client.get("/reports.pdf?from=yesterday").status_code == 422
    assert client.get("/reports/passwords.xlsx").status_code == 404


def test_a_figure_downloads_as_xlsx_counted_in_the_readers_scope(app, appliance, known):
    everything = signed_in_client(app, "desk-wang").get("/reports/holdings-department.xlsx")
    assert everything.status_code == 200 and everything.mimetype.endswith("spreadsheetml.sheet")
    rows = _rows(everything.data)
    assert rows["办公室"] == (4, 7) and rows[HOSTILE_NAME] == (1, 7) and rows["合计"] == (7, 23)
    office = _rows(signed_in_client(app, "office-chen").get("/reports/holdings-department.xlsx").data)
    assert office == {"办公室": (4, 7), "合计": (4, 7)}
    events = history(appliance.uow_factory, "report", "holdings-department")
    assert [(event.actor, event.details["format"]) for event in events] == [("desk-wang", "xlsx"),
                                                                            ("office-chen", "xlsx")]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_the_page_and_the_annual_report_as_pdf(app, known, tmp_path):
    client = signed_in_client(app, "desk-wang")
    year = known["now"].year
    for path, headings in (("/reports.pdf", ("档案工作统计", "馆藏（按机构）", "利用最多的档案")),
                           (f"/reports/annual.pdf?year={year}", (f"{year}年度档案工作统计", "基本情况"))):
        response = client.get(path)
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        (tmp_path / "out.pdf").write_bytes(response.data)
        text = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert all(heading in text for heading in headings), text[:300]


def test_the_annual_statistics_page_and_workbook(app, known):
    client = signed_in_client(app, "desk-wang")
    year = known["now"].year
    page = client.get(f"/reports/annual?year={year}").get_data(as_text=True)
    assert "Annual statistics of archive work" in page and "Digitised share (%)" in page
    assert re.search(r"Holdings \(items\)</th>\s*<td class=\"number\">7</td>", page)
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/annual.xlsx?year={year}").data))
    summary = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert [summary[name] for name in ("馆藏档案（件）", "馆藏档案（页）", "利用人次", "利用件次")] == [7, 23, 3, 4]
    assert [sheet.title for sheet in workbook.worksheets][:2] == ["基本情况", "馆藏（按门类）"]
    assert client.get("/reports/annual.xlsx?year=20x6").status_code == 422


def test_a_reader_without_reports_view_is_refused(app, people):
    client = signed_in_client(app, "reader-li")
    for path in ("/reports", "/reports/holdings-year.xlsx", "/reports.pdf", "/reports/annual",
                 "/reports/annual.pdf"):
        assert client.get(path).status_code == 403, path
    assert app.test_client().get("/reports").status_code == 302  # nobody signed in: to the sign-in page


def _rows(data: bytes) -> dict:
    sheet = load_workbook(io.BytesIO(data)).active
    return {row[0]: tuple(row[1:]) for row in sheet.iter_rows(min_row=3, values_only=True)}
