"""`dangan migrate` on a box whose database is at 0007 with data, on SQLite and PostgreSQL."""

import getpass

import pytest
from sqlalchemy import text

from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.migrate import head_revision
from appliance.services.upgrade import UPGRADES_DIRECTORY
from tests.integration.test_upgrade import (
    ITEMS,
    OLD_REVISION,
    assert_last_event,
    build_old_database,
    database_state,
    without_audit,
)


@pytest.fixture
def old_box(dangan, config):
    """The CLI's own database (the `dangan` fixture points it there), built to 0007 with items."""
    build_old_database(config)
    return config


def test_migrate_takes_a_snapshot_then_migrates_once(dangan, old_box):
    code, output, _ = dangan("migrate")
    assert code == 0, output
    assert f"migrated the database from {OLD_REVISION} to {head_revision()}" in output
    snapshots = list((old_box.home / UPGRADES_DIRECTORY).glob(f"{OLD_REVISION}-to-{head_revision()}-*/database.*"))
    assert len(snapshots) == 1 and f"snapshot taken first: {snapshots[0]}" in output
    assert database_state(old_box)["counts"]["items"] == ITEMS
    assert_last_event(old_box, "system.upgrade", {"from": OLD_REVISION, "to": head_revision()},
                      actor=f"cli:{getpass.getuser()}")
    before = database_state(old_box)
    code, output, _ = dangan("migrate")
    assert code == 0 and f"the database is at {head_revision()}, the newest revision: nothing to migrate" in output
    assert database_state(old_box) == before


def test_a_database_that_refuses_a_migration_is_put_back_and_the_revision_named(dangan, old_box):
    engine = build_engine(old_box.database_url)
    with engine.begin() as connection:  # 0008 creates search_index: a table already there makes the DDL fail
        connection.execute(text("CREATE TABLE search_index (squatter INTEGER)"))
    engine.dispose()
    before = database_state(old_box)
    code, _, error = dangan("migrate")
    after = database_state(old_box)
    assert code == 1
    assert f"upgrade from {OLD_REVISION} to {head_revision()} failed at migration 0008" in error
    assert f"is at {OLD_REVISION} again" in error
    assert after["revision"] == OLD_REVISION and after["titles"] == before["titles"]
    assert without_audit(after["counts"]) == without_audit(before["counts"])
    assert_last_event(old_box, "system.upgrade_failed", {"from": OLD_REVISION, "revision": "0008"},
                      actor=f"cli:{getpass.getuser()}")


def test_migrate_on_a_new_box_creates_the_schema_without_a_snapshot(dangan, config):
    code, output, _ = dangan("migrate")
    assert code == 0 and head_revision() in output
    assert not (config.home / UPGRADES_DIRECTORY).exists()
