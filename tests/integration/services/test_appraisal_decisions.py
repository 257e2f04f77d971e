"""The appraisal group's decisions on both databases: keep, extend, destroy; holds, lists and rounds respected."""

import datetime

import pytest
from sqlalchemy import update

from appliance.adapters.db.tables import AppraisalDecisionRow, DestructionListRow
from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.appraisal import AppraisalChoice, decision_terms
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemFilter, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.holds import HoldScope
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import Decision, RequestKind
from appliance.services import reports
from appliance.services.appraisal import expiry_list, record_decisions
from appliance.services.audit import history
from appliance.services.holds import place_hold, release_hold
from appliance.services.items import add_item
from appliance.services.workflows import decide_request, open_request

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
FIRST, SECOND, THIRD = (f"Z109-WS·2011-D10-BGS-000{number}" for number in (1, 2, 3))
PERSONNEL = "Z109-WS·2011-D10-RSC-0001"


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


ARCHIVIST, APPROVER = person("wang", "archivist"), person("zhao", "approver")


@pytest.fixture
def archived(appliance, actor, fonds):
    """Due in 2022: three items of BGS and one of RSC filed in 2011 for 10 years; 2012's are due in 2023."""
    for year, retention, department, count in ((2011, "D10", "BGS", 3), (2011, "D10", "RSC", 1),
                                               (2012, "D10", "BGS", 1), (1990, "Y", "BGS", 1)):
        for _ in range(count):
            add_item(appliance.uow_factory, appliance.blob_store, actor,
                     ClassKey("Z109", "WS", year, retention, department),
                     ItemFields.build(title="通知", date=f"{year}0301"))
    with appliance.uow_factory() as uow:
        uow.catalogue.set_state([item.id for item in uow.catalogue.iterate_items(ItemFilter("Z109"))],
                                ItemState.ARCHIVED)
        uow.commit()


def decide(appliance, codes, choice, round_year=2022, who=ARCHIVIST, **terms):
    return record_decisions(appliance.uow_factory, who, "Z109", round_year, codes,
                            decision_terms(choice, terms.pop("reason", "鉴定小组意见"), **terms), NOW)


def listed(appliance, round_year) -> list[str]:
    return [item.archival_code for item in expiry_list(appliance.uow_factory, "Z109", round_year).items]


def appraisal_events(appliance, code) -> list:
    return [event for event in history(appliance.uow_factory, "item", code) if event.action.startswith("appraisal.")]


def test_keeping_takes_an_item_off_the_list_until_its_review_year(appliance, archived):
    (kept,) = decide(appliance, [FIRST], "keep", keep_years=5, reason="仍有查考价值")
    assert (kept.choice, kept.review_year, kept.round_year, kept.current) == (AppraisalChoice.KEEP, 2027, 2022, True)
    assert FIRST not in listed(appliance, 2022) and FIRST not in listed(appliance, 2026)
    assert expiry_list(appliance.uow_factory, "Z109", 2022).counts == {(2011, "D10"): 3}
    assert FIRST in listed(appliance, 2027)
    (event,) = appraisal_events(appliance, FIRST)
    assert event.action == "appraisal.keep" and event.actor == "wang"
    assert event.details == {"round": 2022, "reason": "仍有查考价值", "decision": kept.id, "review_year": 2027}


def test_extending_counts_the_longer_period_from_the_filing_year(appliance, archived):
    (extended,) = decide(appliance, [FIRST], "extend", new_retention="D30")
    assert (extended.new_retention, extended.review_year) == ("D30", 2042)  # 2011 + 30, due the year after
    assert FIRST not in listed(appliance, 2041) and FIRST in listed(appliance, 2042)
    assert expiry_list(appliance.uow_factory, "Z109", 2042).decisions[extended.item_id].new_retention == "D30"
    with pytest.raises(InvalidInputError, match="must be longer"):
        decide(appliance, [FIRST], "extend", round_year=2042, new_retention="D30")
    (forever,) = decide(appliance, [FIRST], "extend", round_year=2042, new_retention="Y")
    assert forever.review_year is None and FIRST not in listed(appliance, 2999)
    event = appraisal_events(appliance, FIRST)[-1]
    assert event.action == "appraisal.extend"
    assert (event.details["retention"], event.details["new_retention"]) == ("D30", "Y")
    with appliance.uow_factory(read_only=True) as uow:
        item = uow.catalogue.get_item(FIRST)
        assert item.code.retention == "D10"  # the code is stable: the appraisal record says what was decided
        assert [decision.current for decision in uow.appraisals.history(item.id)] == [False, True]


def test_the_retention_chart_moves_what_an_appraisal_kept_on(appliance, archived, actor):
    late = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 1997, "D10", "BGS"),
                    ItemFields.build(title="通知", date="19970301"))
    with appliance.uow_factory() as uow:
        uow.catalogue.set_state([late.id], ItemState.ARCHIVED)
        uow.commit()

    def chart() -> dict:
        period = reports.report_period(None, None, None, NOW.date())
        found = reports.figure(appliance.uow_factory, ARCHIVIST, "retention-ending", period, NOW)
        return {row.key: row.values for row in found.rows if any(row.values)}

    assert chart() == {"earlier": (6, 0)}  # (D10, D30): every D10 item ran out before 2026
    decide(appliance, [FIRST], "keep", round_year=2026, keep_years=5)  # appraised again in 2031
    decide(appliance, [SECOND], "extend", round_year=2026, new_retention="Y")  # never again
    decide(appliance, [late.archival_code], "extend", round_year=2026, new_retention="D30")  # kept to 2027
    assert chart() == {"earlier": (3, 0), "2027": (0, 1), "2030": (1, 0)}


