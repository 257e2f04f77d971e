import subprocess

from appliance.adapters.catalogue_files import WRITERS
from appliance.adapters.tables import read_rows
from appliance.domain.catalogue import ItemFields, ItemFilter
from appliance.domain.codes import ClassKey
from appliance.services.catalogue_check import check_catalogue, check_catalogue_file
from appliance.services.catalogue_export import export_catalogue
from appliance.services.catalogue_import import import_catalogue
from appliance.services.items import add_item
from tests.support.catalogue_files import catalogue_rows, write_csv


def import_rows(appliance, actor, tmp_path, rows, name="c.csv"):
    path = write_csv(tmp_path / name, rows)
    return import_catalogue(appliance.uow_factory, appliance.blob_store, actor, path, read_rows(path))


def test_a_clean_catalogue_has_no_findings(appliance, actor, fonds, tmp_path):
    import_rows(appliance, actor, tmp_path, catalogue_rows(5))
    assert check_catalogue(appliance.uow_factory, "Z109") == []


def test_gaps_page_counts_and_date_years_are_found(appliance, actor, fonds, tmp_path):
    rows = catalogue_rows(2) + catalogue_rows(2, start=6)
    rows[0][7] = 0
    rows[1][5] = "20100101"
    import_rows(appliance, actor, tmp_path, rows)
    findings = [str(finding) for finding in check_catalogue(appliance.uow_factory, "Z109")]
    assert findings == [
        "[pages] Z109-WS·2011-Y-BGS-0001: 页数 is 0",
        "[date] Z109-WS·2011-Y-BGS-0002: 日期 20100101 is not in the code's year 2011",
        "[gap] Z109-WS·2011-Y-BGS: item number(s) 0003–0005 missing",
    ]


def test_stored_pages_are_counted_against_the_page_count(appliance, actor, fonds, tmp_path):
    page = tmp_path / "p.png"
    page.write_bytes(b"page")
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="t", date="20110101"), [page])
    assert check_catalogue(appliance.uow_factory, "Z109") == []
    with appliance.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("UPDATE items SET pages = 2"))
    findings = check_catalogue(appliance.uow_factory, "Z109")
    assert [f.message for f in findings] == ["页数 says 2 but 1 page images are stored"]


def test_a_file_is_checked_before_import_against_what_is_filed(appliance, actor, fonds, tmp_path):
    import_rows(appliance, actor, tmp_path, catalogue_rows(2), name="first.csv")
    rows = catalogue_rows(1, start=2) + catalogue_rows(1, start=5) + catalogue_rows(1, start=5)
    rows[1][1] = rows[1][1].replace("BGS", "XYZ")
    path = write_csv(tmp_path / "next.csv", rows)
    findings = [str(f) for f in check_catalogue_file(appliance.uow_factory, read_rows(path))]
    assert findings[0].startswith("[duplicate] row 2: column 档号: archival code Z109-WS·2011-Y-BGS-0002 is already")
    assert findings[1].startswith("[invalid] row 3: column 档号: unknown department XYZ")
    assert "[gap] Z109-WS·2011-Y-BGS: item number(s) 0003–0004 missing" in findings
    assert len(list(check_catalogue(appliance.uow_factory, "Z109"))) == 0, "checking a file changes nothing"


def test_the_printed_catalogue_has_a_cover_per_class_in_landscape(appliance, actor, fonds, tmp_path):
    import_rows(appliance, actor, tmp_path, catalogue_rows(30) + catalogue_rows(2, retention="D10", department="RSC"))
    target = tmp_path / "目录.pdf"
    count = export_catalogue(appliance.uow_factory, actor, ItemFilter("Z109"), target, WRITERS["pdf"], "pdf")
    assert count == 32
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True).stdout
    assert "841.89 x 595.276 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True, check=True).stdout
    cjk_font = next(line for line in fonts.splitlines() if "WenQuanYi" in line)
    assert "TrueType" in cjk_font and " yes yes " in cjk_font, "the CJK font is embedded (subset)"
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("归档文件目录") == 2
    expected_texts = ("全宗名称：某某市人民政府", "保管期限：永久（Y）", "机构（问题）：人事处",
                      "Z109-WS·2011-D10-RSC-0002", "关于印发《档案管理办法》的通知")
    for expected in expected_texts:
        assert expected in text
