"""Requests through their approvals on both databases; two approvers at once end in one transition."""

import datetime
import threading

import pytest

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.permissions import allowed_actions
from appliance.domain.search_text import SearchFilter
from appliance.domain.sessions import Principal
from appliance.domain.workflow import Decision, RequestKind, RequestState
from appliance.services.audit import history, verify_audit_chain
from appliance.services.items import add_item
from appliance.services.search import search
from appliance.services.workflows import decide_request, open_request, show_request

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
KEY = ClassKey("Z109", "WS", 2011, "Y", "BGS")


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


ARCHIVIST, APPROVER = person("wang", "archivist"), person("zhao", "approver")
SECOND_APPROVER = person("qian", "approver")


@pytest.fixture
def codes(appliance, actor, fonds):
    made = []
    for label in ("内部", "受控"):
        item = add_item(appliance.uow_factory, appliance.blob_store, actor, KEY,
                        ItemFields.build(title=f"{label}文件", date="20110315", access_label=label))
        made.append(item.archival_code)
    return made


def test_a_request_passes_its_tiers_and_every_step_is_in_the_history(appliance, codes):
    opened = open_request(appliance.uow_factory, ARCHIVIST, RequestKind.ARCHIVING, codes, "2011 年度归档", NOW)
    assert [tier.name for tier in opened.request.chain] == ["department head", "leadership"]  # 受控 among them
    request_id = opened.request.id
    middle = decide_request(appliance.uow_factory, APPROVER, request_id, Decision.APPROVE, "", NOW)
    assert (middle.request.state, middle.request.tier) == (RequestState.PENDING, 1)
    done = decide_request(appliance.uow_factory, SECOND_APPROVER, request_id, Decision.APPROVE, "同意", NOW)
    assert done.request.state is RequestState.APPROVED and done.items == sorted(codes)
    assert [(step[1], step[2]) for step in done.steps] == [("approve", "zhao"), ("approve", "qian")]
    actions = [event.action for event in history(appliance.uow_factory, "request", str(request_id))]
    assert actions == ["request.open", "request.approve", "request.approve"]
    assert verify_audit_chain(appliance.uow_factory).ok


def test_refusals_change_nothing(appliance, codes):
    request_id = open_request(appliance.uow_factory, ARCHIVIST, RequestKind.ARCHIVING, codes[:1], "", NOW).request.id
    with pytest.raises(ForbiddenError):
        decide_request(appliance.uow_factory, person("sun", "audit_admin"), request_id, Decision.APPROVE, "", NOW)
    with pytest.raises(ForbiddenError):
        decide_request(appliance.uow_factory, ARCHIVIST, request_id, Decision.APPROVE, "", NOW)  # its requester
    with pytest.raises(ForbiddenError):
        open_request(appliance.uow_factory, APPROVER, RequestKind.ARCHIVING, codes, "", NOW)  # approvers do not ask
    hidden = person("li", "archivist", AccessScope(AccessLabel.INTERNAL))
    with pytest.raises(NotFoundError):
        open_request(appliance.uow_factory, hidden, RequestKind.ARCHIVING, codes, "", NOW)  # 受控 is out of sight
    view = show_request(appliance.uow_factory, request_id)
    assert (view.request.state, view.steps) == (RequestState.PENDING, [])
    decide_request(appliance.uow_factory, ARCHIVIST, request_id, Decision.WITHDRAW, "", NOW)
    with pytest.raises(ConflictError, match=f"request {request_id} is withdrawn"):
        decide_request(appliance.uow_factory, APPROVER, request_id, Decision.APPROVE, "", NOW)


def test_two_approvers_at_once_make_exactly_one_transition(appliance, codes):
    request_id = open_request(appliance.uow_factory, ARCHIVIST, RequestKind.ARCHIVING, codes[:1], "", NOW).request.id
    approvers = [person(f"approver-{number}", "approver") for number in range(6)]
    barrier, outcomes = threading.Barrier(len(approvers)), []

    def approve(principal):
        barrier.wait()
        try:
            decide_request(appliance.uow_factory, principal, request_id, Decision.APPROVE, "", NOW)
            outcomes.append("approved")
        except ConflictError as conflict:
            outcomes.append(str(conflict))

    threads = [threading.Thread(target=approve, args=(principal,)) for principal in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("approved") == 1, outcomes
    assert all("approved" in outcome for outcome in outcomes)  # the others are told the state it is in
    view = show_request(appliance.uow_factory, request_id)
    assert view.request.state is RequestState.APPROVED and len(view.steps) == 1


def test_the_last_approval_archives_the_items_and_fixes_their_fields(appliance, codes):
    from appliance.services.item_editing import edit_intake_item
    from appliance.services.items import show_item

    request_id = open_request(appliance.uow_factory, ARCHIVIST, RequestKind.ARCHIVING, codes[:1], "", NOW).request.id
    decide_request(appliance.uow_factory, APPROVER, request_id, Decision.APPROVE, "", NOW)
    view = show_item(appliance.uow_factory, codes[0])
    assert view.item.state.value == "archived" and view.history[-1].action == "item.archive"
    archived = search(appliance.uow_factory, ARCHIVIST, "文件", SearchFilter(state="archived"))
    assert [hit.archival_code for hit in archived.hits] == codes[:1]  # the index knows the new state at once
    with pytest.raises(ConflictError, match="only through a correction"):
        edit_intake_item(appliance.uow_factory, ARCHIVIST.actor, codes[0], {"title": "改"}, EVERYTHING)
    with pytest.raises(ConflictError, match="only items in intake"):
        open_request(appliance.uow_factory, ARCHIVIST, RequestKind.ARCHIVING, codes[:1], "", NOW)


def test_an_item_not_yet_described_is_not_archived(appliance, actor, fonds):
    from appliance.domain.intake import placeholder_fields

    with appliance.uow_factory() as uow:  # as intake makes it from a batch document
        code = KEY.code_for(uow.catalogue.allocate_item_number(KEY))
        uow.catalogue.add_item(code, placeholder_fields(AccessLabel.INTERNAL), ItemState.INTAKE)
        uow.commit()
    with pytest.raises(InvalidInputError, match="not described yet"):
        open_request(appliance.uow_factory, ARCHIVIST, RequestKind.ARCHIVING, [code.format()], "", NOW)
