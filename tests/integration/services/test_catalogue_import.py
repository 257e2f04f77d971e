import pytest

from appliance.adapters.catalogue_files import WRITERS
from appliance.adapters.tables import read_rows
from appliance.domain.catalogue import ItemFilter, ItemState
from appliance.domain.catalogue_table import unneutralise
from appliance.domain.errors import ImportRefusedError, InvalidInputError
from appliance.services.audit import history, verify_audit_chain
from appliance.services.catalogue_export import export_catalogue
from appliance.services.catalogue_import import import_catalogue
from appliance.services.items import list_items
from tests.support.catalogue_files import HEADER, catalogue_rows, write_csv, write_xlsx


def run_import(appliance, actor, path, **options):
    return import_catalogue(appliance.uow_factory, appliance.blob_store, actor, path,
                            read_rows(path, options.pop("encoding", None)), **options)


def item_count(appliance) -> int:
    return len(list_items(appliance.uow_factory, ItemFilter("Z109"), limit=10_000).items)


def exported_rows(appliance, actor, tmp_path, format_name: str) -> list[list]:
    target = tmp_path / f"out.{format_name}"
    export_catalogue(appliance.uow_factory, actor, ItemFilter("Z109"), target, WRITERS[format_name], format_name)
    rows = list(read_rows(target))
    assert [str(cell) for cell in rows[0][1]] == HEADER
    # what re-importing reads: the apostrophe that neutralised a formula-like cell comes off again
    return [[unneutralise(cell) if isinstance(cell, str) else cell for cell in cells] for _, cells in rows[1:]]


def normalised(rows: list[list]) -> list[list[str]]:
    return [[str(cell) if cell is not None else "" for cell in row] for row in rows]


def test_a_gb18030_export_reads_back_as_gb18030(appliance, actor, fonds, tmp_path):
    rows = catalogue_rows(3)
    run_import(appliance, actor, write_csv(tmp_path / "c.csv", rows))
    target = tmp_path / "out.csv"
    export_catalogue(appliance.uow_factory, actor, ItemFilter("Z109"), target, WRITERS["csv-gb18030"], "csv-gb18030")
    first_row = target.read_bytes().decode("gb18030").splitlines()[1]
    assert first_row.startswith("1,Z109-WS·2011-Y-BGS-0001,Z办发〔2011〕1号")
    with pytest.raises(UnicodeDecodeError):
        target.read_bytes().decode("utf-8")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_as_chinese_excel_writes_it(appliance, actor, fonds, tmp_path, encoding):
    rows = catalogue_rows(7)
    path = write_csv(tmp_path / "目录.csv", rows, encoding=encoding)
    report = run_import(appliance, actor, path)
    assert (report.items, report.classes) == (7, 1)
    assert report.first_code == "Z109-WS·2011-Y-BGS-0001" and report.last_code == "Z109-WS·2011-Y-BGS-0007"
    assert appliance.blob_store.exists(report.source_sha256)
    assert normalised(exported_rows(appliance, actor, tmp_path, "csv")) == normalised(rows)


def test_an_xlsx_comes_back_out_of_export_with_the_same_rows(appliance, actor, fonds, tmp_path):
    rows = catalogue_rows(3, retention="D30", department="RSC") + catalogue_rows(5)  # in code order
    for serial, row in enumerate(rows, start=1):
        row[0] = serial
    run_import(appliance, actor, write_xlsx(tmp_path / "catalogue.xlsx", rows))
    assert exported_rows(appliance, actor, tmp_path, "xlsx") == [[*row[:-1], row[-1] or None] for row in rows]


def test_imported_items_are_archived_and_the_import_is_audited(appliance, actor, fonds, tmp_path):
    report = run_import(appliance, actor, write_csv(tmp_path / "c.csv", catalogue_rows(4)))
    page = list_items(appliance.uow_factory, ItemFilter("Z109", state=ItemState.ARCHIVED))
    assert len(page.items) == 4
    event = history(appliance.uow_factory, "fonds", "Z109")[-1]
    assert event.action == "catalogue.import" and event.actor == actor.name and event.source == actor.source
    assert event.details["sha256"] == report.source_sha256 and event.details["items"] == 4
    assert verify_audit_chain(appliance.uow_factory).ok


