"""Report figures and the annual statistics on both databases, over a small known set: exact counts, the reader's
scope, and the xlsx and PDF exports read back."""

import datetime
import io
import os
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from appliance.adapters.report_pdf import write_figures_pdf
from appliance.adapters.report_xlsx import write_figures
from appliance.bootstrap import build_appliance
from appliance.config import Config, DatabaseConfig
from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.actors import Actor
from appliance.domain.appraisal import decision_terms
from appliance.domain.backup import RepositoryName, RunKind, RunState, Trigger
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.jobs import OCR_PAGE
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import BorrowForm, BorrowTerms, Decision, UsePurpose
from appliance.services import reports
from appliance.services.annual_report import annual_report, export_annual
from appliance.services.appraisal import record_decisions
from appliance.services.audit import history, record
from appliance.services.borrowing import request_borrowing
from appliance.services.fonds import add_department, add_fonds
from appliance.services.intake import receive_document
from appliance.services.items import add_item
from appliance.services.loans import issue_loans, return_loan
from appliance.services.workflows import decide_request
from tests.conftest import TEMPLATE
from tests.support.intake_documents import delivered, page_png, streams

DAY = datetime.timedelta(days=1)
HOSTILE_NAME = "=1+1<script>alert('x')</script>&处"
ITEMS = (  # (name, year, retention, department, label, pages, state)
    ("old-internal", 2011, "D10", "BGS", "内部", 3, "archived"),
    ("old-public", 2011, "D10", "BGS", "公开", 2, "archived"),  # with two page images
    ("personnel", 2020, "D30", "RSC", "内部", 5, "archived"),
    ("personnel-public", 2019, "D10", "RSC", "公开", 4, "archived"),
    ("restricted", 2020, "Y", "BGS", "受控", 1, "archived"),
    ("hostile", 2020, "D10", "ABC", "公开", 7, "archived"),
    ("in-intake", 2020, "D10", "BGS", "内部", 0, "intake"),
    ("ending", 2016, "D10", "BGS", "公开", 1, "archived"),
)


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, f"{name}的名字", frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


DESK, APPROVER = person("desk-wang", "archivist"), person("approver-zhao", "approver")
READER, CITIZEN = person("reader-li", "reader"), person("citizen-he", "reader")
OFFICE = person("office-chen", "archivist", AccessScope(AccessLabel.RESTRICTED, frozenset({"BGS"})))
PUBLIC = person("public-liu", "archivist", AccessScope(AccessLabel.PUBLIC, None))


