"""Appraisal (鉴定): when an item's retention period has run out, so that an appraisal group looks at it again.

A period counts from the year after the filing year by default (an item of 2011 kept 10 years is due for
appraisal in 2022): archives count whole years from 1 January following the year the records were made. Some
rules count from the filing year itself; `count_from_next_year=False` says so.
"""

import datetime
import enum
from dataclasses import dataclass

from appliance.domain.codes import ArchivalCode
from appliance.domain.errors import InvalidInputError
from appliance.domain.retention import RETENTION_PERIODS, parse_retention


@dataclass(frozen=True)
class ExpiryRule:
    count_from_next_year: bool = True

    def last_year_kept(self, year: int, retention: str) -> int | None:
        """The last year an item of `year` is kept under `retention`; None for permanent (永久)."""
        period = RETENTION_PERIODS[retention]
        if period.years is None:
            return None
        return year + period.years - (0 if self.count_from_next_year else 1)

    def due_years(self, as_of_year: int) -> dict[str, int]:
        """For each period with an end: the newest filing year whose items are due for appraisal in `as_of_year`."""
        if not 1900 <= as_of_year <= 9999:
            raise InvalidInputError(f"year {as_of_year} is out of range")
        offset = 0 if self.count_from_next_year else 1
        return {code: as_of_year - period.years - 1 + offset for code, period in RETENTION_PERIODS.items()
                if period.years is not None}


class AppraisalChoice(enum.StrEnum):
    """What the appraisal group decides for an item whose period ran out."""

    KEEP = "keep"  # 继续保存: looked at again after some years
    EXTEND = "extend"  # 延长保管期限: a longer retention period, due again when it ends (永久: never)
    DESTROY = "destroy"  # 拟销毁: goes on the next destruction list


DEFAULT_KEEP_YEARS = 10
MAX_KEEP_YEARS = 50
MAX_APPRAISAL_REASON = 1000


@dataclass(frozen=True)
class DecisionTerms:
    """A decision as asked for, checked: the choice, why, and its years or new period."""

    choice: AppraisalChoice
    reason: str
    keep_years: int = DEFAULT_KEEP_YEARS
    new_retention: str | None = None


@dataclass(frozen=True)
class AppraisalDecision:
    """A decision as recorded; `list_live` says its destruction list is under way or carried out."""

    id: int
    item_id: int
    archival_code: str
    round_year: int
    choice: AppraisalChoice
    new_retention: str | None
    review_year: int | None  # due again in this year; None: never again (or, for destroy, not applicable)
    reason: str
    decided_by: str
    decided_at: datetime.datetime
    current: bool
    list_id: int | None = None
    list_number: str | None = None
    list_live: bool = False

    def keeps_off_list(self, round_year: int) -> bool:
        """Whether this decision takes the item off the expiry list of `round_year`."""
        if self.choice is AppraisalChoice.DESTROY:
            return False
        return self.review_year is None or self.review_year > round_year


def decision_terms(choice: str, reason: str, keep_years: int | None = None,
                   new_retention: str | None = None) -> DecisionTerms:
    """Check what was asked; raises InvalidInputError naming the bad part."""
    try:
        chosen = AppraisalChoice(choice)
    except ValueError:
        raise InvalidInputError(f"unknown decision {choice!r} (known: keep, extend, destroy)") from None
    text = (reason or "").strip()
    if not text or len(text) > MAX_APPRAISAL_REASON:
        raise InvalidInputError(f"say why (1 to {MAX_APPRAISAL_REASON} characters): the appraisal is answered for")
    years = DEFAULT_KEEP_YEARS if keep_years is None else keep_years
    whole = isinstance(years, int) and not isinstance(years, bool)
    if chosen is AppraisalChoice.KEEP and not (whole and 1 <= years <= MAX_KEEP_YEARS):
        raise InvalidInputError(f"keep for 1 to {MAX_KEEP_YEARS} years")
    retention = None
    if chosen is AppraisalChoice.EXTEND:
        if not new_retention:
            raise InvalidInputError("an extension names the new retention period (e.g. D30 or Y)")
        retention = parse_retention(new_retention).code
    return DecisionTerms(chosen, text, years if chosen is AppraisalChoice.KEEP else 0, retention)


def is_due(code: ArchivalCode, round_year: int, current: AppraisalDecision | None,
           rule: ExpiryRule = ExpiryRule()) -> bool:
    """Whether an archived item is on the expiry list of `round_year`: its period ran out, and no decision in force
    put off its next appraisal beyond the round."""
    due_year = rule.due_years(round_year).get(code.retention)
    if due_year is None or code.year > due_year:
        return False
    return current is None or not current.keeps_off_list(round_year)


def next_review_year(code: ArchivalCode, retention_in_force: str, round_year: int, terms: DecisionTerms,
                rule: ExpiryRule = ExpiryRule()) -> int | None:
    """The year the item is due again after this decision; None when never (永久, or destroyed).

    Raises InvalidInputError for an extension that is not longer than the period in force, or that would have
    ended already by the round (so the item would stay due).
    """
    if terms.choice is AppraisalChoice.KEEP:
        return round_year + terms.keep_years
    if terms.choice is AppraisalChoice.DESTROY:
        return None
    current, wanted = RETENTION_PERIODS[retention_in_force], RETENTION_PERIODS[terms.new_retention]
    if current.years is None or (wanted.years is not None and wanted.years <= current.years):
        raise InvalidInputError(f"item {code.format()} is kept {current.code}: an extension must be longer "
                                f"(not {wanted.code})")
    last = rule.last_year_kept(code.year, wanted.code)
    if last is None:
        return None
    if last + 1 <= round_year:
        raise InvalidInputError(f"a {wanted.code} period for item {code.format()} of {code.year} ended in {last}: "
                                "choose a longer period, or keep it for some years")
    return last + 1
