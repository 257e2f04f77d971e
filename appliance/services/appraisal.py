"""Appraisal (鉴定): the expiry list of archived items whose retention period ran out, and the appraisal group's
decisions on them (keep, extend the period, destroy); every decision audited, the earlier ones kept."""

import datetime
from dataclasses import dataclass, field

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.appraisal import AppraisalDecision, DecisionTerms, ExpiryRule, is_due, next_review_year
from appliance.domain.catalogue import Item, ItemState
from appliance.domain.codes import ArchivalCode, parse_archival_code
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.holds import LegalHold, refuse_held
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.services.audit import record
from appliance.services.fonds import require_fonds
from appliance.services.holds import holds_covering

MAX_DECISION_ITEMS = 1000


@dataclass(frozen=True)
class ExpiryList:
    fonds: str
    as_of_year: int
    due_years: dict[str, int]  # per retention period, the newest filing year that is due
    counts: dict[tuple[int, str], int]  # items due per (year, retention)
    items: list[Item]  # one page of them, in code order
    next_after: ArchivalCode | None
    decisions: dict[int, AppraisalDecision] = field(default_factory=dict)  # per listed item id: the one in force
    holds: dict[int, LegalHold] = field(default_factory=dict)  # per listed item id: an active hold covering it

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def expiry_list(uow_factory, fonds_code: str, as_of_year: int, after: str | None = None, limit: int = 50,
                rule: ExpiryRule = ExpiryRule(), scope: AccessScope = EVERYTHING) -> ExpiryList:
    """Items due for appraisal in `as_of_year`, counted per class, with one page of them, each with its decision
    in force and a hold covering it. Items kept or extended beyond the year are not due; those to be destroyed are.

    Raises NotFoundError for an unknown fonds, InvalidInputError for a bad year or page position.
    """
    due = rule.due_years(as_of_year)
    after_code = parse_archival_code(after) if after else None
    with uow_factory(read_only=True) as uow:
        fonds = require_fonds(uow, fonds_code.upper())
        counts = uow.catalogue.count_expired(fonds.code, due, scope, round_year=as_of_year)
        items = uow.catalogue.expired_items(fonds.code, due, after_code, limit + 1, scope, round_year=as_of_year)
        page = items[:limit]
        decisions = uow.appraisals.current_for([item.id for item in page])
        holds = holds_covering(uow, page)
    next_after = items[limit - 1].code if len(items) > limit else None
    return ExpiryList(fonds.code, as_of_year, due, counts, page, next_after, decisions, holds)


def record_decisions(uow_factory, principal: Principal, fonds_code: str, round_year: int, codes: list[str],
                     terms: DecisionTerms, now: datetime.datetime,
                     rule: ExpiryRule = ExpiryRule()) -> list[AppraisalDecision]:
    """Record the appraisal group's decision on items of a round's expiry list; each becomes the one in force.

    All or nothing: raises ForbiddenError, NotFoundError (an unknown fonds; an item unknown or out of sight),
    ConflictError (an item not archived, not due in the round, on a live destruction list, or under a legal hold:
    the message names the hold) or InvalidInputError (a bad code, year, or extension); nothing is recorded then.
    """
    principal.require(Action.APPRAISAL_DECIDE)
    rule.due_years(round_year)  # the year's range is checked there
    wanted = _codes(codes)
    with uow_factory() as uow:
        fonds = require_fonds(uow, fonds_code)
        items = [_item_to_decide(uow, principal, fonds.code, code) for code in wanted]
        item_ids = [item.id for item in items]
        uow.appraisals.lock_items(item_ids)
        refuse_held(items, uow.holds.active_for_fonds_of({fonds.code}), "appraised")
        in_force = uow.appraisals.current_for(item_ids)
        for item in items:
            _refuse_not_open(item, in_force.get(item.id), round_year, rule)
        extended = uow.appraisals.extended_retentions(item_ids)
        retentions = {item.id: extended.get(item.id, item.code.retention) for item in items}
        reviews = {item.id: next_review_year(item.code, retentions[item.id], round_year, terms, rule)
                   for item in items}
        for item in items:
            _record_one(uow, principal, item, round_year, terms, (retentions[item.id], reviews[item.id]),
                        in_force.get(item.id), now)
        uow.commit()
        decided = uow.appraisals.current_for(item_ids)
    return [decided[item_id] for item_id in item_ids]


def _codes(codes: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(parse_archival_code(code).format() for code in codes))
    if not wanted:
        raise InvalidInputError("name at least one item")
    if len(wanted) > MAX_DECISION_ITEMS:
        raise InvalidInputError(f"at most {MAX_DECISION_ITEMS} items in one decision")
    return wanted


def _item_to_decide(uow, principal: Principal, fonds_code: str, code: str) -> Item:
    item = uow.catalogue.get_item(code)
    if item is None or not principal.scope.can_see(item):
        raise NotFoundError(f"no item {code}")
    if item.code.fonds != fonds_code:
        raise InvalidInputError(f"item {code} is not of fonds {fonds_code}")
    if item.state is not ItemState.ARCHIVED:
        raise ConflictError(f"item {code} is {item.state.value}: only archived items are appraised")
    return item


def _refuse_not_open(item: Item, in_force: AppraisalDecision | None, round_year: int, rule: ExpiryRule) -> None:
    """Refuse an item whose destruction is under way, or that is not on the round's expiry list."""
    if in_force is not None and in_force.list_live:
        raise ConflictError(f"item {item.archival_code} is on destruction list {in_force.list_number} already: "
                            "the list decides it now")
    if not is_due(item.code, round_year, in_force, rule):
        later = f" (its next appraisal is in {in_force.review_year})" if in_force and in_force.review_year else ""
        raise ConflictError(f"item {item.archival_code} is not due for appraisal in {round_year}{later}")


def _record_one(uow, principal: Principal, item: Item, round_year: int, terms: DecisionTerms,
                plan: tuple[str, int | None], replacing: AppraisalDecision | None, now: datetime.datetime) -> None:
    """Write one decision and its audit event; `plan` is the retention in force and the year it is due again."""
    retention_in_force, review_year = plan
    decision_id = uow.appraisals.add(item.id, round_year, terms.choice, terms.new_retention, review_year,
                                     terms.reason, principal.username, now, replacing)
    if decision_id is None:
        raise ConflictError(f"item {item.archival_code} was decided by someone else a moment ago: look again")
    details = {"round": round_year, "reason": terms.reason, "decision": decision_id, "review_year": review_year}
    if terms.new_retention is not None:
        details.update(retention=retention_in_force, new_retention=terms.new_retention)
    if replacing is not None:
        details["replaces"] = replacing.id
    record(uow, principal.actor, f"appraisal.{terms.choice.value}", "item", item.archival_code, details)
