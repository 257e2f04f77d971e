"""Engines for SQLite (WAL, foreign keys, durable commits) and PostgreSQL."""

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

READ_ONLY = "dangan_read_only"


def build_engine(url: str, echo: bool = False) -> Engine:
    """Create the engine for `url`; for SQLite, make the directory and set the pragmas on each connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, echo)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # No pre-ping: it costs a round trip on every checkout, a third of a page view. A connection
    # found dead is invalidated with its pool, and the next checkout connects afresh.
    return create_engine(url, echo=echo, pool_recycle=3600)


def _sqlite_engine(url: str, database: str | None, echo: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
    event.listen(engine, "connect", _set_sqlite_pragmas)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    # Take transaction control from the driver, so BEGIN IMMEDIATE can be issued for writers.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is fsynced before it is acknowledged, so nothing acknowledged is lost.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite(connection) -> None:
    # Writers take the lock up front: a deferred transaction that read first would fail on
    # upgrade to a write lock when another writer committed in between.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
