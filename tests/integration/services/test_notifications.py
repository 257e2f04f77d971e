"""Notifications on both databases: who is told of a request, the inbox, counts, marking read, mail states."""

import datetime

import pytest

from appliance.adapters.db.unit_of_work import UnitOfWorkFactory
from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import AccessLabel, ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.errors import InvalidInputError, NotFoundError
from appliance.domain.notifications import Counts, render
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import Decision, RequestKind
from appliance.services import accounts
from appliance.services.audit import history
from appliance.services.items import add_item
from appliance.services.notifications import (
    counts,
    list_notifications,
    mark_all_read,
    mark_read,
    notify,
)
from appliance.services.workflows import decide_request, open_request
from tests.support.console import FAST_PASSWORDS, SECURITY_OFFICER, make_person

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
KEY = ClassKey("Z109", "WS", 2011, "Y", "BGS")


def mail_enabled(appliance) -> UnitOfWorkFactory:
    """Units of work that queue mail, as bootstrap makes them when `[mail] host` is set."""
    return UnitOfWorkFactory(appliance.engine, mail_enabled=True)


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


@pytest.fixture
def people(appliance):
    appliance.passwords = FAST_PASSWORDS
    make_person(appliance, "wang", ["archivist"], ready=False)
    make_person(appliance, "zhao", ["approver"], ready=False)
    make_person(appliance, "qian", ["approver"], ready=False)
    make_person(appliance, "outsider", ["approver"], departments=["RSC"], ready=False)
    make_person(appliance, "gone", ["approver"], ready=False)
    accounts.disable(appliance.uow_factory, SECURITY_OFFICER, "gone")
    make_person(appliance, "reader", ["reader"], ready=False)
    return {"wang": person("wang", "archivist"), "zhao": person("zhao", "approver"),
            "qian": person("qian", "approver"),
            "outsider": person("outsider", "approver", AccessScope(AccessLabel.RESTRICTED, frozenset({"RSC"})))}


def add(appliance, actor, label: str) -> str:
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, KEY,
                    ItemFields.build(title=f"关于{label}档案的通知", date="20110315", access_label=label))
    return item.archival_code


def kinds_of(appliance, principal: Principal) -> list[str]:
    return [notice.kind for notice in list_notifications(appliance.uow_factory, principal)]


def test_the_approver_is_told_of_a_request_and_the_requester_of_the_decision(appliance, actor, fonds, people):
    code = add(appliance, actor, "内部")
    request_id = open_request(appliance.uow_factory, people["wang"], RequestKind.ARCHIVING, [code], "归档",
                              NOW).request.id
    (waiting,) = list_notifications(appliance.uow_factory, people["zhao"])
    assert (waiting.kind, waiting.link, waiting.unread) == ("request.waiting", "/approvals", True)
    assert waiting.params == {"request": request_id, "kind": "archiving", "item": code, "title": "关于内部档案的通知",
                              "count": 1}
    expected = f"归档申请第 {request_id} 号等待您审批：{code} 关于内部档案的通知"
    assert render(waiting.kind, waiting.params, "zh") == expected
    assert kinds_of(appliance, people["qian"]) == ["request.waiting"]
    # outside the item's departments, the requester, a disabled approver, a reader: nothing
    assert [kinds_of(appliance, person(name, "approver")) for name in ("outsider", "wang", "gone", "reader")] == [
        [], [], [], []]
    assert counts(appliance.uow_factory, people["zhao"]) == Counts(unread=1, awaiting=1)
    assert counts(appliance.uow_factory, people["outsider"]).awaiting == 0  # the inbox would not show it either
    decide_request(appliance.uow_factory, people["zhao"], request_id, Decision.APPROVE, "同意", NOW)
    assert kinds_of(appliance, people["wang"]) == ["request.approved"]
    assert counts(appliance.uow_factory, people["zhao"]) == Counts(unread=1, awaiting=0)
    assert counts(appliance.uow_factory, people["wang"]) == Counts(unread=1, awaiting=0)


def test_each_tier_tells_the_next_deciders_and_a_rejection_tells_the_requester(appliance, actor, fonds, people):
    code = add(appliance, actor, "受控")
    request_id = open_request(appliance.uow_factory, people["wang"], RequestKind.ARCHIVING, [code], "",
                              NOW).request.id
    decide_request(appliance.uow_factory, people["zhao"], request_id, Decision.APPROVE, "", NOW)
    assert kinds_of(appliance, people["zhao"]) == ["request.waiting"]  # not asked again for the next tier
    assert kinds_of(appliance, people["qian"]) == ["request.waiting", "request.waiting"]
    (advanced,) = list_notifications(appliance.uow_factory, people["wang"])
    assert render(advanced.kind, advanced.params, "en") == (f"Your Archiving request {request_id} passed "
                                                            "“department head” and now waits for “leadership”")
    assert counts(appliance.uow_factory, people["zhao"]).awaiting == 0
    assert counts(appliance.uow_factory, people["qian"]).awaiting == 1
    decide_request(appliance.uow_factory, people["qian"], request_id, Decision.REJECT, "页数不符", NOW)
    rejected = list_notifications(appliance.uow_factory, people["wang"])[0]
    assert (rejected.kind, rejected.params["reason"]) == ("request.rejected", "页数不符")


