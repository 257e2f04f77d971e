"""INSERT ... ON CONFLICT for the database in use: SQLite and PostgreSQL spell it alike, from different modules."""

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table):
    """An insert statement that offers on_conflict_do_nothing/on_conflict_do_update on this session's database."""
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    return insert(table)
