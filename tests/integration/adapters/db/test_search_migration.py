"""Migrations 0010-0012 on SQLite and PostgreSQL: entries written by 0008/0009 gain their facet tokens (and
PostgreSQL its one `document` vector, its facet and date columns) in SQL, and facet-narrowed searches, searches by
date and within dates find them at once."""

import datetime

from sqlalchemy import text

from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.migrate import upgrade_to
from appliance.adapters.db.search_repository import tsvector_literal
from appliance.bootstrap import build_appliance
from appliance.domain.search_text import SearchFilter, SearchSort, index_text
from appliance.services.search import search
from tests.integration.services.test_search import ARCHIVIST

ITEMS = [  # year, department, title, page text
    (2011, "BGS", "关于防汛工作的通知", "各单位要做好防汛准备"),
    (2012, "BGS", "关于防汛物资的请示", "申请防汛物资"),
    (2012, "RSC", "关于人事调整的通知", "防汛期间人员安排"),
]


def build_0009_database(config) -> None:
    """The database emptied and built to 0009, with items and index entries in 0009's format (no facet tokens)."""
    engine = build_engine(config.database_url)
    try:
        if engine.dialect.name == "postgresql":  # the test database is a copy of a template already at head
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade_to(engine, "0009")
        with engine.begin() as connection:
            add_items(connection)
    finally:
        engine.dispose()


def add_items(connection) -> None:
    now = datetime.datetime.now(datetime.UTC)
    connection.execute(text("INSERT INTO fonds (code, name, scheme, created_at) "
                            "VALUES ('Z109', '某某市', 'year-retention', :now)"), {"now": now})
    postgres = connection.dialect.name == "postgresql"
    for number, (year, department, title, page) in enumerate(ITEMS, start=1):
        code = f"Z109-WS·{year}-Y-{department}-{number:04d}"
        item_id = connection.execute(text(
            "INSERT INTO items (fonds_id, category, year, retention, department, item_number, archival_code, "
            "doc_number, responsible, title, supplied_title, date, access_label, pages, notes, state, created_at, "
            "updated_at) SELECT id, 'WS', :year, 'Y', :department, :number, :code, '', '', :title, false, :date, "
            "'公开', 1, '', 'archived', :now, :now FROM fonds RETURNING id"),
            {"year": year, "department": department, "number": number, "code": code, "title": title,
             "date": f"{year}0315", "now": now}).scalar_one()
        fields, body = index_text(title, code), index_text(page)
        if postgres:
            connection.execute(text("INSERT INTO search_index (item_id, fields, body) VALUES "
                                    "(:id, CAST(:fields AS tsvector), CAST(:body AS tsvector))"),
                               {"id": item_id, "fields": tsvector_literal(fields), "body": tsvector_literal(body)})
        else:
            connection.execute(text("INSERT INTO search_index (rowid, fields, body) VALUES (:id, :fields, :body)"),
                               {"id": item_id, "fields": fields, "body": body})


def titles(appliance, query: str, **narrowed) -> list[str]:
    return sorted(hit.title for hit in search(appliance.uow_factory, ARCHIVIST, query, SearchFilter(**narrowed)).hits)


def findings(appliance) -> list[list[str]]:
    return [titles(appliance, "防汛"), titles(appliance, "防汛", year=2012),
            titles(appliance, "防汛", department="BGS"),
            titles(appliance, "防汛", year=2012, department="RSC", state="archived"), titles(appliance, "通知")]


def test_entries_from_before_gain_their_facets(config):
    build_0009_database(config)
    appliance = build_appliance(config)  # migrates to head
    try:
        assert findings(appliance) == [
            ["关于人事调整的通知", "关于防汛工作的通知", "关于防汛物资的请示"],
            ["关于人事调整的通知", "关于防汛物资的请示"],
            ["关于防汛工作的通知", "关于防汛物资的请示"],
            ["关于人事调整的通知"],
            ["关于人事调整的通知", "关于防汛工作的通知"]]
        by_date = search(appliance.uow_factory, ARCHIVIST, "防汛", SearchFilter(date_from="20120101"),
                         SearchSort.DATE)
        assert [hit.date for hit in by_date.hits] == ["20120315", "20120315"] and by_date.total == 2
    finally:
        appliance.close()
