"""Bulk insert of items through the driver: executemany on SQLite, COPY on PostgreSQL.

An import of a million catalogue rows spends more time building SQLAlchemy parameter sets than
the database spends storing them; the driver path takes plain tuples in the table's own order.
"""

import datetime
import sqlite3
from collections.abc import Iterable, Iterator

import psycopg
from sqlalchemy import Connection

from appliance.domain.errors import ConflictError

ITEM_COLUMNS = (
    "fonds_id", "category", "year", "retention", "department", "item_number", "archival_code", "doc_number",
    "responsible", "title", "supplied_title", "date", "access_label", "pages", "notes", "state",
    "created_at", "updated_at",
)
_COLUMN_LIST = ", ".join(ITEM_COLUMNS)
SQLITE_INSERT = f"INSERT INTO items ({_COLUMN_LIST}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
POSTGRESQL_COPY = f"COPY items ({_COLUMN_LIST}) FROM STDIN"
# How SQLAlchemy's SQLite DateTime type stores a timestamp, so rows read back the same either way.
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"


def insert_items(connection: Connection, rows: Iterable[tuple], created_at: datetime.datetime) -> int:
    """Insert rows (ITEM_COLUMNS without the two timestamps) in the connection's transaction.

    Raises ConflictError when a row breaks a unique key: validation read the catalogue before
    someone else filed the same code.
    """
    counted = _Counter(rows)
    driver_connection = connection.connection.driver_connection
    try:
        if connection.dialect.name == "postgresql":
            _copy_postgresql(driver_connection, counted, created_at)
        else:
            _insert_sqlite(driver_connection, counted, created_at)
    except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation) as error:
        raise ConflictError(
            f"an archival code was filed by someone else while the import ran ({error}); "
            "nothing was imported: run the import again"
        ) from None
    return counted.count


def _insert_sqlite(driver_connection, rows: Iterable[tuple], created_at: datetime.datetime) -> None:
    stamp = created_at.astimezone(datetime.UTC).strftime(SQLITE_TIMESTAMP)
    cursor = driver_connection.cursor()
    try:
        cursor.executemany(SQLITE_INSERT, (row + (stamp, stamp) for row in rows))
    finally:
        cursor.close()


def _copy_postgresql(driver_connection, rows: Iterable[tuple], created_at: datetime.datetime) -> None:
    with driver_connection.cursor() as cursor, cursor.copy(POSTGRESQL_COPY) as copy:
        for row in rows:
            copy.write_row(row + (created_at, created_at))


class _Counter:
    def __init__(self, rows: Iterable[tuple]):
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[tuple]:
        for row in self.rows:
            self.count += 1
            yield row
