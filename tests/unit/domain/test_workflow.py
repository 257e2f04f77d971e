import pytest

from appliance.domain.catalogue import AccessLabel
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.workflow import (
    DEFAULT_CHAIN_POLICY,
    Decision,
    RequestKind,
    RequestSnapshot,
    RequestState,
    decide,
)

APPROVER = frozenset({Action.ARCHIVE_APPROVE})


def request(label=AccessLabel.INTERNAL, state=RequestState.PENDING, tier=0, deciders=()) -> RequestSnapshot:
    chain = DEFAULT_CHAIN_POLICY.chain(RequestKind.ARCHIVING, label)
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
