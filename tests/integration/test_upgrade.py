"""Upgrades of a box's database on SQLite and PostgreSQL: a database at 0007 with data is snapshotted, migrated to
head keeping its data, migrated only once, and put back exactly as it was when a migration fails."""

import datetime
import sqlite3
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.migrate import (
    MigrationFailedError,
    current_revision,
    head_revision,
    upgrade_to,
    upgrade_to_head,
)
from appliance.adapters.db.snapshot import SnapshotError
from appliance.adapters.db.unit_of_work import UnitOfWorkFactory
from appliance.bootstrap import build_appliance
from appliance.domain.actors import Actor
from appliance.domain.codes import ClassKey
from appliance.services.audit import latest_events, record, verify_audit_chain
from appliance.services.fonds import add_department, add_fonds
from appliance.services.items import show_item
from appliance.services.upgrade import UPGRADES_DIRECTORY, UpgradeFailedError, prune_snapshots, upgrade
from appliance.upgrade_wiring import MigrationRunner, UpgradeSnapshots, migrate_box, upgrade_lock

OLD_REVISION = "0007"
ITEMS = 3
FAILING_REVISION = "0999_broken"
CLERK = Actor("clerk-li", "192.0.2.20")


def build_old_database(config) -> None:
    """The database of `config` emptied and built to 0007, holding a fonds, items and their audit events.

    The items go in by SQL against 0007's schema, which never changes; today's add_item also indexes for search,
    whose tables 0007 does not have (and later revisions cannot be downgraded to build it the other way)."""
    engine = build_engine(config.database_url)
    try:
        if engine.dialect.name == "postgresql":  # the test database is a copy of a template already at head
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade_to(engine, OLD_REVISION)
        uow_factory = UnitOfWorkFactory(engine)
        add_fonds(uow_factory, CLERK, "Z109", "某某市人民政府", "year-department-retention")
        add_department(uow_factory, CLERK, "Z109", "BGS", "办公室")
        for number in range(1, ITEMS + 1):
            add_old_item(uow_factory, number)
    finally:
        engine.dispose()


def add_old_item(uow_factory, number: int) -> None:
    code, now = ClassKey("Z109", "WS", 2011, "Y", "BGS").code_for(number).format(), datetime.datetime.now(datetime.UTC)
    with uow_factory() as uow:
        uow.session.execute(text(
            "INSERT INTO items (fonds_id, category, year, retention, department, item_number, archival_code, "
            "doc_number, responsible, title, supplied_title, date, access_label, pages, notes, state, created_at, "
            "updated_at) SELECT id, 'WS', 2011, 'Y', 'BGS', :number, :code, '', '办公室', :title, false, '20110315', "
            "'内部', 0, '', 'intake', :now, :now FROM fonds WHERE code = 'Z109'"),
            {"number": number, "code": code, "title": f"关于档案工作的通知（{number}）", "now": now})
        record(uow, CLERK, "item.create", "item", code, {"title": f"关于档案工作的通知（{number}）"})
        uow.commit()


def database_state(config) -> dict:
    """Every table's row count, the items' titles and the schema's revision: what must survive a failed upgrade."""
    engine = build_engine(config.database_url)
    try:
        with engine.connect() as connection:
            tables = [name for name in inspect(connection).get_table_names() if not name.startswith("search_index")]
            counts = {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                      for name in tables}
            titles = connection.execute(text("SELECT title FROM items ORDER BY id")).scalars().all()
        return {"revision": current_revision(engine), "counts": counts, "titles": titles}
    finally:
        engine.dispose()


def without_audit(counts: dict) -> dict:
    return {name: count for name, count in counts.items() if not name.startswith("audit")}


