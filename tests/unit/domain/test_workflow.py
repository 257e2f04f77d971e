import pytest

from appliance.domain.catalogue import AccessLabel, Item, ItemFields, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.workflow import (
    DEFAULT_CHAIN_POLICY,
    ChainRule,
    Decision,
    RequestKind,
    RequestSnapshot,
    RequestState,
    decide,
)

APPROVER = frozenset({Action.ARCHIVE_APPROVE})


def item(label=AccessLabel.INTERNAL, fonds="Z109", category="WS") -> Item:
    code = ClassKey(fonds, category, 2011, "Y", "BGS").code_for(1)
    return Item(1, code, ItemFields.build(title="通知", date="20110315", access_label=label), ItemState.ARCHIVED, "")


def request(label=AccessLabel.INTERNAL, state=RequestState.PENDING, tier=0, deciders=()) -> RequestSnapshot:
    chain = DEFAULT_CHAIN_POLICY.chain_for(RequestKind.ARCHIVING, [item(label)])
    return RequestSnapshot(7, RequestKind.ARCHIVING, state, tier, chain, "wang", tuple(deciders), 0)


def test_one_tier_approved_ends_the_request():
    outcome = decide(request(), Decision.APPROVE, "zhao", APPROVER)
    assert (outcome.state, outcome.tier, outcome.final) == (RequestState.APPROVED, 1, True)


def test_a_restricted_request_needs_two_different_approvers():
    first = decide(request(AccessLabel.RESTRICTED), Decision.APPROVE, "zhao", APPROVER)
    assert (first.state, first.tier, first.final) == (RequestState.PENDING, 1, False)
    with pytest.raises(ForbiddenError, match="decided an earlier tier"):
        decide(request(AccessLabel.RESTRICTED, tier=1, deciders=["zhao"]), Decision.APPROVE, "zhao", APPROVER)
    last = decide(request(AccessLabel.RESTRICTED, tier=1, deciders=["zhao"]), Decision.APPROVE, "qian", APPROVER)
    assert last.state is RequestState.APPROVED


def test_the_requester_and_those_without_the_right_may_not_decide():
    with pytest.raises(ForbiddenError, match="asked for request 7"):
        decide(request(), Decision.APPROVE, "wang", APPROVER)
    with pytest.raises(ForbiddenError, match="may not archive.approve"):
        decide(request(), Decision.APPROVE, "auditor", frozenset({Action.AUDIT_READ}))


def test_a_rejection_needs_a_reason_and_only_the_requester_withdraws():
    with pytest.raises(InvalidInputError, match="needs a reason"):
        decide(request(), Decision.REJECT, "zhao", APPROVER, "  ")
    assert decide(request(), Decision.REJECT, "zhao", APPROVER, "页数不符").state is RequestState.REJECTED
    with pytest.raises(ForbiddenError, match="only wang"):
        decide(request(), Decision.WITHDRAW, "zhao", APPROVER)
    assert decide(request(), Decision.WITHDRAW, "wang", frozenset()).state is RequestState.WITHDRAWN


@pytest.mark.parametrize("state", [RequestState.APPROVED, RequestState.REJECTED, RequestState.WITHDRAWN])
@pytest.mark.parametrize("decision", list(Decision))
def test_an_ended_request_takes_no_more_decisions_and_says_its_state(state, decision):
    with pytest.raises(ConflictError, match=f"request 7 is {state.value}"):
        decide(request(state=state), decision, "zhao", APPROVER, "reason")


def tier_names(policy, kind, items) -> list[str]:
    return [tier.name for tier in policy.chain_for(kind, items)]


def test_the_default_chain_follows_the_access_label_and_destruction_goes_to_leadership():
    assert tier_names(DEFAULT_CHAIN_POLICY, RequestKind.BORROWING, [item()]) == ["department head"]
    assert tier_names(DEFAULT_CHAIN_POLICY, RequestKind.BORROWING, [item(), item(AccessLabel.RESTRICTED)]) == [
        "department head", "leadership"]
    assert tier_names(DEFAULT_CHAIN_POLICY, RequestKind.DESTRUCTION, [item(AccessLabel.RESTRICTED)]) == ["leadership"]


def test_a_box_rule_for_a_fonds_and_category_comes_first_and_the_longest_chain_wins():
    rule = ChainRule(("archivist", "department head", "leadership"), RequestKind.BORROWING, "Z109", "KJ")
    policy = DEFAULT_CHAIN_POLICY.with_rules((rule,))
    assert len(tier_names(policy, RequestKind.BORROWING, [item(category="KJ")])) == 3
    assert tier_names(policy, RequestKind.BORROWING, [item(category="WS")]) == ["department head"]
    assert tier_names(policy, RequestKind.ARCHIVING, [item(category="KJ")]) == ["department head"]
    assert len(tier_names(policy, RequestKind.BORROWING, [item(), item(category="KJ")])) == 3


def test_a_rule_without_tiers_is_refused():
    with pytest.raises(InvalidInputError, match="1 or more tiers"):
        ChainRule(())