def test_imported_items_are_found_at_once(appliance, actor, fonds, tmp_path):
    from appliance.domain.search_text import SearchFilter
    from appliance.services.search import search
    from tests.integration.services.test_search import ARCHIVIST

    run_import(appliance, actor, write_csv(tmp_path / "c.csv", catalogue_rows(3)))
    found = search(appliance.uow_factory, ARCHIVIST, "档案工作检查", SearchFilter(state="archived", year=2011))
    assert [hit.title for hit in found.hits] == ["关于开展档案工作检查的通知"]


def test_new_items_continue_after_the_imported_numbers(appliance, actor, fonds, tmp_path):
    from appliance.domain.catalogue import ItemFields
    from appliance.domain.codes import ClassKey
    from appliance.services.items import add_item

    rows = catalogue_rows(2, start=1) + catalogue_rows(1, start=9)
    run_import(appliance, actor, write_csv(tmp_path / "c.csv", rows))
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
                    ItemFields.build(title="新文件", date="20111201"))
    assert item.code.item_number == 10


def refused(appliance, actor, path, **options) -> str:
    events_before = verify_audit_chain(appliance.uow_factory).events_checked
    with pytest.raises(ImportRefusedError) as caught:
        run_import(appliance, actor, path, **options)
    assert item_count(appliance) == 0, "a refused import imports nothing"
    assert verify_audit_chain(appliance.uow_factory).events_checked == events_before
    return "\n".join(str(problem) for problem in caught.value.problems)


def test_one_bad_row_refuses_the_whole_file(appliance, actor, fonds, tmp_path):
    rows = catalogue_rows(12000)  # more than one insert chunk goes in before the bad row
    rows[11000][5] = "20110231"
    message = refused(appliance, actor, write_csv(tmp_path / "c.csv", rows))
    assert "row 11002, column 日期" in message and "calendar" in message


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (1, "Z109-WS·2011-Y-BGS-0001", "row 3, column 档号: duplicate archival code Z109-WS·2011-Y-BGS-0001"),
        (1, "Z109-WS·2011-Q-BGS-0002", "row 3, column 档号: malformed archival code"),
        (1, "Q999-WS·2011-Y-BGS-0002", "row 3, column 档号: no fonds 'Q999'"),
        (1, "Z109-WS·2011-Y-XYZ-0002", "row 3, column 档号: unknown department XYZ"),
        (1, "Z109-WS·2011-Y-0002", "needs one"),
        (5, "2011-03-15", "row 3, column 日期: date '2011-03-15' must be 8 digits"),
        (6, "绝密", "row 3, column 密级"),
        (7, "十", "row 3, column 页数"),
        (8, "x" * 10_000_000, "row 3, column 备注: cell holds 10,000,000 characters"),
    ],
)
def test_bad_rows_are_named_by_row_and_column(appliance, actor, fonds, tmp_path, column, value, expected):
    rows = catalogue_rows(3)
    rows[1][column] = value
    assert expected in refused(appliance, actor, write_csv(tmp_path / "c.csv", rows))


def test_a_code_already_in_the_catalogue_is_refused(appliance, actor, fonds, tmp_path):
    run_import(appliance, actor, write_csv(tmp_path / "first.csv", catalogue_rows(2)))
    with pytest.raises(ImportRefusedError, match="row 2, column 档号: archival code .*-0001 is already in"):
        run_import(appliance, actor, write_csv(tmp_path / "again.csv", catalogue_rows(1)))