def test_to_be_destroyed_stays_listed_and_may_be_reconsidered(appliance, archived):
    (destroy,) = decide(appliance, [FIRST], "destroy", reason="已无保存价值")
    due = expiry_list(appliance.uow_factory, "Z109", 2022)
    assert FIRST in [item.archival_code for item in due.items] and due.total == 4
    assert due.decisions[destroy.item_id].choice is AppraisalChoice.DESTROY
    (kept,) = decide(appliance, [FIRST], "keep", reason="复议后保留")
    assert kept.review_year == 2032 and FIRST not in listed(appliance, 2022)
    assert [event.details.get("replaces") for event in appraisal_events(appliance, FIRST)] == [None, destroy.id]


def test_an_item_not_due_is_refused(appliance, archived):
    with pytest.raises(ConflictError, match="not due for appraisal in 2022"):
        decide(appliance, ["Z109-WS·2012-D10-BGS-0001"], "destroy")
    with pytest.raises(ConflictError, match="not due"):
        decide(appliance, ["Z109-WS·1990-Y-BGS-0001"], "keep", round_year=2500)  # 永久
    decide(appliance, [FIRST], "keep")
    with pytest.raises(ConflictError, match="next appraisal is in 2032"):
        decide(appliance, [FIRST], "destroy", round_year=2025)


def test_a_held_item_refuses_the_whole_batch(appliance, archived):
    hold = place_hold(appliance.uow_factory, ARCHIVIST, HoldScope("Z109", department="RSC"), "人事仲裁", NOW)
    with pytest.raises(ConflictError, match=f"legal hold {hold.id}"):
        decide(appliance, [FIRST, PERSONNEL], "destroy")
    due = expiry_list(appliance.uow_factory, "Z109", 2022)
    assert due.decisions == {} and appraisal_events(appliance, FIRST) == []
    held = {item.archival_code: due.holds.get(item.id) for item in due.items}
    assert held[PERSONNEL].id == hold.id and held[FIRST] is None
    release_hold(appliance.uow_factory, ARCHIVIST, hold.id, "仲裁结束", NOW)
    assert len(decide(appliance, [FIRST, PERSONNEL], "destroy")) == 2


def test_an_item_on_a_live_destruction_list_is_refused(appliance, archived):
    (destroy,) = decide(appliance, [FIRST], "destroy")
    opened = open_request(appliance.uow_factory, ARCHIVIST, RequestKind.DESTRUCTION, [FIRST], "销毁", NOW)
    request_id = opened.request.id
    with appliance.uow_factory() as uow:  # as compiling a destruction list does
        row = DestructionListRow(number="Z109-XH-2022-001", fonds="Z109", year=2022, sequence=1,
                                 request_id=request_id, compiled_by="wang", compiled_at=NOW)
        uow.session.add(row)
        uow.session.flush()
        uow.session.execute(update(AppraisalDecisionRow).where(AppraisalDecisionRow.id == destroy.id)
                            .values(list_id=row.id))
        uow.commit()
    due = expiry_list(appliance.uow_factory, "Z109", 2022)
    assert due.decisions[destroy.item_id].list_number == "Z109-XH-2022-001"
    with pytest.raises(ConflictError, match="destruction list Z109-XH-2022-001"):
        decide(appliance, [FIRST], "keep")
    decide_request(appliance.uow_factory, APPROVER, request_id, Decision.REJECT, "不同意销毁", NOW)
    (kept,) = decide(appliance, [FIRST], "keep")  # a rejected list no longer decides the item
    assert kept.current and kept.list_id is None


def test_who_and_what_may_be_decided(appliance, archived):
    for role in ("reader", "operator", "approver"):
        with pytest.raises(ForbiddenError):
            decide(appliance, [FIRST], "keep", who=person("sun", role))
    outsider = person("li", "archivist", AccessScope(AccessLabel.RESTRICTED, frozenset({"RSC"})))
    with pytest.raises(NotFoundError):
        decide(appliance, [FIRST], "keep", who=outsider)
    with pytest.raises(NotFoundError):
        record_decisions(appliance.uow_factory, ARCHIVIST, "Z999", 2022, [FIRST],
                         decision_terms("keep", "保留"), NOW)
    with pytest.raises(InvalidInputError):
        decide(appliance, [], "keep")
    add_item(appliance.uow_factory, appliance.blob_store, ARCHIVIST.actor, ClassKey("Z109", "WS", 2011, "D10", "BGS"),
             ItemFields.build(title="新件", date="20110301"))
    with pytest.raises(ConflictError, match="only archived"):
        decide(appliance, ["Z109-WS·2011-D10-BGS-0004"], "keep")
    assert appraisal_events(appliance, FIRST) == []


def test_an_extension_that_ended_already_is_refused(appliance, archived):
    decide(appliance, [FIRST], "keep", keep_years=50)
    with pytest.raises(InvalidInputError, match="ended in 2041"):
        decide(appliance, [FIRST], "extend", round_year=2072, new_retention="D30")
    assert len(appraisal_events(appliance, FIRST)) == 1


@pytest.mark.parametrize("choice, reason, terms, message", [
    ("archive", "理由", {}, "unknown decision"),
    ("keep", " ", {}, "say why"),
    ("keep", "理由", {"keep_years": 0}, "1 to 50 years"),
    ("keep", "理由", {"keep_years": 51}, "1 to 50 years"),
    ("extend", "理由", {}, "new retention"),
    ("extend", "理由", {"new_retention": "D15"}, "unknown retention"),
])
def test_bad_terms_are_refused(choice, reason, terms, message):
    with pytest.raises(InvalidInputError, match=message):
        decision_terms(choice, reason, **terms)