def failing_versions(directory: Path) -> Path:
    """A version directory holding one revision after head that changes data and the schema, then fails."""
    directory.mkdir()
    (directory / f"{FAILING_REVISION}.py").write_text(textwrap.dedent(f'''
        """A migration that fails half way (tests only)."""
        from alembic import op

        revision = "{FAILING_REVISION}"
        down_revision = "{head_revision()}"
        branch_labels = None
        depends_on = None


        def upgrade():
            op.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
            op.execute("UPDATE items SET title = 'damaged'")
            op.execute("SELECT no_such_column FROM items")
        '''), encoding="utf-8")
    return directory


@pytest.fixture
def old_box(config):
    build_old_database(config)
    return config


def test_an_old_database_is_snapshotted_then_migrated_keeping_its_data(old_box):
    before = database_state(old_box)
    outcome = migrate_box(old_box)
    after = database_state(old_box)
    assert (outcome.from_revision, outcome.to_revision) == (OLD_REVISION, head_revision())
    assert outcome.applied[0] == "0008" and after["revision"] == head_revision()
    assert after["titles"] == before["titles"] and after["counts"]["items"] == ITEMS
    assert_readable_by_todays_code(old_box)
    assert outcome.snapshot.is_file() and outcome.snapshot.stat().st_size > 0
    assert outcome.snapshot.parent.parent == old_box.home / UPGRADES_DIRECTORY
    assert outcome.snapshot.parent.name.startswith(f"{OLD_REVISION}-to-{head_revision()}-")
    if outcome.snapshot.suffix == ".sqlite3":  # the snapshot is the database as it was before the upgrade
        with sqlite3.connect(outcome.snapshot) as snapshot:
            assert snapshot.execute("SELECT version_num FROM alembic_version").fetchone() == (OLD_REVISION,)
    assert_last_event(old_box, "system.upgrade",
                      {"from": OLD_REVISION, "to": head_revision(), "snapshot": str(outcome.snapshot)})


def test_a_second_run_does_nothing(old_box):
    migrate_box(old_box)
    before = database_state(old_box)
    outcome = migrate_box(old_box)
    assert outcome.applied == [] and outcome.snapshot is None and outcome.to_revision == head_revision()
    assert database_state(old_box) == before
    assert len(list((old_box.home / UPGRADES_DIRECTORY).iterdir())) == 1


def test_a_failing_migration_puts_the_database_back_as_it_was(old_box, tmp_path):
    before = database_state(old_box)
    with pytest.raises(UpgradeFailedError) as failure:
        migrate_box(old_box, extra_versions=[failing_versions(tmp_path / "versions")])
    after = database_state(old_box)
    assert failure.value.revision == FAILING_REVISION
    assert f"failed at migration {FAILING_REVISION}" in str(failure.value) and "restored from" in str(failure.value)
    assert after["revision"] == OLD_REVISION and after["titles"] == before["titles"]
    assert without_audit(after["counts"]) == without_audit(before["counts"])
    assert after["counts"]["audit_events"] == before["counts"]["audit_events"] + 1
    assert_last_event(old_box, "system.upgrade_failed", {"from": OLD_REVISION, "revision": FAILING_REVISION})


class CommittingRunner(MigrationRunner):
    """Migrations that commit damage before failing: only the snapshot can undo them."""

    def upgrade(self) -> list[str]:
        with self.engine.begin() as connection:
            connection.execute(text("UPDATE items SET title = 'damaged'"))
            connection.execute(text("CREATE TABLE half_done (id INTEGER PRIMARY KEY)"))
        raise MigrationFailedError("0008", "no space left on device")


def upgrade_with(old_box, runner: type, snapshots: type) -> None:
    """Upgrade the old box through these migration runner and snapshot classes."""
    engine = build_engine(old_box.database_url)
    try:
        upgrade(UnitOfWorkFactory(engine), runner(engine), snapshots(engine, old_box.database_url), old_box.home,
                datetime.datetime.now(datetime.UTC))
    finally:
        engine.dispose()