def test_a_formula_in_a_csv_or_an_xlsx_is_refused(appliance, actor, fonds, tmp_path):
    path = write_csv(tmp_path / "c.csv", catalogue_rows(2))
    text = path.read_text(encoding="utf-8-sig").replace("年度工作总结", "")
    lines = text.splitlines()
    lines[2] = lines[2].replace("某某市人民政府办公室", '=HYPERLINK("http://x")', 1)
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    assert "row 3, column 责任者: holds a formula" in refused(appliance, actor, path)

    from openpyxl import load_workbook

    xlsx = write_xlsx(tmp_path / "c.xlsx", catalogue_rows(2))
    workbook = load_workbook(xlsx)
    workbook.active["H3"] = "=1+2"
    workbook.save(xlsx)
    assert "row 3, column 页数: holds a formula" in refused(appliance, actor, xlsx)


def test_a_missing_required_column_is_named(appliance, actor, fonds, tmp_path):
    header = [name for name in HEADER if name != "日期"]
    rows = [[cell for index, cell in enumerate(row) if index != 5] for row in catalogue_rows(2)]
    assert "required column(s) missing: 日期" in refused(appliance, actor, write_csv(tmp_path / "c.csv", rows,
                                                                                        header=header))


def test_add_departments_creates_the_missing_ones(appliance, actor, fonds, tmp_path):
    rows = catalogue_rows(2, department="CWK") + catalogue_rows(2, retention="D10", department="CWK")
    report = run_import(appliance, actor, write_csv(tmp_path / "c.csv", rows), add_departments=True)
    assert report.departments_added == ["Z109/CWK"] and report.classes == 2
    assert history(appliance.uow_factory, "department", "Z109/CWK")[0].action == "department.create"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.csv", "档号,题名\n".encode("utf-16"), "not text in utf-8-sig or gb18030"),
        ("c.xlsx", b"PK\x03\x04 not really a zip", "not a readable xlsx workbook"),
        ("c.txt", b"", "expected an .xlsx or .csv file"),
        ("c.csv", b"", "no header row"),
    ],
)
def test_unreadable_files_get_a_clear_message(appliance, actor, fonds, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=message):
        run_import(appliance, actor, path)


def test_a_directory_is_not_a_catalogue(appliance, actor, fonds, tmp_path):
    with pytest.raises(InvalidInputError, match="is a directory"):
        run_import(appliance, actor, tmp_path)


def test_formula_like_cells_are_neutralised_on_export(appliance, actor, fonds, tmp_path):
    from openpyxl import load_workbook

    run_import(appliance, actor, write_csv(tmp_path / "c.csv", catalogue_rows(7)))
    csv_path, xlsx_path = tmp_path / "out.csv", tmp_path / "out.xlsx"
    for path, name in ((csv_path, "csv"), (xlsx_path, "xlsx")):
        export_catalogue(appliance.uow_factory, actor, ItemFilter("Z109"), path, WRITERS[name], name)
    raw = csv_path.read_text(encoding="utf-8-sig")
    assert ",'=1+1 is not a formula" in raw and ",'-3 摄氏度 report" in raw and ",'@备注" in raw
    sheet = load_workbook(xlsx_path).active
    cell = sheet["E7"]
    assert cell.value == "=1+1 is not a formula when typed as text"
    assert cell.data_type == "s" and cell.quotePrefix, "stored as text, never as a formula"


# On SQLite the importer holds the write lock before it reads the first row: no one can file in between.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_code_filed_by_someone_else_during_the_import_refuses_it_cleanly(appliance, actor, fonds, tmp_path):
    from appliance.domain.errors import ConflictError

    path = write_csv(tmp_path / "c.csv", catalogue_rows(3))

    def rows_while_someone_files_the_second_code():
        for number, cells in read_rows(path):
            if number == 3:  # validation has read the class; now a second archivist files 0002
                run_import(appliance, actor, write_csv(tmp_path / "other.csv", catalogue_rows(1, start=2)))
            yield number, cells

    with pytest.raises(ConflictError, match="filed by someone else while the import ran"):
        import_catalogue(appliance.uow_factory, appliance.blob_store, actor, path,
                         rows_while_someone_files_the_second_code())
    assert item_count(appliance) == 1