def test_the_inbox_is_ones_own_and_marking_read_is_audited(appliance, people):
    with appliance.uow_factory() as uow:
        notify(uow, ["zhao", "qian"], "loan.due_soon", NOW, {"item": "Z109-WS·2011-Y-BGS-0001", "due": "2026-12-01"})
        notify(uow, ["zhao"], "backup.failed", NOW + datetime.timedelta(minutes=1), {"error": "twin unreachable"},
               link="https://evil.example/")
        uow.commit()
    newest, oldest = list_notifications(appliance.uow_factory, people["zhao"])
    assert (newest.kind, newest.link, oldest.kind) == ("backup.failed", "", "loan.due_soon")  # an outside link dropped
    (theirs,) = list_notifications(appliance.uow_factory, people["qian"])
    with pytest.raises(NotFoundError):
        mark_read(appliance.uow_factory, people["zhao"], theirs.id, NOW)
    assert mark_read(appliance.uow_factory, people["zhao"], oldest.id, NOW).read_at == NOW
    assert [notice.id for notice in list_notifications(appliance.uow_factory, people["zhao"], unread_only=True)] == [
        newest.id]
    assert mark_all_read(appliance.uow_factory, people["zhao"], NOW) == 1
    assert counts(appliance.uow_factory, people["zhao"]).unread == 0
    assert counts(appliance.uow_factory, people["qian"]).unread == 1  # someone else's stays unread
    assert [event.action for event in history(appliance.uow_factory, "notification", str(oldest.id))] == [
        "notification.read"]
    with appliance.uow_factory() as uow, pytest.raises(InvalidInputError):
        notify(uow, ["zhao"], "", NOW)


def test_mail_is_queued_only_when_configured_and_the_person_has_an_address(appliance, people):
    accounts.set_mail_address(appliance.uow_factory, SECURITY_OFFICER, "zhao", " Zhao@Example.CN ")
    assert accounts.mail_addresses(appliance.uow_factory) == {"zhao": "Zhao@example.cn"}
    for factory in (appliance.uow_factory, mail_enabled(appliance)):
        with factory() as uow:
            notify(uow, ["zhao", "qian"], "loan.overdue", NOW, {"item": "Z109-WS·2011-Y-BGS-0001", "due": "x"})
            uow.commit()
    states = {(notice.username, notice.mail_state) for who in ("zhao", "qian")
              for notice in list_notifications(appliance.uow_factory, people[who])}
    assert states == {("zhao", "none"), ("qian", "none"), ("zhao", "pending")}


def test_a_mail_address_is_checked_and_its_change_audited(appliance, people):
    for wrong in ("zhao", "zhao@", "a b@example.cn", "zhao@example.cn\r\nBcc: x@y.cn", "张@example.cn"):
        with pytest.raises(InvalidInputError):
            accounts.set_mail_address(appliance.uow_factory, SECURITY_OFFICER, "zhao", wrong)
    with pytest.raises(NotFoundError):
        accounts.set_mail_address(appliance.uow_factory, SECURITY_OFFICER, "nobody", "n@example.cn")
    accounts.set_mail_address(appliance.uow_factory, SECURITY_OFFICER, "zhao", "zhao@example.cn")
    accounts.set_mail_address(appliance.uow_factory, SECURITY_OFFICER, "zhao", "")
    events = history(appliance.uow_factory, "user", "zhao")
    assert [event.details for event in events if event.action == "account.email"] == [
        {"from": "", "to": "zhao@example.cn"}, {"from": "zhao@example.cn", "to": ""}]
    assert accounts.mail_addresses(appliance.uow_factory) == {}


def test_unknown_kinds_and_params_that_do_not_fit_render_generically():
    assert render("something.new", {"x": 1}, "en") == "Notice: something.new"
    assert render("loan.due_soon", {"due": "2026-12-01"}, "zh") == "通知：loan.due_soon"  # no item: not a half text
    issued = render("loan.issued", {"items": ["A", "B"], "due": "2026-12-01T08:00:00+00:00"}, "en")
    assert issued == "The paper file A, B is lent to you until 2026-12-01 08:00 UTC"
    assert render("request.approved", {"request": 3, "kind": "borrowing", "item": "C", "title": "T", "count": 3},
                  "zh") == "您的利用申请第 3 号已批准：C T 等 3 件"