def test_damage_committed_by_a_failed_migration_is_undone_from_the_snapshot(old_box):
    before = database_state(old_box)
    with pytest.raises(UpgradeFailedError, match="failed at migration 0008: no space left on device"):
        upgrade_with(old_box, CommittingRunner, UpgradeSnapshots)
    after = database_state(old_box)
    assert "half_done" not in after["counts"] and after["titles"] == before["titles"]
    assert after["revision"] == OLD_REVISION


class FullDiskSnapshots(UpgradeSnapshots):
    """A disk that fills up half way through the copy (a full disk cannot be made here without mounting one)."""

    def take(self, target: Path) -> None:
        target.write_bytes(b"SQLite format 3\x00 and then nothing")
        raise SnapshotError(f"{target}: No space left on device")


def test_without_a_snapshot_nothing_is_migrated_and_no_partial_copy_is_left(old_box):
    before = database_state(old_box)
    with pytest.raises(SnapshotError, match="No space left"):
        upgrade_with(old_box, MigrationRunner, FullDiskSnapshots)
    assert database_state(old_box) == before
    assert list((old_box.home / UPGRADES_DIRECTORY).iterdir()) == []


def test_starting_the_appliance_upgrades_through_the_same_snapshot(old_box):
    appliance = build_appliance(old_box)
    try:
        assert current_revision(appliance.engine) == head_revision()
        assert verify_audit_chain(appliance.uow_factory).ok
    finally:
        appliance.close()
    assert len(list((old_box.home / UPGRADES_DIRECTORY).glob(f"{OLD_REVISION}-to-*/database.*"))) == 1
    assert_last_event(old_box, "system.upgrade", {"from": OLD_REVISION})


def test_a_process_that_waited_for_the_lock_finds_the_upgrade_done_and_changes_nothing(old_box):
    engine = build_engine(old_box.database_url)
    outcomes = []
    try:
        with upgrade_lock(engine, old_box.home):  # another process holds it while it migrates
            waiting = threading.Thread(target=lambda: outcomes.append(migrate_box(old_box)))
            waiting.start()
            waiting.join(timeout=1)
            assert waiting.is_alive()
            upgrade_to_head(engine)
        waiting.join(timeout=60)
    finally:
        engine.dispose()
    assert outcomes[0].applied == [] and outcomes[0].snapshot is None
    assert current_revision_of(old_box) == head_revision()
    assert not list((old_box.home / UPGRADES_DIRECTORY).glob("*-to-*"))


def current_revision_of(config) -> str | None:
    return database_state(config)["revision"]


def test_a_new_database_is_created_without_a_snapshot(config):
    outcome = migrate_box(config)
    if outcome.from_revision is None:  # SQLite: a new file; PostgreSQL's test database comes at head already
        assert outcome.applied[0] == "0001" and outcome.snapshot is None
    assert outcome.to_revision == head_revision()
    assert not (config.home / UPGRADES_DIRECTORY).exists()


def test_only_the_three_newest_snapshots_are_kept(tmp_path):
    names = [f"000{number}-to-000{number + 1}-2026112{number}T000000Z" for number in range(1, 6)]
    names.append("0005-to-0009-20261101T000000Z")  # an old snapshot of a later revision: pruned by its time
    for name in names:
        (tmp_path / name).mkdir()
    removed = prune_snapshots(tmp_path, 3)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[2:5])
    assert len(removed) == 3


def assert_readable_by_todays_code(config) -> None:
    appliance = build_appliance(config)
    try:
        item = show_item(appliance.uow_factory, "Z109-WS.2011-Y-BGS-0002").item
        assert item.fields.title == "关于档案工作的通知（2）"
        assert verify_audit_chain(appliance.uow_factory).ok
    finally:
        appliance.close()


def assert_last_event(config, action: str, expected: dict, actor: str = "system:upgrade") -> None:
    engine = build_engine(config.database_url)
    try:
        event = latest_events(UnitOfWorkFactory(engine), 1)[0]
    finally:
        engine.dispose()
    assert event.action == action and event.actor == actor
    assert {key: event.details.get(key) for key in expected} == expected
