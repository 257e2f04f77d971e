import pytest
from sqlalchemy import create_engine, text

from tests.support.catalogue_files import catalogue_rows, write_csv, write_xlsx


@pytest.fixture
def registered(dangan):
    assert dangan("init")[0] == 0
    assert dangan("fonds", "add", "Z109", "某某市人民政府")[0] == 0
    assert dangan("department", "add", "Z109", "BGS", "办公室")[0] == 0
    return dangan


def test_an_archivist_imports_checks_and_exports_a_catalogue(registered, tmp_path):
    source = write_xlsx(tmp_path / "目录.xlsx", catalogue_rows(6))
    code, out, _ = registered("catalogue", "import", str(source))
    assert code == 0 and "imported 6 items in 1 classes" in out
    assert registered("catalogue", "check", "--fonds", "Z109") == (0, "no findings: the catalogue is in order\n", "")
    target = str(tmp_path / "o.csv")
    code, out, _ = registered("catalogue", "export", "--fonds", "Z109", "--format", "csv", "-o", target)
    assert code == 0 and "exported 6 items" in out
    code, out, _ = registered("item", "add", "--fonds", "Z109", "--year", "2011", "--retention", "Y", "--department",
                              "BGS", "--title", "新通知", "--date", "20111201", "--pages", "2")
    assert (code, out) == (0, "Z109-WS·2011-Y-BGS-0007\n")
    code, out, _ = registered("item", "show", "Z109-WS.2011-Y-BGS-0007")
    assert code == 0 and "题名: 新通知" in out and "item.create" in out
    code, out, _ = registered("audit", "verify")
    assert code == 0 and "audit chain intact: 8 events" in out  # 3 of them: the first administrators
    code, out, _ = registered("audit", "tail", "-n", "2")
    assert "catalogue.export" in out and "item.create" in out


def test_errors_are_one_clear_line(registered):
    code, _, err = registered("item", "show", "Z109-WS·2011-Y-BGS-0099")
    assert code == 1 and err == "error: no item Z109-WS·2011-Y-BGS-0099\n"
    code, _, err = registered("fonds", "add", "Z109", "重复")
    assert code == 1 and err == "error: fonds Z109 already exists\n"
    code, _, err = registered("item", "show", "not-a-code")
    assert code == 1 and err.startswith("error: malformed archival code 'not-a-code'")


def test_a_refused_import_lists_its_problems(registered, tmp_path):
    rows = catalogue_rows(3)
    rows[2][5] = "2011"
    code, _, err = registered("catalogue", "import", str(write_csv(tmp_path / "c.csv", rows)))
    assert code == 1
    assert "row 4, column 日期" in err and "c.csv refused: 1 problem(s); nothing was imported" in err


def test_a_path_where_a_file_belongs(registered, tmp_path):
    code, _, err = registered("catalogue", "import", str(tmp_path))
    assert code == 1 and "is a directory" in err
    code, _, err = registered("catalogue", "import", str(tmp_path / "nope.csv"))
    assert code == 1 and "no such file" in err


def test_check_exits_non_zero_when_it_finds_something(registered, tmp_path):
    registered("catalogue", "import", str(write_csv(tmp_path / "c.csv", catalogue_rows(1, start=2))))
    code, out, _ = registered("catalogue", "check", "--fonds", "Z109")
    assert code == 1 and "item number(s) 0001 missing" in out


def test_audit_verify_reports_tampering(registered, database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_events_refuse_update"))
        else:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    code, _, err = registered("audit", "verify")
    assert code == 2 and "AUDIT CHAIN BROKEN: event 2 was altered" in err


def test_a_bad_setting_stops_the_command(dangan, monkeypatch):
    monkeypatch.setenv("DANGAN_WEB_PORT", "80")
    assert dangan("fonds", "list") == (1, "", "error: unknown setting DANGAN_WEB_PORT in the environment\n")
