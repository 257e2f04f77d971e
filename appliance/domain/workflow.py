"""The workflow core: requests that pass a chain of approvals, their states and transitions as data.

Archiving, corrections, borrowing and destruction are all requests: someone asks, approvers decide tier by tier,
any approver may reject with a reason, the requester may withdraw while it is pending. Which tiers a request needs
depends on its kind and the highest access label among its items. Each tier is decided by a different person, and
never by the requester: 四眼原则, the four-eyes rule.
"""

import datetime
import enum
from dataclasses import dataclass, field

from appliance.domain.catalogue import AccessLabel
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError
from appliance.domain.permissions import Action

MAX_REASON = 1000


class RequestKind(enum.StrEnum):
    ARCHIVING = "archiving"
    CORRECTION = "correction"
    BORROWING = "borrowing"
    DESTRUCTION = "destruction"


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


# (state, decision) -> the state after it; approving a tier that is not the last keeps the request pending.
TRANSITIONS: dict[tuple[RequestState, Decision], RequestState] = {
    (RequestState.PENDING, Decision.APPROVE): RequestState.APPROVED,
    (RequestState.PENDING, Decision.REJECT): RequestState.REJECTED,
    (RequestState.PENDING, Decision.WITHDRAW): RequestState.WITHDRAWN,
}

APPROVING_ACTION = {
    RequestKind.ARCHIVING: Action.ARCHIVE_APPROVE,
    RequestKind.CORRECTION: Action.CORRECTION_APPROVE,
    RequestKind.BORROWING: Action.BORROW_APPROVE,
    RequestKind.DESTRUCTION: Action.DESTRUCTION_APPROVE,
}


@dataclass(frozen=True)
class ApprovalTier:
    name: str  # archivist, department head, leadership: who is expected at this step
    action: Action  # what the deciding person's roles must allow


@dataclass(frozen=True)
class ChainRule:
    """A chain for requests that match: of a kind, on items of a fonds, a category, an access label (None: any)."""

    tiers: tuple[str, ...]
    kind: RequestKind | None = None
    fonds: str | None = None
    category: str | None = None
    label: AccessLabel | None = None

    def __post_init__(self) -> None:
        if not self.tiers or any(not name.strip() or len(name) > 40 for name in self.tiers):
            raise InvalidInputError("a chain names 1 or more tiers, each 1 to 40 characters")

    def matches(self, kind: RequestKind, item) -> bool:
        wanted = ((self.kind, kind), (self.fonds, item.code.fonds), (self.category, item.code.category),
                  (self.label, item.fields.access_label))
        return all(expected is None or expected == actual for expected, actual in wanted)


@dataclass(frozen=True)
class ChainPolicy:
    """Which tiers a request needs. The box's own rules (per kind, fonds, category, access label; first match wins)
    come before the defaults: by kind where a kind has a chain of its own (destruction is always leadership's), else
    by the access label. A request on several items takes the longest chain any of them needs."""

    tiers_by_label: dict[AccessLabel, tuple[str, ...]]
    tiers_by_kind: dict[RequestKind, tuple[str, ...]] = field(default_factory=dict)
    rules: tuple[ChainRule, ...] = ()

    def chain_for(self, kind: RequestKind, items) -> tuple[ApprovalTier, ...]:
        """The chain for a request of `kind` on `items` (catalogue Items); raises InvalidInputError for no items."""
        if not items:
            raise InvalidInputError("name at least one item")
        chains = [self._names_for(kind, item) for item in items]
        longest = max(chains, key=len)
        return tuple(ApprovalTier(name, APPROVING_ACTION[kind]) for name in longest)

    def _names_for(self, kind: RequestKind, item) -> tuple[str, ...]:
        for rule in self.rules:
            if rule.matches(kind, item):
                return rule.tiers
        return self.tiers_by_kind.get(kind) or self.tiers_by_label[AccessLabel(item.fields.access_label)]

    def with_rules(self, rules: tuple[ChainRule, ...]) -> "ChainPolicy":
        return ChainPolicy(self.tiers_by_label, self.tiers_by_kind, tuple(rules))


RULE_KEYS = {"tiers", "kind", "fonds", "category", "label"}


def chain_rules(tables: list) -> tuple[ChainRule, ...]:
    """Rules from the configuration's tables; raises InvalidInputError naming the rule and what is wrong."""
    rules = []
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict) or not set(table) <= RULE_KEYS or not isinstance(table.get("tiers"), list):
            raise InvalidInputError(f"rule {number} needs tiers = [...] and only {', '.join(sorted(RULE_KEYS))}")
        try:
            rules.append(ChainRule(tuple(str(name) for name in table["tiers"]),
                                   RequestKind(table["kind"]) if "kind" in table else None,
                                   table.get("fonds"), table.get("category"),
                                   AccessLabel(table["label"]) if "label" in table else None))
        except (ValueError, InvalidInputError) as error:
            raise InvalidInputError(f"rule {number}: {error}") from None
    return tuple(rules)


DEFAULT_CHAIN_POLICY = ChainPolicy(
    {
        AccessLabel.PUBLIC: ("department head",),
        AccessLabel.INTERNAL: ("department head",),
        AccessLabel.RESTRICTED: ("department head", "leadership"),
    },
    {RequestKind.DESTRUCTION: ("leadership",)},
)