def build_known_set(appliance, actor, directory) -> dict:
    """The items above in fonds Z109 (whose fixture made BGS and RSC), a delivered document filed to the item in
    intake and one left in the queue, their OCR done, three page views, three borrowings, a loan still out, and
    a finished backup. Returns the moment everything is counted at, the codes and the page bytes stored."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    add_department(appliance.uow_factory, actor, "Z109", "ABC", HOSTILE_NAME)
    codes, stored = {}, 0
    for name, year, retention, department, label, pages, _ in ITEMS:
        files = []
        if name == "old-public":
            files = [directory / f"page-{number}.png" for number in (1, 2)]
            for number, path in enumerate(files, start=1):
                path.write_bytes(page_png(number * 40))
                stored += path.stat().st_size
        fields = ItemFields.build(title=f"{name} 文件", date=f"{year}0301", access_label=label, pages=pages)
        item = add_item(appliance.uow_factory, appliance.blob_store, actor,
                        ClassKey("Z109", "WS", year, retention, department), fields, files)
        codes[name] = item.archival_code
    archived = [codes[name] for name, *_, state in ITEMS if state == "archived"]
    with appliance.uow_factory() as uow:  # as a legacy catalogue import files them: archived
        ids = [item.id for item in uow.catalogue.iterate_items(ItemFilter("Z109")) if item.archival_code in archived]
        uow.catalogue.set_state(ids, ItemState.ARCHIVED)
        uow.commit()
    stored += _deliver(appliance, codes["in-intake"])
    _use(appliance, codes, now)
    _backup(appliance, now)
    terms = decision_terms("keep", "仍有查考价值", keep_years=5)  # its 10 years ran out in 2021
    record_decisions(appliance.uow_factory, DESK, "Z109", now.year, [codes["old-internal"]], terms, now)
    return {"now": now, "codes": codes, "stored": stored}


def _deliver(appliance, intake_code: str) -> int:
    agent, size = Actor("agent-1", "192.0.2.3"), 0
    cover_sheet = f"DA1:ITEM:{intake_code.replace('·', '.')}"  # the payload is ASCII
    for sequence, (cover, seeds) in enumerate(((cover_sheet, [11, 12]), (None, [13])), start=1):
        manifest, pages = delivered(cover, seeds, sequence=sequence)
        receive_document(appliance.uow_factory, appliance.blob_store, agent, manifest, streams(pages))
        size += sum(len(page) for page in pages)
    with appliance.uow_factory() as uow:
        for job in uow.jobs.claim("worker-1", (OCR_PAGE,), 10):
            uow.jobs.complete(job.id)
        uow.commit()
    return size


def _use(appliance, codes: dict, now: datetime.datetime) -> None:
    def borrow(who, names, form, category, when) -> int:
        terms = BorrowTerms("编写大事记", form, 7, purpose_category=category)
        found = request_borrowing(appliance.uow_factory, who, [codes[name] for name in names], terms, when)
        decide_request(appliance.uow_factory, APPROVER, found.request.id, Decision.APPROVE, "", when)
        return found.request.id

    lent = borrow(READER, ["old-internal", "personnel"], BorrowForm.LEND, UsePurpose.RESEARCH, now - 10 * DAY)
    borrow(READER, ["old-internal"], BorrowForm.READ, UsePurpose.WORK, now - 5 * DAY)
    borrow(CITIZEN, ["personnel-public"], BorrowForm.COPY, UsePurpose.EVIDENCE, now - 4 * DAY)
    first, _ = issue_loans(appliance.uow_factory, DESK, lent, now - 10 * DAY)  # due back three days ago
    return_loan(appliance.uow_factory, DESK, first.id, 3, False, "", now - 9 * DAY)
    with appliance.uow_factory() as uow:  # what the viewer audits for each page shown
        for page in (1, 2, 1):
            record(uow, DESK.actor, "item.view_page", "item", codes["old-public"], {"page": page})
        uow.commit()


def _backup(appliance, now: datetime.datetime) -> None:
    with appliance.uow_factory() as uow:
        run = uow.backups.start(RunKind.BACKUP, RepositoryName.TWIN, Trigger.SCHEDULE, now - 2 * DAY)
        uow.backups.finish(run, RunState.OK, now - 2 * DAY + datetime.timedelta(seconds=95),
                           {"archive_original_size": 5_000_000, "archive_deduplicated_size": 1_250_000})
        uow.commit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request, tmp_path_factory):
    """One known set per database for the whole module: the figures only read it (exports add audit events,
    which no figure counts), and building it for every test would take most of a minute."""
    directory = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{directory / 'dangan.sqlite3'}"
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        name = f"reports_{os.getpid()}_{directory.name.replace('-', '_')}"
        server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        url = server.url(name)
    box = build_appliance(Config(home=directory / "home", database=DatabaseConfig(url=url)))
    actor = Actor("archivist-wang", "192.0.2.10")
    add_fonds(box.uow_factory, actor, "Z109", "某某市人民政府", "year-department-retention")
    for code, name in (("BGS", "办公室"), ("RSC", "人事处")):
        add_department(box.uow_factory, actor, "Z109", code, name)
    known = build_known_set(box, actor, directory)
    yield box, known
    box.close()


@pytest.fixture
def appliance(built):
    return built[0]


@pytest.fixture
def known(built):
    return built[1]


def period_of(known, fonds=None, days=30):
    today = known["now"].date()
    return reports.report_period(today - (days - 1) * DAY, today, fonds, today)


def figure(appliance, known, name, who=DESK, fonds=None) -> dict:
    found = reports.figure(appliance.uow_factory, who, name, period_of(known, fonds), known["now"])
    return {row.key: row.values for row in found.rows}


def test_holdings_count_archived_items_and_pages(appliance, known):
    assert figure(appliance, known, "holdings-year") == {"2011": (2, 5), "2016": (1, 1), "2019": (1, 4),
                                                         "2020": (3, 13)}
    assert figure(appliance, known, "holdings-retention") == {"D10": (5, 17), "D30": (1, 5), "Y": (1, 1)}
    assert figure(appliance, known, "holdings-department") == {"ABC": (1, 7), "BGS": (4, 7), "RSC": (2, 9)}
    assert figure(appliance, known, "holdings-category") == {"WS": (7, 23)}
    assert figure(appliance, known, "holdings-year", fonds="Z999") == {}


def test_a_narrowed_reader_counts_only_what_they_may_see(appliance, known):
    assert figure(appliance, known, "holdings-year", OFFICE) == {"2011": (2, 5), "2016": (1, 1), "2020": (1, 1)}
    assert figure(appliance, known, "holdings-year", PUBLIC) == {"2011": (1, 2), "2016": (1, 1), "2019": (1, 4),
                                                                 "2020": (1, 7)}
    assert figure(appliance, known, "borrowing-department", OFFICE) == {"BGS": (2, 2)}
    assert figure(appliance, known, "most-used", PUBLIC) == {known["codes"]["old-public"]: (3, 0)}
    assert figure(appliance, known, "overdue-loans", PUBLIC) == {}
    backups = reports.figure(appliance.uow_factory, OFFICE, "backup-history", period_of(known), known["now"])
    assert backups.withheld and backups.rows == ()


def test_intake_and_ocr_per_day(appliance, known):
    today = known["now"].date().isoformat()
    days = figure(appliance, known, "intake-daily")
    assert len(days) == 30 and days[today] == (2, 3)
    assert sum(values[0] for values in days.values()) == 2
    assert figure(appliance, known, "intake-daily", OFFICE)[today] == (1, 2)  # the unfiled one is the box's
    assert figure(appliance, known, "intake-daily", PUBLIC)[today] == (0, 0)  # filed to an internal item


def test_borrowing_most_used_and_overdue(appliance, known):
    codes = known["codes"]
    purposes = figure(appliance, known, "borrowing-purpose")
    assert list(purposes)[:3] == ["work", "research", "history"]
    assert (purposes["research"], purposes["work"], purposes["evidence"], purposes["other"]) == (
        (1, 2), (1, 1), (1, 1), (0, 0))
    assert figure(appliance, known, "borrowing-department") == {"BGS": (2, 2), "RSC": (2, 2)}
    used = reports.figure(appliance.uow_factory, DESK, "most-used", period_of(known), known["now"])
    assert [(row.key, row.values) for row in used.rows] == [
        (codes["old-public"], (3, 0)), (codes["old-internal"], (0, 1)), (codes["personnel"], (0, 1))]
    overdue = reports.figure(appliance.uow_factory, DESK, "overdue-loans", period_of(known), known["now"])
    due = (known["now"] - 3 * DAY).date().isoformat()
    assert [(row.key, row.values, row.details) for row in overdue.rows] == [
        (codes["personnel"], (3,), ("personnel 文件", "reader-li", due))]


def test_retention_ending_storage_and_backups(appliance, known):
    year = known["now"].year
    expected = {key: [0, 0] for key in ["earlier", *(str(year + offset) for offset in range(10))]}
    # the last years kept of the D10 items (D30 of 2020 runs to 2050); one of 2021 was kept on this year for five
    # more: it is appraised again in five years, kept to the year before
    for last in (2021, year + 4, 2026, 2029, 2030):
        key = "earlier" if last < year else str(last)
        if key in expected:
            expected[key][0] += 1
    assert figure(appliance, known, "retention-ending") == {key: tuple(value) for key, value in expected.items()}
    month = known["now"].strftime("%Y-%m")
    storage = figure(appliance, known, "storage-growth")
    assert storage == {month: (round(known["stored"] / 1e6, 2),) * 2}
    office_storage = figure(appliance, known, "storage-growth", OFFICE)[month][0]
    assert office_storage == storage[month][0]  # every page image stored is of a BGS item but the unfiled one's
    backups = reports.figure(appliance.uow_factory, DESK, "backup-history", period_of(known), known["now"])
    assert [(row.values, row.details) for row in backups.rows] == [((95, 5.0, 1.25), ("backup", "twin", "ok"))]


def test_the_dashboard_needs_reports_view_and_a_sane_period(appliance, known):
    with pytest.raises(ForbiddenError):
        reports.dashboard(appliance.uow_factory, READER, period_of(known), known["now"])
    with pytest.raises(NotFoundError):
        reports.figure(appliance.uow_factory, DESK, "passwords", period_of(known), known["now"])
    today = known["now"].date()
    for start, end, fonds in ((today, today - DAY, None), (today - 400 * DAY, today, None), (None, None, "Z1;")):
        with pytest.raises(InvalidInputError):
            reports.report_period(start, end, fonds, today)
    assert reports.report_period(None, None, " z109 ", today).fonds == "Z109"
    figures = reports.dashboard(appliance.uow_factory, DESK, period_of(known), known["now"])
    assert [found.name for found in figures] == list(reports.FIGURES)


def test_the_annual_report_of_a_known_year(appliance, known):
    year = known["now"].year
    report = annual_report(appliance.uow_factory, DESK, year, None)
    summary = report.summary()
    assert (summary["holdings_items"], summary["holdings_pages"]) == (7, 23)
    assert (summary["digitised_items"], summary["digitised_pages"], summary["digitised_share"]) == (1, 2, 14.3)
    assert (summary["added_items"], summary["use_requests"], summary["use_items"]) == (7, 3, 4)
    assert (summary["appraised_items"], summary["destroyed_items"], summary["retention_ending"]) == (1, 0, 1)
    assert {row.key: row.values for row in report.figures[-1].rows} == {
        "keep": (1,), "extend": (0,), "destroy": (0,), "destroyed": (0,)}
    retention = {row.key: row.values for row in report.figures[2].rows}
    assert retention == {"D10": (5, 17), "D30": (1, 5), "Y": (1, 1)}
    assert annual_report(appliance.uow_factory, DESK, year - 1, None).summary()["holdings_items"] == 0
    public = annual_report(appliance.uow_factory, PUBLIC, year, None).summary()
    assert (public["holdings_items"], public["appraised_items"], public["use_items"]) == (4, 0, 1)
    with pytest.raises(InvalidInputError):
        annual_report(appliance.uow_factory, DESK, 10000, None)


def test_xlsx_export_reads_back_and_is_audited(appliance, known):
    data = reports.export_xlsx(appliance.uow_factory, DESK, ["holdings-department"], period_of(known),
                               known["now"], write_figures)
    sheet = load_workbook(io.BytesIO(data)).active
    assert "馆藏（按机构）" in sheet["A1"].value
    assert [cell.value for cell in sheet[2]] == ["项目", "件数", "页数"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows[HOSTILE_NAME] == (1, 7) and rows["人事处"] == (2, 9) and rows["合计"] == (7, 23)
    label = next(cell for cell in sheet["A"] if cell.value == HOSTILE_NAME)
    assert label.data_type == "s" and label.quotePrefix  # a name that looks like a formula stays a name
    (event,) = history(appliance.uow_factory, "report", "holdings-department")
    assert event.action == "report.export" and event.details["format"] == "xlsx"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_pdf_exports_carry_the_chinese_headings(appliance, known, tmp_path):
    data = reports.export_pdf(appliance.uow_factory, DESK, period_of(known), known["now"], write_figures_pdf)
    annual = export_annual(appliance.uow_factory, DESK, known["now"].year, None, write_figures_pdf, "pdf")
    for name, document, headings in (("dashboard", data, ("档案工作统计", "馆藏（按年度）", "备份记录")),
                                     ("annual", annual, ("年度档案工作统计", "数字化比例"))):
        assert document.startswith(b"%PDF")
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(document)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert all(heading in text for heading in headings), text[:400]
    assert [event.action for event in history(appliance.uow_factory, "report", "dashboard")] == ["report.export"]


def test_a_reader_who_sees_nothing_gets_empty_figures_and_a_pdf(appliance, known):
    nobody = person("nobody-zhou", "archivist", AccessScope(AccessLabel.PUBLIC, frozenset({"XYZ"})))
    figures = reports.dashboard(appliance.uow_factory, nobody, period_of(known), known["now"])
    counted = {found.name: sum(sum(row.values) for row in found.rows) for found in figures}
    assert set(counted.values()) == {0}, counted
    document = reports.export_pdf(appliance.uow_factory, nobody, period_of(known), known["now"], write_figures_pdf)
    assert document.startswith(b"%PDF")
