from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from appliance.adapters.db.migrate import current_revision, head_revision, upgrade_to_head
from appliance.adapters.db.tables import Base


def test_migrations_create_exactly_the_models(appliance):
    with appliance.engine.connect() as connection:
        # the full-text index (FTS5 and its shadow tables, or tsvectors) is no ORM model: see migration 0008
        context = MigrationContext.configure(connection, opts={"include_name": _not_search_index})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _not_search_index(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name.startswith("search_index"))


def test_upgrade_is_idempotent_and_at_head(appliance):
    upgrade_to_head(appliance.engine)
    assert current_revision(appliance.engine) == head_revision()


def test_sqlite_runs_in_wal_with_foreign_keys(appliance):
    if appliance.engine.dialect.name != "sqlite":
        assert appliance.engine.dialect.name == "postgresql"
        return
    with appliance.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