@dataclass(frozen=True)
class RequestSnapshot:
    """What a decision needs to know of a request."""

    id: int
    kind: RequestKind
    state: RequestState
    tier: int  # the index of the tier to decide next
    chain: tuple[ApprovalTier, ...]
    requester: str
    deciders: tuple[str, ...]  # who decided the tiers so far, in order
    version: int


@dataclass(frozen=True)
class Outcome:
    state: RequestState
    tier: int
    final: bool  # the request reached an end state


def decide(request: RequestSnapshot, decision: Decision, who: str, actions: frozenset[Action],
           reason: str = "") -> Outcome:
    """The request after `who` makes `decision`.

    Raises ConflictError (an invalid transition: the message says the request's state), ForbiddenError (not this
    person's to decide) or InvalidInputError (a rejection without a reason).
    """
    after = TRANSITIONS.get((request.state, decision))
    if after is None:
        raise ConflictError(f"request {request.id} is {request.state.value}: it can no longer be {_past(decision)}")
    if decision is Decision.WITHDRAW:
        if who != request.requester:
            raise ForbiddenError(f"only {request.requester}, who asked, may withdraw request {request.id}")
        return Outcome(after, request.tier, True)
    tier = request.chain[request.tier]
    _check_decider(request, tier, who, actions)
    if decision is Decision.REJECT:
        if not reason.strip():
            raise InvalidInputError("a rejection needs a reason the requester can act on")
        return Outcome(after, request.tier, True)
    if request.tier + 1 < len(request.chain):
        return Outcome(RequestState.PENDING, request.tier + 1, False)
    return Outcome(after, request.tier + 1, True)


def may_decide(request: RequestSnapshot, who: str, actions: frozenset[Action]) -> bool:
    """Whether the request waits for this person now (for the approvals inbox)."""
    if request.state is not RequestState.PENDING:
        return False
    try:
        _check_decider(request, request.chain[request.tier], who, actions)
    except ForbiddenError:
        return False
    return True


def check_reason(text: str) -> str:
    reason = text.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInputError(f"a reason is at most {MAX_REASON} characters")
    return reason


def _check_decider(request: RequestSnapshot, tier: ApprovalTier, who: str, actions: frozenset[Action]) -> None:
    if tier.action not in actions:
        raise ForbiddenError(f"{who} may not {tier.action.value}: request {request.id} waits for {tier.name}")
    if who == request.requester:
        raise ForbiddenError(f"{who} asked for request {request.id} and may not decide it")
    if who in request.deciders:
        raise ForbiddenError(f"{who} decided an earlier tier of request {request.id}; {tier.name} is someone else")


def _past(decision: Decision) -> str:
    return {Decision.APPROVE: "approved", Decision.REJECT: "rejected", Decision.WITHDRAW: "withdrawn"}[decision]


class BorrowForm(enum.StrEnum):
    """利用方式: reading, excerpting, copying, lending the paper file, certifying a copy."""

    READ = "read"
    EXCERPT = "excerpt"
    COPY = "copy"
    LEND = "lend"  # the paper file leaves the archive room: a physical loan, no viewing grant
    CERTIFY = "certify"


class UsePurpose(enum.StrEnum):
    """利用目的, as the annual statistics of archive authorities count them."""

    WORK = "work"  # 工作查考
    RESEARCH = "research"  # 学术研究
    HISTORY = "history"  # 编史修志
    ECONOMY = "economy"  # 经济建设
    EDUCATION = "education"  # 宣传教育
    EVIDENCE = "evidence"  # 个人取证
    OTHER = "other"  # 其他


MAX_BORROW_DAYS = 90


@dataclass(frozen=True)
class BorrowTerms:
    purpose: str  # in the requester's words, for the approver and the register
    form: BorrowForm
    days: int
    may_download: bool = False
    may_print: bool = False
    purpose_category: UsePurpose = UsePurpose.WORK

    def __post_init__(self) -> None:
        if not self.purpose.strip() or len(self.purpose) > MAX_REASON:
            raise InvalidInputError(f"say the purpose of the use (1 to {MAX_REASON} characters)")
        if not 1 <= self.days <= MAX_BORROW_DAYS:
            raise InvalidInputError(f"a use lasts 1 to {MAX_BORROW_DAYS} days, not {self.days}")

    @property
    def electronic(self) -> bool:
        return self.form is not BorrowForm.LEND

    def as_dict(self) -> dict:
        return {"purpose": self.purpose.strip(), "form": self.form.value, "days": self.days,
                "may_download": self.may_download, "may_print": self.may_print,
                "purpose_category": self.purpose_category.value}



@dataclass(frozen=True)
class ViewingGrant:
    """Leave to view an item's content, from an approved electronic use, until it expires or is ended."""

    id: int
    request_id: int
    item_code: str
    granted_at: datetime.datetime
    expires_at: datetime.datetime
    ended_at: datetime.datetime | None
    may_download: bool
    may_print: bool

    def in_force(self, now: datetime.datetime) -> bool:
        return self.ended_at is None and self.expires_at > now
