import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from appliance.domain.actors import Actor
from appliance.services.audit import record, verify_audit_chain


def append_events(uow_factory, count: int, actor=Actor("tester")) -> None:
    with uow_factory() as uow:
        for number in range(count):
            record(uow, actor, "test.event", "thing", str(number), {"n": number, "说明": "测试"})
        uow.commit()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_audit_events(appliance, statement):
    append_events(appliance.uow_factory, 3)
    with pytest.raises(DBAPIError, match="append-only"), appliance.engine.begin() as connection:
        connection.execute(text(statement))
    assert verify_audit_chain(appliance.uow_factory).events_checked == 3


def bypass_triggers(connection) -> None:
    """What an attacker with database access would do; verify must still notice."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER audit_events_refuse_update"))
        connection.execute(text("DROP TRIGGER audit_events_refuse_delete"))
    else:
        connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))


def tampered_chain_report(appliance, statement: str, parameters: dict | None = None):
    """Ten events, then one tampering statement past the triggers; the report verify gives."""
    append_events(appliance.uow_factory, 10)
    with appliance.engine.begin() as connection:
        bypass_triggers(connection)
        connection.execute(text(statement), parameters or {})
    return verify_audit_chain(appliance.uow_factory)


def test_verify_names_an_altered_event(appliance):
    report = tampered_chain_report(appliance, "UPDATE audit_events SET details = :forged WHERE seq = 6",
                                   {"forged": '{"n":99}'})
    assert not report.ok and report.first_bad_seq == 6 and report.events_checked == 5


def test_verify_names_a_removed_event(appliance):
    report = tampered_chain_report(appliance, "DELETE FROM audit_events WHERE seq = 4")
    assert report.first_bad_seq == 4 and "removed" in report.problem


def test_verify_notices_the_newest_events_removed(appliance):
    report = tampered_chain_report(appliance, "DELETE FROM audit_events WHERE seq > 8")
    assert not report.ok and "events 9 to 10 were removed" in report.problem


def test_an_event_rolled_back_with_its_change_leaves_no_trace(appliance):
    append_events(appliance.uow_factory, 2)
    with appliance.uow_factory() as uow:
        record(uow, Actor("tester"), "test.event", "thing", "x")
        uow.rollback()
    report = verify_audit_chain(appliance.uow_factory)
    assert report.ok and report.events_checked == 2


def test_concurrent_writers_never_fork_the_chain(appliance):
    threads = [threading.Thread(target=append_events, args=(appliance.uow_factory, 25)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_audit_chain(appliance.uow_factory)
    assert report.ok, report.problem
    assert report.events_checked == 100
